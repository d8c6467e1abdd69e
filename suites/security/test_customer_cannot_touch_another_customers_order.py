"""Object level: customer B cannot read, track or cancel customer A's order (to B it does not
exist: 404), never sees it in a list, history or dashboard, and A's order is untouched."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.images import comparable, stored_name

pytestmark = [pytest.mark.security]


@allure.feature("Security: object level")
@allure.story("Another customer's order")
def test_customer_cannot_read_or_track_another_customers_order(customer, other_customer,
                                                               order_with_photos):
    # given A reads and tracks their order with its photos (positive control)
    order = order_with_photos
    assert comparable(customer.orders.get(order["id"])) == comparable(order)
    customer.orders.track(order["id"])

    # when B asks for it and for its tracking
    replies = [other_customer.orders.raw_get(order["id"]),
               other_customer.orders.raw_track(order["id"])]

    # then to B it does not exist, and nothing of it (number, address, photos) leaks
    for reply in replies:
        expect_error(reply, HTTPStatus.NOT_FOUND)
        assert order["order_number"] not in reply.text
        assert order["pickup_address"]["address_line1"] not in reply.text
        for image in order["images"]:
            assert stored_name(image["url"]) not in reply.text


@allure.feature("Security: object level")
@allure.story("Another customer's order")
def test_customer_cannot_cancel_another_customers_order(customer, other_customer, order_body):
    # given A can cancel an order of theirs (positive control) and has another pending
    spare = customer.orders.create(**order_body)
    customer.orders.cancel(spare["id"])
    order = customer.orders.create(**order_body)

    # when B cancels A's pending order
    reply = other_customer.orders.raw_cancel(order["id"], reason="not mine")

    # then it answers 404, and A's order is still pending, exactly as it was
    expect_error(reply, HTTPStatus.NOT_FOUND)
    assert customer.orders.get(order["id"]) == order


@allure.feature("Security: object level")
@allure.story("Another customer's order")
def test_customer_never_sees_another_customers_orders_in_lists(customer, other_customer,
                                                               order_body):
    # given A has a pending order and a cancelled one, listed to A (positive control)
    pending = customer.orders.create(**order_body)
    cancelled = customer.orders.create(**order_body)
    customer.orders.cancel(cancelled["id"])
    assert len(customer.orders.all()) == 2
    assert customer.mobile.dashboard()["active_orders"] == 1

    # when B lists orders (also asking for A's by user id), the history and the dashboard
    seen = [other_customer.orders.list(), other_customer.orders.list(user=customer.id),
            other_customer.orders.list(status="pending"), other_customer.orders.history()]
    dashboard = other_customer.mobile.dashboard()

    # then none shows anything of A's
    for page in seen:
        assert (page["count"], page["results"]) == (0, [])
    assert (dashboard["active_orders"], dashboard["recent_orders"]) == (0, [])
    assert str(dashboard["user"]["id"]) == other_customer.id
    for order in (pending, cancelled):
        assert customer.orders.get(order["id"])["id"] == order["id"]
