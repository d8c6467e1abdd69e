"""Object level, chat: customer B cannot open A's chat socket (refused: handshake 403 or close
4403), nor read, write or mark read A's room over REST (404), nor reach A's room by naming it in
a frame on B's own socket (not broadcast there); A's conversation is untouched."""

from http import HTTPStatus
from uuid import uuid4

import allure
import pytest

from fixtures.api import expect_error
from fixtures.api.chat import new_client_id
from fixtures.ws import CHAT, chat_frame

pytestmark = [pytest.mark.security]


@allure.feature("Security: object level")
@allure.story("Another customer's chat")
@pytest.mark.anyio
@pytest.mark.needs_staff
async def test_customer_cannot_open_another_customers_chat_socket(
        customer, other_customer, chat_room, other_chat_room, staff, sockets):
    # given A's room has a message, and B opens B's own room (positive control)
    staff.chat.send(chat_room["id"], "Message for A only.")
    own = await sockets.open_chat(other_customer, other_chat_room["id"])
    await own.close()
    before = customer.chat.history(chat_room["id"])

    # when B opens A's room with B's own valid token
    refusal = await sockets.refusal(CHAT, token=other_customer.access, room_id=chat_room["id"])

    # then it is refused before anything of the room is sent, and A's room is unchanged
    refusal.assert_forbidden()
    assert customer.chat.history(chat_room["id"]) == before


@allure.feature("Security: object level")
@allure.story("Another customer's chat")
@pytest.mark.anyio
async def test_a_room_that_does_not_exist_is_refused_the_same_way(
        other_customer, other_chat_room, sockets):
    # given B's own room opens (positive control)
    await (await sockets.open_chat(other_customer, other_chat_room["id"])).close()

    # when B opens a room id that nobody has, then it is refused as a foreign room is
    refusal = await sockets.refusal(CHAT, token=other_customer.access, room_id=str(uuid4()))
    refusal.assert_forbidden()


@allure.feature("Security: object level")
@allure.story("Another customer's chat")
@pytest.mark.needs_staff
def test_customer_cannot_read_or_write_another_customers_chat(
        customer, other_customer, chat_room, order, other_chat_room, staff):
    # given A's room has a message, and B uses B's own room (positive control)
    staff.chat.send(chat_room["id"], "Your invoice is ready.")
    other_customer.chat.send(other_chat_room["id"], "Hello?")
    assert other_customer.chat.history(other_chat_room["id"])
    before = customer.chat.history(chat_room["id"])
    room_before = customer.chat.room(chat_room["id"])

    # when B reads A's messages, writes into A's room, marks it read, and opens it by order
    replies = [
        other_customer.chat.raw_messages(chat_room["id"]),
        other_customer.chat.raw_send(chat_room["id"], "Injected by B", client_id=new_client_id()),
        other_customer.chat.raw_read(chat_room["id"], up_to_seq=before[-1]["seq"]),
    ]
    opened = other_customer.chat.raw_open_room(order["id"])

    # then to B the room does not exist, and nothing of it leaks
    for reply in replies:
        expect_error(reply, HTTPStatus.NOT_FOUND)
        assert "Your invoice is ready." not in reply.text
    assert opened.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND), opened.text
    assert str(chat_room["id"]) not in opened.text
    assert str(chat_room["id"]) not in {str(room["id"]) for room in
                                        other_customer.chat.all_rooms()}

    # and A's room is as it was: same messages, still unread to A
    assert customer.chat.history(chat_room["id"]) == before
    assert customer.chat.room(chat_room["id"])["unread_count"] == room_before["unread_count"]


@allure.feature("Security: object level")
@allure.story("Another customer's chat")
@pytest.mark.anyio
async def test_a_frame_naming_another_room_is_not_broadcast_there(
        customer, other_customer, chat_room, other_chat_room, sockets):
    # given A has A's room open, and B has B's own room open
    victim = await sockets.open_chat(customer, chat_room["id"], name="A chat")
    attacker = await sockets.open_chat(other_customer, other_chat_room["id"], name="B chat")

    # and a frame for B's own room is broadcast to it (positive control)
    await attacker.send(chat_frame("B in B's own room"))
    assert (await attacker.receive_until("chat_message"))["message"]["message"] \
        == "B in B's own room"

    # when B names A's room in frames on B's own socket
    await attacker.send({**chat_frame("Injected into A's room"), "room_id": chat_room["id"]})
    await attacker.send({"type": "typing", "is_typing": True, "room_id": chat_room["id"]})
    # (frames of one socket are handled in order: once this one is echoed, those were handled)
    await attacker.send(chat_frame("B again"))
    await attacker.receive_until("chat_message", where=lambda f: f["message"]["message"]
                                 == "B again", expecting="the echo of B's later frame")

    # then A's socket received nothing of them: the next frame A gets is A's own next message
    await victim.send(chat_frame("A's own message"))
    mine = await victim.receive_until("chat_message")
    assert mine["message"]["message"] == "A's own message", mine
    assert [frame["type"] for frame in victim.received()] \
        == ["connection_established", "chat_message"], victim.received()

    # and A's room holds only A's message
    assert [m["message"] for m in customer.chat.history(chat_room["id"])] == ["A's own message"]
