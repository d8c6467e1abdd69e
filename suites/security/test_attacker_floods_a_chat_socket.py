"""Resource consumption, WebSocket: a client that sends frames back to back is closed with 1008
within a bounded number of frames, and only what came before the close is stored; a person's
pace on the same socket is fine (positive control)."""

import allure
import pytest

from fixtures.ws import CLOSE_POLICY_VIOLATION, chat_frame

pytestmark = [pytest.mark.anyio, pytest.mark.security]

NORMAL = 6
NORMAL_INTERVAL = 0.25  # 4 frames a second: faster than anyone types
FLOOD = 500
CLOSED_WITHIN = 200


@allure.feature("Security: WebSocket")
@allure.story("Flooding")
async def test_a_flooding_socket_is_closed_with_1008(customer, chat_room, sockets):
    socket = await sockets.open_chat(customer, chat_room["id"])

    # given messages at a person's pace all go through (positive control)
    await socket.send_paced([chat_frame(f"Message {n} at a normal pace")
                             for n in range(1, NORMAL + 1)], interval=NORMAL_INTERVAL)
    assert len(await socket.receive_n("chat_message", NORMAL)) == NORMAL
    assert socket.is_open

    # when the client sends 500 messages back to back
    sent = await socket.send_many(chat_frame(f"Flood {n}") for n in range(1, FLOOD + 1))

    # then the server closes the socket with 1008 after at most 200 of them
    closure = await socket.expect_close(CLOSE_POLICY_VIOLATION, timeout=30)
    accepted = len(socket.received("chat_message")) - NORMAL
    assert accepted <= CLOSED_WITHIN, (
        f"{accepted} of {sent} flood frames were handled before the {closure}")

    # and the room stores the normal messages and no more than the flood frames it handled
    history = customer.chat.history(chat_room["id"])
    assert NORMAL <= len(history) <= NORMAL + CLOSED_WITHIN
    assert [m["message"] for m in history[:NORMAL]] \
        == [f"Message {n} at a normal pace" for n in range(1, NORMAL + 1)]
