"""Cross-site WebSocket hijacking: a socket whose handshake carries an Origin the backend does
not allow is refused, though the token is valid; the app (no Origin) and a page of the backend's
own origin connect (positive controls)."""

import allure
import pytest

from fixtures.ws import CHAT, CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, FOREIGN_ORIGINS, NOTIFICATIONS

pytestmark = [pytest.mark.anyio, pytest.mark.security]


async def opens(sockets, caller, socket: str, room: dict, origin: str | None) -> None:
    if socket == CHAT:
        opened = await sockets.open_chat(caller, room["id"], origin=origin)
    else:
        opened = await sockets.open_notifications(caller, origin=origin)
    await opened.close()


@allure.feature("Security: WebSocket")
@allure.story("Origin of the handshake")
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
@pytest.mark.parametrize("socket", [CHAT, NOTIFICATIONS])
async def test_a_socket_from_another_site_is_refused(customer, chat_room, sockets, socket, origin):
    # given the app (no Origin) and a page of the backend's own origin connect (positive controls)
    await opens(sockets, customer, socket, chat_room, origin=None)
    await opens(sockets, customer, socket, chat_room, origin=sockets.own_origin)

    # when a page of another site opens the socket with the customer's valid token
    refusal = await sockets.refusal(socket, token=customer.access, origin=origin,
                                    room_id=chat_room["id"] if socket == CHAT else None)

    # then it is refused before the server sends anything
    refusal.assert_refused(codes=(CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED))
