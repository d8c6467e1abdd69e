"""Besides cards, a customer saves a UPI id, a net-banking bank and a wallet (such as Paytm);
each is listed with what identifies it, and a wallet's phone number is never shown whole."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.payments import upi_details


@allure.feature("Payments")
@allure.story("Save a UPI id, a bank or a wallet")
def test_customer_saves_a_upi_id(customer, data):
    # when the customer saves their UPI id
    body = upi_details(data)
    saved = customer.payments.save_method(**body)

    # then it is listed as that UPI id, the default as their first method
    assert (saved["type"], saved["upi_id"], saved["is_default"]) == ("upi", body["upi_id"], True)
    assert customer.payments.all_methods() == [saved]
    assert customer.payments.get_method(saved["id"]) == saved


@allure.feature("Payments")
@allure.story("Save a UPI id, a bank or a wallet")
def test_customer_saves_a_netbanking_bank(customer):
    # when the customer saves their bank for net banking
    saved = customer.payments.save_method(type="netbanking", bank_name="HDFC Bank")

    # then it is listed with that bank
    assert (saved["type"], saved["bank_name"]) == ("netbanking", "HDFC Bank")
    assert customer.payments.get_method(saved["id"]) == saved


@allure.feature("Payments")
@allure.story("Save a UPI id, a bank or a wallet")
def test_customer_saves_a_wallet_without_its_number_shown(customer, data):
    # when the customer saves their Paytm wallet by its phone number
    number = customer.phone_number.removeprefix("+91")
    saved = customer.payments.save_method(type="wallet", wallet_provider="paytm",
                                          wallet_number=number)

    # then it is listed as a Paytm wallet, and the whole number is in no reply
    assert (saved["type"], saved["wallet_provider"].lower()) == ("wallet", "paytm")
    for reply in (customer.payments.raw_get_method(saved["id"]),
                  customer.payments.raw_list_methods()):
        assert reply.status_code == HTTPStatus.OK, reply.text[:300]
        assert number not in reply.text


@allure.feature("Payments")
@allure.story("Save a UPI id, a bank or a wallet")
def test_customer_saves_one_method_of_each_kind(customer, data, visa_card):
    # when the customer saves a card, a UPI id, a bank and a wallet
    made = [customer.payments.save_method(**visa_card),
            customer.payments.save_method(**upi_details(data)),
            customer.payments.save_method(type="netbanking", bank_name="ICICI Bank"),
            customer.payments.save_method(type="wallet", wallet_provider="phonepe",
                                          wallet_number="9812345678")]

    # then all four are listed, exactly one (the first) the default
    listed = {m["id"]: m for m in customer.payments.all_methods()}
    assert set(listed) == {m["id"] for m in made}
    assert sorted(m["type"] for m in listed.values()) == ["card", "netbanking", "upi", "wallet"]
    assert [m["id"] for m in listed.values() if m["is_default"]] == [made[0]["id"]]


INVALID_METHODS = {
    "an unknown type": {"type": "cheque"},
    "a UPI id without a handle": {"type": "upi", "upi_id": "asha.rao"},
    "a UPI id left out": {"type": "upi"},
    "a bank left out": {"type": "netbanking"},
    "a wallet without a number": {"type": "wallet", "wallet_provider": "paytm"},
}


@allure.feature("Payments")
@allure.story("Save a UPI id, a bank or a wallet")
@pytest.mark.parametrize("body", INVALID_METHODS.values(), ids=INVALID_METHODS.keys())
def test_an_incomplete_method_is_refused(customer, data, body):
    # when the customer saves a method that lacks what identifies it
    reply = customer.payments.raw_save_method(**body)

    # then it is a 400, and nothing is saved
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert customer.payments.list_methods()["count"] == 0

    # and a complete one is accepted (positive control)
    customer.payments.save_method(**upi_details(data))
    assert customer.payments.list_methods()["count"] == 1
