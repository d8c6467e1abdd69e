"""Payments and wallet integrity: a callback claiming success for a payment the gateway failed
(with a valid signature over it) is refused (400) and the order stays unpaid: the server trusts
the gateway's own account of the payment, not the app's word."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.gateway import FAILURE_VPA, checkout_failed
from fixtures.payments import money_state

pytestmark = [pytest.mark.security, pytest.mark.money]


@allure.feature("Security: payments integrity")
@allure.story("Success claimed for a failed payment")
def test_a_failed_payment_claimed_as_success_leaves_the_order_unpaid(customer, gateway,
                                                                     online_payment,
                                                                     unpaid_order):
    # given the gateway failed the customer's payment
    oid = online_payment["gateway_order_id"]
    failed = gateway.checkout(oid, vpa=FAILURE_VPA)
    assert checkout_failed(failed), failed
    gateway.wait_for_webhook(order_id=oid, event="payment.failed")
    before = money_state(customer, unpaid_order["id"])

    # when the app claims success for it, with a signature the gateway's key made
    payment_id = failed["razorpay_payment_id"]
    reply = customer.payments.raw_verify(online_payment["id"], {
        "razorpay_order_id": oid, "razorpay_payment_id": payment_id,
        "razorpay_signature": gateway.signature(oid, payment_id)})

    # then it is refused, and the order is unpaid as before
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert money_state(customer, unpaid_order["id"]) == before
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "unpaid"

    # while a payment the gateway did capture verifies (positive control)
    receipt = gateway.checkout(oid)
    assert customer.payments.verify(online_payment["id"], receipt)["status"] == "captured"


@allure.feature("Security: payments integrity")
@allure.story("Success claimed for a failed payment")
def test_a_failed_top_up_claimed_as_success_credits_nothing(customer, gateway):
    # given the gateway failed a top-up
    started = customer.wallet.add_money(amount=800)
    oid = started["gateway_order_id"]
    failed = gateway.checkout(oid, vpa=FAILURE_VPA)
    gateway.wait_for_webhook(order_id=oid, event="payment.failed")
    before = money_state(customer)

    # when the app claims success for it, validly signed
    payment_id = failed["razorpay_payment_id"]
    reply = customer.payments.raw_verify(started["payment_id"], {
        "razorpay_order_id": oid, "razorpay_payment_id": payment_id,
        "razorpay_signature": gateway.signature(oid, payment_id)})

    # then it is refused, and nothing is credited
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert money_state(customer) == before
