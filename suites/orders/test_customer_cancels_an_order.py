"""A customer may cancel an order while it is pending or confirmed; once the laundry has it
(picked up and later) cancelling is a conflict (409) and the order stays as it was."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import LIFECYCLE, walk


@allure.feature("Orders")
@allure.story("Cancel an order")
def test_customer_cancels_a_pending_order(customer, order):
    # when the customer cancels their pending order
    cancelled = customer.orders.cancel(order["id"], reason="Plans changed")

    # then it is cancelled, the change is recorded, and it moves to the history
    assert cancelled["status"] == "cancelled"
    read_back = customer.orders.get(order["id"])
    assert read_back["status"] == "cancelled"
    assert [c["status"] for c in read_back["status_history"]] == ["pending", "cancelled"]
    assert [o["id"] for o in customer.orders.history()["results"]] == [order["id"]]
    assert customer.orders.all(status="pending") == []


@allure.feature("Orders")
@allure.story("Cancel an order")
@pytest.mark.needs_staff
def test_customer_cancels_a_confirmed_order(customer, confirmed_order):
    # given staff has confirmed the order
    assert customer.orders.get(confirmed_order["id"])["status"] == "confirmed"

    # when the customer cancels it
    cancelled = customer.orders.cancel(confirmed_order["id"])

    # then it is cancelled after having been confirmed
    assert cancelled["status"] == "cancelled"
    assert [c["status"] for c in customer.orders.get(confirmed_order["id"])["status_history"]] \
        == ["pending", "confirmed", "cancelled"]


@allure.feature("Orders")
@allure.story("Cancel an order")
def test_a_cancelled_order_cannot_be_cancelled_again(customer, order):
    # given the customer cancelled the order (positive control)
    customer.orders.cancel(order["id"])
    before = customer.orders.get(order["id"])

    # when they cancel it again
    reply = customer.orders.raw_cancel(order["id"])

    # then it is a conflict, and the order is as it was
    expect_error(reply, HTTPStatus.CONFLICT)
    assert customer.orders.get(order["id"]) == before


@allure.feature("Orders")
@allure.story("Cancel an order")
@pytest.mark.needs_staff
@pytest.mark.parametrize("status", LIFECYCLE[2:])
def test_an_order_the_laundry_has_can_no_longer_be_cancelled(customer, staff, order_body,
                                                             status):
    # given a pending order the customer can cancel (positive control)
    spare = customer.orders.create(**order_body)
    assert customer.orders.cancel(spare["id"])["status"] == "cancelled"

    # and another that staff has moved on to `status`
    order = customer.orders.create(**order_body)
    walk(staff, order["id"], LIFECYCLE[1:LIFECYCLE.index(status) + 1])
    before = customer.orders.get(order["id"])
    assert before["status"] == status

    # when the customer tries to cancel that one
    reply = customer.orders.raw_cancel(order["id"])

    # then it is a conflict, and the order is exactly as it was
    expect_error(reply, HTTPStatus.CONFLICT)
    assert customer.orders.get(order["id"]) == before
