"""WebSocket authentication over time: a socket is checked at the handshake, but it stays open
for as long as the app runs. When its token expires, or staff deactivate its user, it is closed
4401 like a socket opened without a valid token (the REST calls with that token are refused
from then on); the other sockets stay open and answer (positive control)."""

import time

import allure
import pytest

from fixtures import tokens
from fixtures.findings import Blocked
from fixtures.ws import CLOSE_UNAUTHENTICATED

pytestmark = [pytest.mark.anyio, pytest.mark.security]

HOUR = 3600
# the short token's life: long enough to open the socket and see it greet, short enough to wait
LIFETIME_SECONDS = 4
# how long past the expiry the server may take to close (its clock, the close's travel)
GRACE_SECONDS = 10


async def answers(socket) -> None:
    """The socket is open and served: a ping gets its pong."""
    await socket.send({"type": "ping"})
    await socket.receive_until("pong")


@allure.feature("Security: WebSocket")
@allure.story("Sockets outliving their access")
@pytest.mark.needs_signing_key
async def test_an_open_socket_closes_when_its_token_expires(customer, sockets, target, run):
    if not target.jwt_signing_key:
        raise Blocked("the case mints a short-lived token with the target's signing key; "
                      "none was given (--jwt-signing-key)")
    if run.max_wait < LIFETIME_SECONDS + GRACE_SECONDS:
        raise Blocked(f"the case waits up to {LIFETIME_SECONDS + GRACE_SECONDS} s for a token "
                      f"to expire, more than --max-wait ({run.max_wait:g} s)", kind="limit")

    # given a socket whose token has an hour left (positive control: the key is right)
    lasting = await sockets.open_notifications(
        customer, name="hour token", token=tokens.signed_with(
            customer.access, target.jwt_signing_key, **tokens.lifetime(starts_in=0, lasts=HOUR)))
    # and one whose token expires in a few seconds, which opens and answers meanwhile
    expiry = time.time() + LIFETIME_SECONDS
    ending = await sockets.open_notifications(
        customer, name="short token", token=tokens.signed_with(
            customer.access, target.jwt_signing_key,
            **tokens.lifetime(starts_in=0, lasts=LIFETIME_SECONDS)))
    await answers(ending)

    # when the short token expires, the server closes its socket 4401
    closure = await ending.expect_close(
        CLOSE_UNAUTHENTICATED, timeout=expiry - time.time() + GRACE_SECONDS)
    allure.attach(str(closure), name="closure", attachment_type=allure.attachment_type.TEXT)

    # and the other socket of the same user is still served
    await answers(lasting)


@allure.feature("Security: WebSocket")
@allure.story("Sockets outliving their access")
@pytest.mark.needs_staff
async def test_deactivation_closes_the_customers_open_sockets(customer, chat_room, other_customer,
                                                              sockets, staff):
    # given a customer with a notifications socket and the chat socket of an order, both served
    notifications = await sockets.open_notifications(customer)
    chat = await sockets.open_chat(customer, chat_room["id"])
    await answers(notifications)
    await chat.send({"type": "sync", "after_seq": 0})
    await chat.receive_until("sync_complete")
    # and a bystander's socket
    theirs = await sockets.open_notifications(other_customer)

    # when staff deactivate the customer
    staff.accounts.deactivate_user(customer.id)

    # then both of the customer's sockets are closed 4401
    for socket in (notifications, chat):
        await socket.expect_close(CLOSE_UNAUTHENTICATED, timeout=GRACE_SECONDS)
    # and the bystander's socket is still served
    await answers(theirs)
