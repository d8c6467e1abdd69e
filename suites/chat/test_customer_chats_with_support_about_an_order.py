"""A customer opens the chat of an order and support answers: both see the same messages in the
same server-assigned order (seq 1, 2, 3 ...), live on their sockets and in the REST history."""

import allure
import anyio
import pytest

from fixtures.ws import chat_frame

pytestmark = [pytest.mark.anyio, pytest.mark.needs_staff]

EACH = 5


def conversation(messages: list[dict]) -> list[tuple]:
    """What a participant sees of a conversation: each message's seq, id, sender and text."""
    return [(m["seq"], str(m["id"]), str(m["sender"]["id"]), m["message"]) for m in messages]


@allure.feature("Chat")
@allure.story("Customer and support chat about an order")
def test_customer_opens_the_chat_of_an_order_once(customer, order):
    # when the customer opens the chat of the order, then again
    first = customer.chat.open_room(order["id"])
    again = customer.chat.open_room(order["id"])

    # then there is one room for the order, the customer's, with no message yet
    assert again["id"] == first["id"]
    assert str(first["order_id"]) == str(order["id"])
    assert str(first["customer"]["id"]) == customer.id
    assert first["last_message"] is None
    assert first["unread_count"] == 0
    assert [room["id"] for room in customer.chat.all_rooms()] == [first["id"]]


@allure.feature("Chat")
@allure.story("Customer and support chat about an order")
async def test_customer_and_support_see_one_conversation_in_one_order(
        customer, staff, chat_room, sockets):
    # given the customer (in the app) and support (at the desk) both have the chat open
    in_app = await sockets.open_chat(customer, chat_room["id"])
    at_desk = await sockets.open_chat(staff, chat_room["id"])
    assert in_app.established["last_seq"] == at_desk.established["last_seq"] == 0

    # when both write at the same time, five messages each
    async def write(socket, who: str) -> None:
        for number in range(1, EACH + 1):
            await socket.send(chat_frame(f"{who}, message {number}"))

    async with anyio.create_task_group() as writers:
        writers.start_soon(write, in_app, "customer")
        writers.start_soon(write, at_desk, "support")

    # then both sockets deliver all ten, in one order, numbered 1 to 10 without a gap
    seen_in_app = [f["message"] for f in await in_app.receive_n("chat_message", 2 * EACH)]
    seen_at_desk = [f["message"] for f in await at_desk.receive_n("chat_message", 2 * EACH)]
    assert conversation(seen_in_app) == conversation(seen_at_desk)
    assert [m["seq"] for m in seen_in_app] == list(range(1, 2 * EACH + 1))

    # and each side's messages kept their own order, sender and role
    for who, caller, role in (("customer", customer, "customer"), ("support", staff, "staff")):
        mine = [m for m in seen_in_app if m["message"].startswith(who)]
        assert [m["message"] for m in mine] == [f"{who}, message {n}" for n in range(1, EACH + 1)]
        assert {(str(m["sender"]["id"]), m["sender"]["role"]) for m in mine} == {(caller.id, role)}

    # and the REST history shows the same conversation to both of them
    assert conversation(customer.chat.history(chat_room["id"])) == conversation(seen_in_app)
    assert conversation(staff.chat.history(chat_room["id"])) == conversation(seen_in_app)

    # and the room list shows the newest message
    newest = customer.chat.room(chat_room["id"])["last_message"]
    assert (newest["seq"], str(newest["id"])) \
        == (seen_in_app[-1]["seq"], str(seen_in_app[-1]["id"]))
