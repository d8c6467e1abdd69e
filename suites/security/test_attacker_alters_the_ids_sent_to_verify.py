"""Payments and wallet integrity: verify checks the signature against the gateway order id the
server stored, never the one sent; a triple whose order id or payment id was altered is refused
(400) and changes nothing, even when the altered triple carries a valid signature of its own."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.payments import affordable, checkout_without_webhooks, money_state

pytestmark = [pytest.mark.security, pytest.mark.money]


@pytest.fixture
def second_order(customer, order_body) -> dict:
    """Another unpaid order of the `customer`, with an online payment started for it."""
    order = customer.orders.create(**affordable(order_body, payment_method="online"))
    return {"order": order, "payment": customer.payments.pay(order["id"], method="online")}


@allure.feature("Security: payments integrity")
@allure.story("Altered order id or payment id")
def test_a_triple_of_another_gateway_order_cannot_pay_this_payment(customer, gateway,
                                                                   online_payment, unpaid_order,
                                                                   second_order):
    # given the customer paid the second order's gateway order at checkout (its genuine triple)
    other = second_order["payment"]
    receipt = checkout_without_webhooks(gateway, other["gateway_order_id"])
    before = money_state(customer, unpaid_order["id"], second_order["order"]["id"])

    # when the app verifies the first payment with that triple (another order id, validly
    # signed for it)
    reply = customer.payments.raw_verify(online_payment["id"], receipt)

    # then it is refused, and neither order nor payment changed
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert money_state(customer, unpaid_order["id"], second_order["order"]["id"]) == before

    # while the triple verifies the payment it belongs to (positive control)
    assert customer.payments.verify(other["id"], receipt)["status"] == "captured"
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "unpaid"


@allure.feature("Security: payments integrity")
@allure.story("Altered order id or payment id")
def test_an_altered_order_id_is_refused(customer, gateway, online_payment, unpaid_order,
                                        second_order):
    # given a genuine triple of this payment's checkout
    receipt = checkout_without_webhooks(gateway, online_payment["gateway_order_id"])
    before = money_state(customer, unpaid_order["id"])
    other_order_id = second_order["payment"]["gateway_order_id"]

    # when the app sends it with the order id changed: to another gateway order of the
    # customer (signature as it came, and re-signed for that order by the gateway's key)
    altered = [
        {"razorpay_order_id": other_order_id},
        {"razorpay_order_id": other_order_id,
         "razorpay_signature": gateway.signature(other_order_id,
                                                 receipt["razorpay_payment_id"])},
        {"razorpay_order_id": "order_" + "A" * 14},
    ]
    for fields in altered:
        reply = customer.payments.raw_verify(online_payment["id"], receipt, **fields)
        # then each is refused
        expect_error(reply, HTTPStatus.BAD_REQUEST)

    # and nothing changed, while the genuine triple verifies (positive control)
    assert money_state(customer, unpaid_order["id"]) == before
    assert customer.payments.verify(online_payment["id"], receipt)["status"] == "captured"


@allure.feature("Security: payments integrity")
@allure.story("Altered order id or payment id")
def test_an_altered_payment_id_is_refused(customer, gateway, online_payment, unpaid_order,
                                          second_order):
    # given a genuine triple of this payment's checkout, and a payment of another checkout
    receipt = checkout_without_webhooks(gateway, online_payment["gateway_order_id"])
    elsewhere = checkout_without_webhooks(gateway, second_order["payment"]["gateway_order_id"])
    before = money_state(customer, unpaid_order["id"])
    oid = online_payment["gateway_order_id"]

    # when the app sends it with the payment id changed: to the other checkout's payment
    # (with the signature as it came, and validly signed over this order id), or to one that
    # does not exist (validly signed too)
    altered = [
        {"razorpay_payment_id": elsewhere["razorpay_payment_id"]},
        {"razorpay_payment_id": elsewhere["razorpay_payment_id"],
         "razorpay_signature": gateway.signature(oid, elsewhere["razorpay_payment_id"])},
        {"razorpay_payment_id": "pay_" + "Z" * 14,
         "razorpay_signature": gateway.signature(oid, "pay_" + "Z" * 14)},
    ]
    for fields in altered:
        reply = customer.payments.raw_verify(online_payment["id"], receipt, **fields)
        # then each is refused
        expect_error(reply, HTTPStatus.BAD_REQUEST)

    # and nothing changed, while the genuine triple verifies (positive control)
    assert money_state(customer, unpaid_order["id"]) == before
    paid = customer.payments.verify(online_payment["id"], receipt)
    assert paid["gateway_payment_id"] == receipt["razorpay_payment_id"]
