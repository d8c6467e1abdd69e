"""Payments and wallet integrity: a checkout that paid less than the order (or the top-up)
asked is refused at verify (400), even with the gateway's valid signature, and its webhooks
credit nothing: the amount the server stored wins, checked against the gateway's own record."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import money
from fixtures.payments import affordable, money_state, paise

pytestmark = [pytest.mark.security, pytest.mark.money]

ONE_RUPEE = 100  # paise
# a payment that did not go through (the backend may record the mismatch as a failure)
UNPAID = ("created", "pending", "failed")


@allure.feature("Security: payments integrity")
@allure.story("Amount changed at checkout")
def test_an_order_paid_one_rupee_is_not_paid(customer, gateway, online_payment, unpaid_order,
                                             order_body):
    before = money_state(customer, unpaid_order["id"])
    assert paise(unpaid_order["total"]) > ONE_RUPEE

    # when the customer's checkout is tampered with to pay 1 rupee, validly signed
    receipt = gateway.checkout(online_payment["gateway_order_id"], amount=ONE_RUPEE)
    held = gateway.gateway_payment(receipt["razorpay_payment_id"])["payment"]
    assert (held["status"], held["amount"]) == ("captured", ONE_RUPEE)
    reply = customer.payments.raw_verify(online_payment["id"], receipt)

    # then verify refuses it, and neither verify nor the gateway's webhooks pay the order
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    gateway.settled_webhooks(order_id=online_payment["gateway_order_id"], count=3)
    after = money_state(customer, unpaid_order["id"])
    assert after["orders"] == before["orders"]
    assert after["wallet"] == before["wallet"]
    assert customer.payments.get(online_payment["id"])["status"] in UNPAID

    # while an untampered checkout of another order pays it (positive control)
    order = customer.orders.create(**affordable(order_body, payment_method="online"))
    payment = customer.payments.pay(order["id"], method="online")
    honest = gateway.checkout(payment["gateway_order_id"])
    assert customer.payments.verify(payment["id"], honest)["status"] == "captured"


@allure.feature("Security: payments integrity")
@allure.story("Amount changed at checkout")
def test_a_top_up_paid_one_rupee_credits_nothing(customer, gateway):
    # given a top-up of 5,000 started
    started = customer.wallet.add_money(amount=5000)
    before = customer.wallet.get()

    # when its checkout is tampered with to pay 1 rupee, validly signed
    receipt = gateway.checkout(started["gateway_order_id"], amount=ONE_RUPEE)
    reply = customer.payments.raw_verify(started["payment_id"], receipt)

    # then verify refuses it, and neither verify nor the webhooks credit anything
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    gateway.settled_webhooks(order_id=started["gateway_order_id"], count=3)
    assert customer.wallet.get() == before
    assert customer.payments.get(started["payment_id"])["status"] in UNPAID
    assert [t["status"] for t in customer.wallet.all_transactions()] in (["pending"], ["failed"])

    # while an untampered top-up credits its amount (positive control)
    honest = customer.wallet.add_money(amount=200)
    customer.payments.verify(honest["payment_id"], gateway.checkout(honest["gateway_order_id"]))
    assert money(customer.wallet.get()["balance"]) == 200


@allure.feature("Security: payments integrity")
@allure.story("Amount changed at checkout")
def test_a_top_up_paid_more_than_asked_credits_nothing(customer, gateway):
    # given a top-up of 100 started
    started = customer.wallet.add_money(amount=100)

    # when its checkout pays 10,000 instead (a credit the customer did not ask for is no less
    # a mismatch: the stored amount wins)
    receipt = gateway.checkout(started["gateway_order_id"], amount=1_000_000)
    reply = customer.payments.raw_verify(started["payment_id"], receipt)

    # then verify refuses it, and nothing is credited
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    gateway.settled_webhooks(order_id=started["gateway_order_id"], count=3)
    assert money(customer.wallet.get()["balance"]) == 0
    assert customer.payments.get(started["payment_id"])["status"] in UNPAID
