"""While both have the chat open, each sees when the other is typing and how far the other has
read; the room list counts what the customer has not read until they mark it read."""

import allure
import pytest

from fixtures.ws import chat_frame

pytestmark = [pytest.mark.needs_staff]


@allure.feature("Chat")
@allure.story("Typing and read receipts")
@pytest.mark.anyio
async def test_customer_sees_support_typing(customer, staff, chat_room, sockets):
    # given both have the chat open
    in_app = await sockets.open_chat(customer, chat_room["id"])
    at_desk = await sockets.open_chat(staff, chat_room["id"])

    # when support starts typing, then stops
    await at_desk.send({"type": "typing", "is_typing": True})
    started = await in_app.receive_until("typing")
    await at_desk.send({"type": "typing", "is_typing": False})
    stopped = await in_app.receive_until("typing")

    # then the customer sees it, attributed to support
    assert (str(started["user_id"]), started["is_typing"]) == (staff.id, True)
    assert (str(stopped["user_id"]), stopped["is_typing"]) == (staff.id, False)


@allure.feature("Chat")
@allure.story("Typing and read receipts")
@pytest.mark.anyio
async def test_support_sees_how_far_the_customer_has_read(customer, staff, chat_room, sockets):
    # given both have the chat open and support wrote two messages
    in_app = await sockets.open_chat(customer, chat_room["id"])
    at_desk = await sockets.open_chat(staff, chat_room["id"])
    for text in ("We picked up your order.", "It will be ready tomorrow."):
        await at_desk.send(chat_frame(text))
    delivered = [f["message"] for f in await in_app.receive_n("chat_message", 2)]

    # when the app marks them read on the socket
    newest = delivered[-1]["seq"]
    await in_app.send({"type": "read", "up_to_seq": newest})

    # then support sees the read receipt of the customer up to the newest message
    receipt = await at_desk.receive_until("read")
    assert (str(receipt["user_id"]), receipt["up_to_seq"]) == (customer.id, newest)


@allure.feature("Chat")
@allure.story("Typing and read receipts")
def test_customer_marks_support_replies_read(customer, staff, chat_room):
    # given support replied twice while the customer was away
    staff.chat.send(chat_room["id"], "We found a stain on the blue shirt.")
    newest = staff.chat.send(chat_room["id"], "Shall we treat it?")["seq"]
    assert customer.chat.room(chat_room["id"])["unread_count"] == 2

    # when the customer reads up to the first reply, then up to the newest
    after_first = customer.chat.read(chat_room["id"], up_to_seq=newest - 1)
    after_all = customer.chat.read(chat_room["id"], up_to_seq=newest)

    # then the unread count drops with each, in the reply and in the room list
    assert (after_first, after_all) == (1, 0)
    assert customer.chat.room(chat_room["id"])["unread_count"] == 0
    # and the customer's own messages never count as unread for them
    customer.chat.send(chat_room["id"], "Yes please.")
    assert customer.chat.room(chat_room["id"])["unread_count"] == 0
