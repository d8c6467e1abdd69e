"""Payments and wallet integrity: verify with a forged or altered signature is refused (400)
and changes nothing; only the gateway's own signature over the stored gateway order id and the
payment id confirms a payment."""

import hashlib
import hmac
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.payments import checkout_without_webhooks, money_state

pytestmark = [pytest.mark.security, pytest.mark.money]


def flipped(signature: str) -> str:
    """The signature with its last hex digit changed."""
    return signature[:-1] + ("0" if signature[-1] != "0" else "1")


def forgeries(receipt: dict) -> dict[str, str]:
    order_id, payment_id = receipt["razorpay_order_id"], receipt["razorpay_payment_id"]
    message = f"{order_id}|{payment_id}".encode()
    return {
        "random hex": hashlib.sha256(b"not a signature").hexdigest(),
        "last digit changed": flipped(receipt["razorpay_signature"]),
        "upper case": receipt["razorpay_signature"].upper(),
        "signed with another secret": hmac.new(b"guessed-secret", message,
                                               hashlib.sha256).hexdigest(),
        "plain sha256 of the message": hashlib.sha256(message).hexdigest(),
        "signed in the other order": hmac.new(b"guessed-secret",
                                              f"{payment_id}|{order_id}".encode(),
                                              hashlib.sha256).hexdigest(),
        "empty": "",
        "truncated": receipt["razorpay_signature"][:32],
    }


@allure.feature("Security: payments integrity")
@allure.story("Forged checkout signature")
def test_a_forged_signature_is_refused_and_changes_nothing(customer, gateway, online_payment,
                                                           unpaid_order):
    # given a genuine checkout whose webhooks the backend refuses (so only verify can count)
    receipt = checkout_without_webhooks(gateway, online_payment["gateway_order_id"])
    before = money_state(customer, unpaid_order["id"])

    # when the app sends verify with each forged signature
    for name, signature in forgeries(receipt).items():
        with allure.step(f"forged signature: {name}"):
            reply = customer.payments.raw_verify(online_payment["id"], receipt,
                                                 razorpay_signature=signature)
            # then each is refused (400)
            expect_error(reply, HTTPStatus.BAD_REQUEST)

    # and nothing changed: the order is unpaid, the payment not captured
    assert money_state(customer, unpaid_order["id"]) == before

    # while the genuine signature verifies (positive control)
    assert customer.payments.verify(online_payment["id"], receipt)["status"] == "captured"
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"


@allure.feature("Security: payments integrity")
@allure.story("Forged checkout signature")
def test_a_signature_left_out_is_refused(customer, gateway, online_payment, unpaid_order):
    receipt = checkout_without_webhooks(gateway, online_payment["gateway_order_id"])
    before = money_state(customer, unpaid_order["id"])

    # when the app sends verify without a signature, or without a payment id
    for left_out in ("razorpay_signature", "razorpay_payment_id"):
        reply = customer.payments.raw_verify(online_payment["id"], receipt, **{left_out: None})
        expect_error(reply, HTTPStatus.BAD_REQUEST)

    # then nothing changed, and the whole triple verifies (positive control)
    assert money_state(customer, unpaid_order["id"]) == before
    assert customer.payments.verify(online_payment["id"], receipt)["status"] == "captured"
