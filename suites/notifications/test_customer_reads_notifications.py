"""The customer's notifications: an unread count, marking one read, marking all read; and the
same live on `/ws/notifications/` (the count on connecting, `mark_read` -> `unread_count`,
`ping` -> `pong`)."""

import allure
import pytest

from fixtures.orders import walk
from fixtures.polling import poll

pytestmark = [pytest.mark.needs_staff]

WAIT = 15


@pytest.fixture
def notified_customer(customer, order, staff):
    """As `customer`, but with three order notifications (staff moved the order three steps)."""
    before = len(customer.notifications.of_type("order_update"))
    walk(staff, order["id"], ["confirmed", "picked_up", "in_process"])
    poll(lambda: customer.notifications.of_type("order_update"),
         until=lambda rows: len(rows) >= before + 3, timeout=WAIT,
         what="three order notifications")
    return customer


@allure.feature("Notifications")
@allure.story("Read notifications")
def test_customer_marks_one_notification_read(notified_customer):
    customer = notified_customer
    # given three new notifications are unread
    unread = [n for n in customer.notifications.all() if not n["is_read"]]
    assert len(unread) >= 3
    assert customer.notifications.unread_count() == len(unread)

    # when the customer opens one
    opened = customer.notifications.mark_read(unread[0]["id"])

    # then it is read, and the count drops by one, once
    assert opened["id"] == unread[0]["id"]
    assert opened["is_read"] is True
    assert customer.notifications.unread_count() == len(unread) - 1
    customer.notifications.mark_read(unread[0]["id"])
    assert customer.notifications.unread_count() == len(unread) - 1
    [read_back] = [n for n in customer.notifications.all() if n["id"] == unread[0]["id"]]
    assert read_back["is_read"] is True


@allure.feature("Notifications")
@allure.story("Read notifications")
def test_customer_marks_all_notifications_read(notified_customer):
    customer = notified_customer
    unread = customer.notifications.unread_count()
    assert unread >= 3

    # when the customer marks all read
    marked = customer.notifications.mark_all_read()

    # then every one is read and the count is zero
    assert marked == unread
    assert customer.notifications.unread_count() == 0
    assert all(n["is_read"] for n in customer.notifications.all())
    assert customer.notifications.mark_all_read() == 0


@allure.feature("Notifications")
@allure.story("Read notifications")
@pytest.mark.anyio
async def test_the_app_keeps_the_unread_count_live(notified_customer, sockets):
    customer = notified_customer
    unread = [n for n in customer.notifications.all() if not n["is_read"]]

    # when the app connects, it is told the unread count
    live = await sockets.open_notifications(customer)
    assert live.established["unread_count"] == len(unread)

    # and the socket is alive
    await live.send({"type": "ping"})
    await live.receive_until("pong")

    # when the app marks one read on the socket
    await live.send({"type": "mark_read", "notification_id": unread[0]["id"]})

    # then the socket tells the new count, and REST agrees
    counted = await live.receive_until("unread_count")
    assert counted["count"] == len(unread) - 1
    assert customer.notifications.unread_count() == len(unread) - 1

    # and marking all read over REST reaches the socket too
    customer.notifications.mark_all_read()
    counted = await live.receive_until("unread_count", where=lambda frame: frame["count"] == 0,
                                       expecting="an `unread_count` of 0")
    assert counted["count"] == 0
