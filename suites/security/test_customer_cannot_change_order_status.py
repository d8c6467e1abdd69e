"""Function level: moving an order along its lifecycle is staff's; a customer gets 403 (even on
their own order) and a caller without a token 401, and the order does not move."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

pytestmark = [pytest.mark.security, pytest.mark.needs_staff]


@allure.feature("Security: function level")
@allure.story("Staff-only calls")
@pytest.mark.parametrize("status", ["confirmed", "delivered", "cancelled"])
def test_customer_cannot_change_order_status(customer, staff, anonymous, order_body, status):
    # given staff can move an order of the customer (positive control)
    other = customer.orders.create(**order_body)
    assert staff.orders.set_status(other["id"], "confirmed")["status"] == "confirmed"
    order = customer.orders.create(**order_body)

    # when the customer, then a caller without a token, sets the status of the pending order
    as_customer = customer.orders.raw_set_status(order["id"], status, note="self-service")
    as_stranger = anonymous.orders.raw_set_status(order["id"], status)

    # then the customer is forbidden and the stranger unauthenticated, and it is still pending
    expect_error(as_customer, HTTPStatus.FORBIDDEN)
    expect_error(as_stranger, HTTPStatus.UNAUTHORIZED)
    assert customer.orders.get(order["id"]) == order
