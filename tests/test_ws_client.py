"""The WebSocket client of the harness against a stand-in socket server on loopback: it opens
past `connection_established`, checks every frame against the contract, fails waits at their
deadline naming the socket, and recognises both kinds of refusal (handshake status, close code)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from http import HTTPStatus
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from fixtures.config import Target
from fixtures.findings import ContractFinding
from fixtures.ws import FrameTimeout, SocketClosed, Sockets

pytestmark = [pytest.mark.anyio]


def token_of(path: str) -> str | None:
    return parse_qs(urlsplit(path).query).get("token", [None])[0]


def refuse_handshake(connection: ServerConnection, request):
    if token_of(request.path) == "refuse":
        return connection.respond(HTTPStatus.FORBIDDEN, "refused\n")
    return None


async def stand_in_socket(socket: ServerConnection) -> None:
    """`/ws/notifications/` as the tokens ask: `good` is served (ping -> pong, `bye` -> 1008),
    `close` is accepted and closed 4401, `weird` gets a frame the contract lacks, `mute` hears
    nothing."""
    token = token_of(socket.request.path)
    if token == "close":
        await socket.close(4401, "no valid token")
        return
    if token == "mute":
        await socket.wait_closed()
        return
    await socket.send(json.dumps({"type": "connection_established", "unread_count": 0}))
    if token == "weird":
        await socket.send(json.dumps({"type": "surprise"}))
    try:
        async for text in socket:
            frame = json.loads(text)
            if frame.get("type") == "ping":
                await socket.send(json.dumps({"type": "pong"}))
            elif frame.get("type") == "bye":
                await socket.close(1008, "flooding")
    except ConnectionClosed:
        return


@pytest.fixture
async def sockets() -> AsyncIterator[Sockets]:
    async with serve(stand_in_socket, "127.0.0.1", 0,
                     process_request=refuse_handshake) as server:
        port = server.sockets[0].getsockname()[1]
        opener = Sockets(Target(base_url=f"http://127.0.0.1:{port}",
                                ws_url=f"ws://127.0.0.1:{port}"))
        try:
            yield opener
        finally:
            await opener.close_all()


def caller(token: str) -> SimpleNamespace:
    return SimpleNamespace(access=token, session=SimpleNamespace(name="asha"))


async def test_a_socket_opens_past_connection_established_and_answers(sockets):
    socket = await sockets.open_notifications(caller("good"))
    assert socket.established == {"type": "connection_established", "unread_count": 0}

    await socket.send({"type": "ping"})

    assert await socket.receive_until("pong", timeout=5) == {"type": "pong"}
    assert any(" -> " in line for line in socket.transcript.lines)
    assert any(" <- " in line for line in socket.transcript.lines)


async def test_a_wait_fails_at_its_deadline_naming_the_socket_and_the_frame(sockets):
    socket = await sockets.open_notifications(caller("good"))

    with pytest.raises(FrameTimeout) as caught:
        await socket.receive_until("order_update", timeout=0.2)

    assert "asha notifications (/ws/notifications/)" in str(caught.value)
    assert "`order_update`" in str(caught.value)


async def test_a_frame_the_contract_lacks_is_a_deviation_the_case_goes_past(
        sockets, monkeypatch):
    noted = []
    monkeypatch.setattr("fixtures.frames.note", lambda finding, effect: noted.append(finding))
    socket = await sockets.open_notifications(caller("weird"))

    frame = await socket.receive(timeout=5)

    assert frame["type"] == "surprise"
    assert [finding.kind for finding in noted] == ["shape"]
    assert "'surprise'" in noted[0].got
    # a field the frame lacks, read by a step, blocks naming the field
    with pytest.raises(ContractFinding) as caught:
        frame["notification"]
    assert "`notification`" in caught.value.finding.expected


async def test_a_close_by_the_server_is_awaited_with_its_code(sockets):
    socket = await sockets.open_notifications(caller("good"))

    await socket.send_raw(json.dumps({"type": "bye"}))

    closure = await socket.expect_close(1008, timeout=5)
    assert closure.reason == "flooding"
    with pytest.raises(SocketClosed):
        await socket.receive(timeout=1)


async def test_a_refused_handshake_is_a_refusal(sockets):
    refusal = await sockets.refusal("notifications", token="refuse")

    assert refusal.status == HTTPStatus.FORBIDDEN
    refusal.assert_unauthenticated()
    refusal.assert_forbidden()


async def test_an_accepted_socket_closed_with_4401_is_a_refusal(sockets):
    refusal = await sockets.refusal("notifications", token="close")

    assert refusal.code == 4401
    refusal.assert_unauthenticated()
    with pytest.raises(AssertionError):
        refusal.assert_forbidden()


async def test_an_accepted_socket_is_no_refusal(sockets):
    served = await sockets.refusal("notifications", token="good")
    silent = await sockets.refusal("notifications", token="mute", timeout=0.3)

    assert served.frames
    assert not served.refused
    assert silent.stayed_open
    assert not silent.refused
    for refusal in (served, silent):
        with pytest.raises(AssertionError, match="expected a refusal"):
            refusal.assert_refused()


async def test_a_refused_socket_that_a_case_needs_is_a_finding(sockets):
    with pytest.raises(ContractFinding) as caught:
        await sockets.open_notifications(caller("refuse"))

    assert caught.value.finding.call == "WS /ws/notifications/"
    assert "HTTP 403" in caught.value.finding.got


async def test_every_socket_is_closed_after_the_test(sockets):
    first = await sockets.open_notifications(caller("good"))
    second = await sockets.open_notifications(caller("good"))

    await sockets.close_all()

    assert not first.is_open
    assert not second.is_open
