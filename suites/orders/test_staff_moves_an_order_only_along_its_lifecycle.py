"""Staff moves an order one step at a time along its lifecycle; a jump the lifecycle does not
allow is a conflict (409), a status the contract lacks is invalid (400), and neither changes
the order."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

pytestmark = [pytest.mark.needs_staff]


@allure.feature("Orders")
@allure.story("Order lifecycle")
@pytest.mark.parametrize("jump", ["in_process", "ready", "delivered"])
def test_staff_cannot_skip_steps_of_the_lifecycle(customer, staff, order, jump):
    # given staff can confirm the order (positive control)
    confirmed = staff.orders.set_status(order["id"], "confirmed")
    assert confirmed["status"] == "confirmed"
    before = customer.orders.get(order["id"])

    # when staff jumps from confirmed over picking up to `jump`
    reply = staff.orders.raw_set_status(order["id"], jump)

    # then it is a conflict, and the order is as it was
    expect_error(reply, HTTPStatus.CONFLICT)
    assert customer.orders.get(order["id"]) == before


@allure.feature("Orders")
@allure.story("Order lifecycle")
def test_a_cancelled_order_stays_cancelled(customer, staff, order):
    # given the customer cancelled the order
    customer.orders.cancel(order["id"])
    before = customer.orders.get(order["id"])

    # when staff tries to confirm it
    reply = staff.orders.raw_set_status(order["id"], "confirmed")

    # then it is a conflict, and the order stays cancelled
    expect_error(reply, HTTPStatus.CONFLICT)
    assert customer.orders.get(order["id"]) == before


@allure.feature("Orders")
@allure.story("Order lifecycle")
def test_a_status_the_contract_lacks_is_refused(customer, staff, order):
    # given staff can confirm the order (positive control)
    staff.orders.set_status(order["id"], "confirmed")
    before = customer.orders.get(order["id"])

    # when staff sends a status the lifecycle does not have
    reply = staff.orders.raw_set_status(order["id"], "teleported")

    # then it is invalid input naming the field, and the order is as it was
    body = expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert "status" in body.get("errors", {}), body
    assert customer.orders.get(order["id"]) == before
