"""WebSocket authentication: a socket opened with no token, a forged one (alg none, another
key, not a JWT), a refresh token or an expired token is refused (handshake 403, or accepted and
closed 4401 before any frame); the genuine token opens it (positive control)."""

import allure
import pytest

from fixtures import tokens
from fixtures.findings import Blocked
from fixtures.ws import CHAT, NOTIFICATIONS

pytestmark = [pytest.mark.anyio, pytest.mark.security]

HOUR = 3600
SOCKETS = [CHAT, NOTIFICATIONS]


async def opens(sockets, caller, socket: str, room: dict, token: str | bool = True) -> None:
    """Positive control: the socket opens with `token` (default the caller's own) and greets."""
    if socket == CHAT:
        opened = await sockets.open_chat(caller, room["id"], token=token)
    else:
        opened = await sockets.open_notifications(caller, token=token)
    await opened.close()


FORGERIES = {
    "no token": lambda caller: None,
    "empty token": lambda caller: "",
    "alg none": lambda caller: tokens.unsigned(caller.access),
    "signed with another key": lambda caller: tokens.signed_with(caller.access,
                                                                 tokens.WRONG_KEY),
    "user id edited": lambda caller: tokens.edited(
        caller.access, **{tokens.user_claim(caller.access, caller.id): "0"}),
    "not a JWT": lambda caller: "ExponentPushToken[not-a-jwt]",
    "refresh token": lambda caller: caller.refresh,
}


@allure.feature("Security: WebSocket")
@allure.story("Sockets without a valid token")
@pytest.mark.parametrize("forgery", sorted(FORGERIES))
@pytest.mark.parametrize("socket", SOCKETS)
async def test_a_socket_without_a_valid_token_is_refused(customer, chat_room, sockets, socket,
                                                         forgery):
    # given the customer's own token opens the socket (positive control)
    await opens(sockets, customer, socket, chat_room)

    # when the socket is opened with no token or a forged one
    refusal = await sockets.refusal(socket, token=FORGERIES[forgery](customer),
                                    room_id=chat_room["id"] if socket == CHAT else None)

    # then it is refused before the server sends anything
    refusal.assert_unauthenticated()


@allure.feature("Security: WebSocket")
@allure.story("Sockets without a valid token")
@pytest.mark.needs_signing_key
@pytest.mark.parametrize("socket", SOCKETS)
async def test_a_socket_with_an_expired_token_is_refused(customer, chat_room, sockets, target,
                                                         socket):
    if not target.jwt_signing_key:
        raise Blocked("the expired-token case mints tokens with the target's signing key; "
                      "none was given (--jwt-signing-key)")

    # given a token minted with the target's key and a future expiry opens the socket (positive
    # control: the key is right, so a refusal below is about the expiry alone)
    fresh = tokens.signed_with(customer.access, target.jwt_signing_key,
                               **tokens.lifetime(starts_in=-60, lasts=HOUR))
    await opens(sockets, customer, socket, chat_room, token=fresh)

    # when the same token expired a minute ago
    expired = tokens.signed_with(customer.access, target.jwt_signing_key,
                                 **tokens.lifetime(starts_in=-HOUR - 60, lasts=HOUR))
    refusal = await sockets.refusal(socket, token=expired,
                                    room_id=chat_room["id"] if socket == CHAT else None)

    # then it is refused
    refusal.assert_unauthenticated()
