"""A customer who turns pushes off (all of them, or those of order updates or chat) still finds
the notifications in the app, but their phone gets none; turned on again, pushes come again.

A push that did not come is proven by a later one that did: after the event under test, a
second event with the switch back on is pushed, and it is the only new push of the phone."""

import allure
import pytest

from fixtures.polling import poll

pytestmark = [pytest.mark.needs_staff]

WAIT = 15


def stored(customer, kind: str, count: int) -> list[dict]:
    return poll(lambda: customer.notifications.of_type(kind),
                until=lambda rows: len(rows) >= count, timeout=WAIT,
                what=f"{count} {kind} notification(s)")


@allure.feature("Notifications")
@allure.story("Notification preferences")
@pytest.mark.parametrize("switch", ["push_enabled", "order_updates"])
def test_an_order_update_is_stored_but_not_pushed_with_pushes_off(
        customer_with_push_token, order, staff, sandbox, switch):
    customer = customer_with_push_token
    noted = len(customer.notifications.of_type("order_update"))
    pushed = len(sandbox.pushes(customer.push_token))

    # given the customer turned the switch off
    assert customer.notifications.update_preferences(**{switch: False})[switch] is False

    # when staff confirms the order
    staff.orders.set_status(order["id"], "confirmed")

    # then the app has the notification
    stored(customer, "order_update", noted + 1)

    # and the phone got nothing: with the switch on again, the next change is the only new push
    assert customer.notifications.update_preferences(**{switch: True})[switch] is True
    staff.orders.set_status(order["id"], "picked_up")
    inbox = sandbox.wait_for_push(customer.push_token, count=pushed + 1, timeout=WAIT)
    assert len(inbox) == pushed + 1, inbox
    assert len(stored(customer, "order_update", noted + 2)) == noted + 2


@allure.feature("Notifications")
@allure.story("Notification preferences")
@pytest.mark.parametrize("switch", ["push_enabled", "chat_messages"])
def test_a_support_reply_is_stored_but_not_pushed_with_pushes_off(
        customer_with_push_token, chat_room, staff, sandbox, switch):
    customer = customer_with_push_token
    noted = len(customer.notifications.of_type("chat"))
    pushed = len(sandbox.pushes(customer.push_token))

    # given the customer turned the switch off and has no chat open
    assert customer.notifications.update_preferences(**{switch: False})[switch] is False

    # when support replies
    staff.chat.send(chat_room["id"], "We will call before delivery.")

    # then the app has the notification
    stored(customer, "chat", noted + 1)

    # and the phone got nothing: with the switch on again, the next reply is the only new push
    assert customer.notifications.update_preferences(**{switch: True})[switch] is True
    staff.chat.send(chat_room["id"], "The driver is five minutes away.")
    inbox = sandbox.wait_for_push(customer.push_token, count=pushed + 1, timeout=WAIT)
    assert len(inbox) == pushed + 1, inbox
