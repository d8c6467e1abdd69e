"""Payments and wallet integrity: a gateway payment pays one thing once. Presented again for
another order or for a top-up (with a valid signature over that one's gateway order), it is
refused (400) and nothing changes; presented again for its own payment, it is a no-op (200)."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import money
from fixtures.payments import affordable, money_state, pay_online

pytestmark = [pytest.mark.security, pytest.mark.money]


@pytest.fixture
def used_payment(customer, gateway, unpaid_order):
    """An online payment of `unpaid_order`, verified: its gateway payment is spent."""
    return pay_online(customer, gateway, unpaid_order["id"])


def borrowed(gateway, target: dict, used) -> dict:
    """The spent gateway payment presented for `target`'s gateway order, validly signed."""
    payment_id = used.receipt["razorpay_payment_id"]
    return {"razorpay_order_id": target["gateway_order_id"], "razorpay_payment_id": payment_id,
            "razorpay_signature": gateway.signature(target["gateway_order_id"], payment_id)}


@allure.feature("Security: payments integrity")
@allure.story("A gateway payment used twice")
def test_a_spent_gateway_payment_cannot_pay_another_order(customer, gateway, used_payment,
                                                          order_body):
    # given another unpaid order with an online payment started
    order = customer.orders.create(**affordable(order_body, payment_method="online"))
    target = customer.payments.pay(order["id"], method="online")
    before = money_state(customer, order["id"])

    # when the app verifies it with the first order's gateway payment
    reply = customer.payments.raw_verify(target["id"], borrowed(gateway, target, used_payment))

    # then it is refused, and the second order is as unpaid as before
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert money_state(customer, order["id"]) == before

    # while verifying the first payment again with its own triple changes nothing (200)
    again = customer.payments.verify(used_payment.payment["id"], used_payment.receipt)
    assert again["gateway_payment_id"] == used_payment.receipt["razorpay_payment_id"]
    assert money_state(customer, order["id"]) == before

    # and a checkout of its own pays the second order (positive control)
    receipt = gateway.checkout(target["gateway_order_id"])
    assert customer.payments.verify(target["id"], receipt)["status"] == "captured"


@allure.feature("Security: payments integrity")
@allure.story("A gateway payment used twice")
def test_a_spent_gateway_payment_cannot_top_up_the_wallet(customer, gateway, used_payment):
    # given a top-up started
    started = customer.wallet.add_money(amount=500)
    target = {"gateway_order_id": started["gateway_order_id"]}
    before = money_state(customer)

    # when the app verifies it with the order's spent gateway payment
    reply = customer.payments.raw_verify(started["payment_id"],
                                         borrowed(gateway, target, used_payment))

    # then it is refused, and nothing is credited
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert money_state(customer) == before

    # while a checkout of its own credits it (positive control)
    receipt = gateway.checkout(started["gateway_order_id"])
    customer.payments.verify(started["payment_id"], receipt)
    assert money(customer.wallet.get()["balance"]) == 500


@allure.feature("Security: payments integrity")
@allure.story("A gateway payment used twice")
def test_a_spent_top_up_payment_cannot_pay_an_order(customer, gateway, unpaid_order):
    # given a top-up paid and credited
    started = customer.wallet.add_money(amount=3000)
    receipt = gateway.checkout(started["gateway_order_id"])
    customer.payments.verify(started["payment_id"], receipt)
    target = customer.payments.pay(unpaid_order["id"], method="online")
    before = money_state(customer, unpaid_order["id"])

    # when the app verifies the order's payment with the top-up's gateway payment
    payment_id = receipt["razorpay_payment_id"]
    reply = customer.payments.raw_verify(target["id"], {
        "razorpay_order_id": target["gateway_order_id"], "razorpay_payment_id": payment_id,
        "razorpay_signature": gateway.signature(target["gateway_order_id"], payment_id)})

    # then it is refused: the order is unpaid, the wallet as it was
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert money_state(customer, unpaid_order["id"]) == before
