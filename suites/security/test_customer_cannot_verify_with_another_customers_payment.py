"""Object level, payments: customer B cannot present customer A's valid checkout triple to
verify, neither for B's own payment (400: it is not B's gateway order) nor for A's payment
(404: to B it does not exist); A's payment waits for A, who then verifies it."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.payments import affordable, checkout_without_webhooks, money_state

pytestmark = [pytest.mark.security, pytest.mark.money]


@allure.feature("Security: object level")
@allure.story("Another customer's payment")
def test_customer_cannot_verify_with_another_customers_triple(customer, other_customer,
                                                              gateway, online_payment,
                                                              unpaid_order, order_for):
    # given A paid at checkout (the webhooks held back, so only verify confirms it)
    receipt = checkout_without_webhooks(gateway, online_payment["gateway_order_id"])
    # and B has an unpaid order of their own, with an online payment started
    order = other_customer.orders.create(**affordable(order_for(other_customer),
                                                      payment_method="online"))
    own = other_customer.payments.pay(order["id"], method="online")
    a_before = money_state(customer, unpaid_order["id"])
    b_before = money_state(other_customer, order["id"])

    # when B presents A's triple for B's own payment, and for A's payment
    for_own = other_customer.payments.raw_verify(own["id"], receipt)
    for_theirs = other_customer.payments.raw_verify(online_payment["id"], receipt)

    # then the first is refused, the second does not exist to B, and nobody's money moved
    expect_error(for_own, HTTPStatus.BAD_REQUEST)
    expect_error(for_theirs, HTTPStatus.NOT_FOUND)
    assert money_state(other_customer, order["id"]) == b_before
    assert money_state(customer, unpaid_order["id"]) == a_before

    # while A verifies it (positive control): A's order is paid, B's is not
    assert customer.payments.verify(online_payment["id"], receipt)["status"] == "captured"
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"
    assert other_customer.orders.get(order["id"])["payment_status"] == "unpaid"
