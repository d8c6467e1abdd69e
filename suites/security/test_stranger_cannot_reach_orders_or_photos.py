"""Function level: every order and photo call, and the dashboard, need a login; a caller
without a token gets 401 as the envelope, learns nothing and changes nothing. Only the app's
configuration is public."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.images import comparable

pytestmark = [pytest.mark.security]


@allure.feature("Security: function level")
@allure.story("Calls that need a login")
def test_a_stranger_cannot_reach_orders_or_photos(customer, anonymous, order_with_photos,
                                                  order_body, photos):
    # given the customer reaches each of these (positive control)
    order = order_with_photos
    image = order["images"][0]
    customer.orders.list()
    customer.orders.history()
    customer.orders.track(order["id"])
    customer.uploads.get_image(image["id"])
    customer.mobile.dashboard()

    # when a caller without a token makes the same calls, and tries to write
    replies = {
        "list": anonymous.orders.raw_list(),
        "history": anonymous.orders.raw_history(),
        "get": anonymous.orders.raw_get(order["id"]),
        "track": anonymous.orders.raw_track(order["id"]),
        "create": anonymous.orders.raw_create(**order_body),
        "cancel": anonymous.orders.raw_cancel(order["id"]),
        "upload": anonymous.uploads.raw_upload_image(photos.jpeg()),
        "get image": anonymous.uploads.raw_get_image(image["id"]),
        "delete image": anonymous.uploads.raw_delete_image(image["id"]),
        "dashboard": anonymous.mobile.raw_dashboard(),
    }

    # then every one is 401 with the envelope, and the customer's order is untouched
    for name, reply in replies.items():
        assert reply.status_code == HTTPStatus.UNAUTHORIZED, f"{name}: {reply.status_code}"
        expect_error(reply, HTTPStatus.UNAUTHORIZED)
        assert order["order_number"] not in reply.text, name
    assert comparable(customer.orders.get(order["id"])) == comparable(order)
    assert [o["id"] for o in customer.orders.all()] == [order["id"]]

    # and the app's configuration alone needs no login
    anonymous.mobile.config()
