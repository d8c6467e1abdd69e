"""Resource consumption, WebSocket: a frame over 64 KB closes the socket with 1009 and nothing of
it is stored; a normal frame on the same socket is handled (positive control)."""

import json

import allure
import pytest

from fixtures.ws import CLOSE_TOO_BIG, chat_frame

pytestmark = [pytest.mark.anyio, pytest.mark.security]

OVER_64_KB = 64 * 1024 + 4096


@allure.feature("Security: WebSocket")
@allure.story("Oversized frames")
async def test_an_oversized_chat_frame_closes_the_socket_with_1009(customer, chat_room, sockets):
    socket = await sockets.open_chat(customer, chat_room["id"])

    # given a normal message is handled (positive control)
    await socket.send(chat_frame("A normal message."))
    normal = (await socket.receive_until("chat_message"))["message"]

    # when the client sends a frame over 64 KB
    oversized = json.dumps(chat_frame("x" * OVER_64_KB))
    assert len(oversized.encode()) > 64 * 1024
    await socket.send_raw(oversized)

    # then the server closes the socket with 1009, and only the normal message is stored
    await socket.expect_close(CLOSE_TOO_BIG)
    assert [m["id"] for m in customer.chat.history(chat_room["id"])] == [normal["id"]]


@allure.feature("Security: WebSocket")
@allure.story("Oversized frames")
async def test_an_oversized_notifications_frame_closes_the_socket_with_1009(customer, sockets):
    socket = await sockets.open_notifications(customer)

    # given a ping is answered (positive control)
    await socket.send({"type": "ping"})
    await socket.receive_until("pong")

    # when the client sends a ping padded over 64 KB
    await socket.send_raw(json.dumps({"type": "ping", "padding": "x" * OVER_64_KB}))

    # then the server closes the socket with 1009
    await socket.expect_close(CLOSE_TOO_BIG)
