"""A support reply to a customer who has no chat socket open reaches their phone as a push and
their in-app notifications; with the chat open, the socket is enough and no push is sent."""

import allure
import pytest

from fixtures.polling import poll

pytestmark = [pytest.mark.needs_staff]


@allure.feature("Chat")
@allure.story("Push for an offline recipient")
def test_a_reply_to_an_offline_customer_reaches_their_phone(
        customer_with_push_token, staff, chat_room, sandbox):
    customer = customer_with_push_token
    pushed = len(sandbox.pushes(customer.push_token))
    noted = len(customer.notifications.of_type("chat"))

    # given the customer has no chat socket open, when support replies
    staff.chat.send(chat_room["id"], "Your order is out for delivery.")

    # then the phone gets a push, and the app a chat notification
    inbox = sandbox.wait_for_push(customer.push_token, count=pushed + 1)
    assert len(inbox) == pushed + 1, inbox
    poll(lambda: customer.notifications.of_type("chat"), until=lambda rows: len(rows) > noted,
         timeout=10, what="a chat notification of the customer")


@allure.feature("Chat")
@allure.story("Push for an offline recipient")
@pytest.mark.anyio
async def test_a_customer_with_the_chat_open_gets_the_reply_without_a_push(
        customer_with_push_token, staff, order, chat_room, sandbox, sockets):
    customer = customer_with_push_token
    pushed = len(sandbox.pushes(customer.push_token))
    noted = len(customer.notifications.of_type("chat"))

    # given the customer has the chat open, when support replies
    in_app = await sockets.open_chat(customer, chat_room["id"])
    sent = staff.chat.send(chat_room["id"], "We are on our way.")
    assert (await in_app.receive_until("chat_message"))["message"]["id"] == sent["id"]

    # then no push follows: the next push the phone gets is the one of a later event (staff
    # confirms the order), and it is the only new one
    staff.orders.set_status(order["id"], "confirmed")
    inbox = sandbox.wait_for_push(customer.push_token, count=pushed + 1)
    assert len(inbox) == pushed + 1, inbox
    assert len(customer.notifications.of_type("chat")) == noted
