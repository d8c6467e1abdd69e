"""Each change of an order's status reaches the customer three ways: an `order_update` frame on
`/ws/notifications/`, a stored in-app notification, and a push to their phone."""

import allure
import pytest

from fixtures.orders import LIFECYCLE
from fixtures.polling import poll

pytestmark = [pytest.mark.anyio, pytest.mark.needs_staff]

WAIT = 15


def of_order(order_id: str):
    return lambda frame: str(frame["order"]["id"]) == str(order_id)


class Phone:
    """What the customer had before the changes: order notifications, all notifications, and
    pushes of the phone. A change may bring more than its own notification (a cash order is
    paid on delivery, which notifies too), and each stored notification is pushed once."""

    def __init__(self, customer, sandbox):
        self.customer, self.sandbox = customer, sandbox
        self.order_updates = len(customer.notifications.of_type("order_update"))
        self.notifications = len(customer.notifications.all())
        self.pushes = len(sandbox.pushes(customer.push_token))

    def expect(self, changes: int) -> None:
        """`changes` order notifications are stored since, and every new notification was
        pushed, once."""
        updates = poll(lambda: self.customer.notifications.of_type("order_update"),
                       until=lambda rows: len(rows) >= self.order_updates + changes,
                       timeout=WAIT, what=f"{changes} new order notification(s)")
        assert len(updates) == self.order_updates + changes, updates
        stored = len(self.customer.notifications.all()) - self.notifications
        inbox = self.sandbox.wait_for_push(self.customer.push_token,
                                           count=self.pushes + stored, timeout=WAIT)
        assert len(inbox) == self.pushes + stored, inbox


async def expect_change(live, phone: Phone, order: dict, status: str, *, changes: int) -> None:
    """The change to `status` arrived as an `order_update` frame, was stored, and was pushed."""
    frame = await live.receive_until("order_update", WAIT, where=of_order(order["id"]),
                                     expecting=f"an `order_update` of {order['order_number']}")
    assert frame["order"]["status"] == status, frame
    assert frame["order"]["order_number"] == order["order_number"], frame
    phone.expect(changes)


@allure.feature("Notifications")
@allure.story("Order status changes reach the app and the phone")
async def test_customer_follows_the_order_through_its_lifecycle(
        customer_with_push_token, order, staff, sandbox, sockets):
    customer = customer_with_push_token
    # given the app is open (the notifications socket) and the phone is registered
    live = await sockets.open_notifications(customer)
    phone = Phone(customer, sandbox)

    # when staff moves the order through each step of its lifecycle
    for step, status in enumerate(LIFECYCLE[1:], start=1):
        with allure.step(f"staff moves the order to {status}"):
            staff.orders.set_status(order["id"], status, note=f"harness: to {status}")

            # then each change arrives live, is stored, and is pushed, once
            await expect_change(live, phone, order, status, changes=step)

    # and the order the app reads back is delivered
    assert customer.orders.get(order["id"])["status"] == "delivered"


@allure.feature("Notifications")
@allure.story("Order status changes reach the app and the phone")
async def test_customer_is_told_of_their_own_cancellation(
        customer_with_push_token, order, sandbox, sockets):
    customer = customer_with_push_token
    live = await sockets.open_notifications(customer)
    phone = Phone(customer, sandbox)

    # when the customer cancels the pending order
    customer.orders.cancel(order["id"], reason="Travelling this week")

    # then the cancellation arrives like any other change
    await expect_change(live, phone, order, "cancelled", changes=1)
