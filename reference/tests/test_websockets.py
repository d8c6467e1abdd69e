"""The sockets (`/ws/chat/{room_id}/`, `/ws/notifications/`) through the whole ASGI
application with Channels' WebsocketCommunicator and the in-memory channel layer: the
handshake's refusals and close codes, frame limits, the chat's order and catch-up, and the
notification frames."""

import contextlib
import importlib.util
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from http import HTTPStatus
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from channels_redis.core import RedisChannelLayer
from django.urls import path
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from reference.accounts.models import PushToken, User
from reference.accounts.services import (
    password_reset_confirm,
    password_reset_request,
    user_deactivate,
)
from reference.chat import services as chat_services
from reference.chat.consumers import ChatConsumer
from reference.chat.models import Message
from reference.chat.presence import presence_online
from reference.common.websocket import QueryTokenAuthMiddleware, TokenBucket, origin_allowed
from reference.config import settings as config_settings
from reference.config.asgi import application
from reference.notifications.services import notification_send
from reference.orders.models import Order
from reference.orders.services import order_status_change
from reference.tests.conftest import ORDERS, address_for, authed, order_body

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
    pytest.mark.anyio,
]

TIMEOUT = 5
PHONE = "ExponentPushToken[phone0000000000000000]"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def token_for(user: User) -> str:
    return str(AccessToken.for_user(user))


@pytest.fixture
def order(customer_user: User, catalog) -> Order:
    client = authed(token_for(customer_user))
    response = client.post(
        ORDERS, order_body(address_for(customer_user), catalog), format="json"
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    return Order.objects.get(pk=response.json()["id"])


@pytest.fixture
def room(customer_user: User, staff_user: User, order: Order):
    room, _ = chat_services.room_open(user=customer_user, order=order)
    return room


def communicator(path: str, token: str | None = None, headers=None) -> WebsocketCommunicator:
    query = f"?token={token}" if token is not None else ""
    return WebsocketCommunicator(application, f"{path}{query}", headers=headers or [])


@contextlib.asynccontextmanager
async def opened(path: str, token: str, headers=None) -> AsyncIterator[tuple]:
    """A connected socket and its greeting frame; disconnected at the end."""
    socket = communicator(path, token, headers)
    accepted, _ = await socket.connect(timeout=TIMEOUT)
    assert accepted, f"{path} refused the handshake"
    greeting = await socket.receive_json_from(timeout=TIMEOUT)
    try:
        yield socket, greeting
    finally:
        await socket.disconnect(timeout=TIMEOUT)


async def close_code(socket: WebsocketCommunicator) -> int | str:
    """The code the server closed with, or "refused" for a handshake refused outright."""
    accepted, _ = await socket.connect(timeout=TIMEOUT)
    if not accepted:
        await socket.wait(TIMEOUT)
        return "refused"
    code = await closed_with(socket)
    await socket.disconnect(timeout=TIMEOUT)
    return code


async def closed_with(socket: WebsocketCommunicator) -> int:
    """The code of the server's close, which must come next (frames sent before it aside)."""
    output = await socket.receive_output(timeout=TIMEOUT)
    while output["type"] == "websocket.send":
        output = await socket.receive_output(timeout=TIMEOUT)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def frame_of(socket: WebsocketCommunicator, kind: str) -> dict:
    """The next frame, which must be of type `kind`."""
    frame = await socket.receive_json_from(timeout=TIMEOUT)
    assert frame["type"] == kind, frame
    return frame


def chat_path(room) -> str:
    return f"/ws/chat/{room.pk}/"


# --- handshake ---------------------------------------------------------------------------------


def _expired(user: User) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


def _deactivated(user: User) -> str:
    token = token_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    return token


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda user: None, id="no token"),
        pytest.param(lambda user: "not-a-jwt", id="garbage"),
        pytest.param(_expired, id="expired"),
        pytest.param(lambda user: str(RefreshToken.for_user(user)), id="refresh token"),
        pytest.param(lambda user: token_for(user)[:-4] + "AAAA", id="bad signature"),
        pytest.param(_deactivated, id="deactivated user"),
    ],
)
async def test_a_socket_without_a_valid_access_token_closes_with_4401(
    customer_user, room, make_token
):
    token = await database_sync_to_async(make_token)(customer_user)

    for socket_path in (chat_path(room), "/ws/notifications/"):
        assert await close_code(communicator(socket_path, token)) == 4401


def _expiring(user: User, seconds: float) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=seconds))
    return str(token)


async def test_an_open_socket_closes_with_4401_when_its_token_expires(customer_user, room):
    lasting = await database_sync_to_async(token_for)(customer_user)

    for socket_path in (chat_path(room), "/ws/notifications/"):
        short = await database_sync_to_async(_expiring)(customer_user, 2)
        # a socket of a token with minutes left stays open (positive control) ...
        async with opened(socket_path, lasting) as (kept, _):
            # ... while the other, whose token lasts 2 s, is closed as it expires
            async with opened(socket_path, short) as (ending, _):
                assert await closed_with(ending) == 4401
            chat = socket_path.startswith("/ws/chat/")
            await kept.send_json_to({"type": "sync", "after_seq": 0} if chat
                                    else {"type": "ping"})
            await frame_of(kept, "sync_complete" if chat else "pong")


def _deactivated_by_staff(user: User, staff_user: User, sms) -> None:
    user_deactivate(user=user, by=staff_user)


def _password_reset(user: User, staff_user: User, sms) -> None:
    password_reset_request(identifier=user.email)
    password_reset_confirm(identifier=user.email, code=sms.code_for(user.phone_number),
                           new_password="Another-Pass-2026")


@pytest.mark.parametrize("end_access", [_deactivated_by_staff, _password_reset],
                         ids=["deactivation", "password reset"])
async def test_ending_access_closes_the_users_open_sockets_and_no_one_elses(
    customer_user, make_user, staff_user, sms, room, end_access
):
    bystander = await database_sync_to_async(make_user)()
    async with opened("/ws/notifications/", token_for(bystander)) as (theirs, _), \
            opened("/ws/notifications/", token_for(customer_user)) as (notifications, _), \
            opened(chat_path(room), token_for(customer_user)) as (chat, _):
        # when the customer's access ends (their REST calls are refused from then on)
        await database_sync_to_async(end_access)(customer_user, staff_user, sms)

        # then both of the customer's sockets close 4401
        for socket in (notifications, chat):
            assert await closed_with(socket) == 4401
        # and the bystander's still answers
        await theirs.send_json_to({"type": "ping"})
        await frame_of(theirs, "pong")


async def test_a_room_that_is_not_yours_closes_with_4403(make_user, room):
    stranger = await database_sync_to_async(make_user)()
    token = token_for(stranger)

    assert await close_code(communicator(chat_path(room), token)) == 4403
    assert await close_code(communicator(f"/ws/chat/{uuid.uuid4()}/", token)) == 4403
    assert await close_code(communicator("/ws/chat/not-a-room/", token)) == "refused"
    assert await close_code(communicator("/ws/elsewhere/", token)) == "refused"


@pytest.mark.parametrize(
    ("origin", "allowed", "expected"),
    [
        ("http://localhost:8081", ["localhost"], True),
        ("https://app.example.in", [".example.in"], True),
        ("https://evil.example.com", ["localhost", ".example.in"], False),
        ("https://app.example.in", ["https://app.example.in"], True),
        ("https://app.example.in:443", ["https://app.example.in"], True),
        ("http://app.example.in", ["https://app.example.in"], False),
        ("https://app.example.in:8443", ["https://app.example.in"], False),
        ("http://[::1]:8000", ["[::1]"], True),
        ("null", ["localhost"], False),
        ("file://localhost", ["localhost"], False),
        ("https://anything.example", ["*"], True),
    ],
)
def test_origin_policy(origin, allowed, expected):
    assert origin_allowed(origin, allowed) is expected


async def test_a_browser_origin_must_be_allowed_but_a_missing_origin_is_fine(
    customer_user, settings
):
    settings.WS_ALLOWED_ORIGINS = ["localhost", "https://app.example.in"]
    token = token_for(customer_user)

    def with_origin(origin: str) -> WebsocketCommunicator:
        return communicator("/ws/notifications/", token, [(b"origin", origin.encode())])

    assert await close_code(with_origin("https://evil.example.com")) == "refused"
    for origin in ("http://localhost:8081", "https://app.example.in"):
        async with opened("/ws/notifications/", token,
                          [(b"origin", origin.encode())]) as (_, greeting):
            assert greeting["type"] == "connection_established"
    async with opened("/ws/notifications/", token) as (_, greeting):
        assert greeting["type"] == "connection_established"


# --- frame limits ------------------------------------------------------------------------------


async def test_a_frame_over_64_kb_closes_with_1009(customer_user, settings):
    async with opened("/ws/notifications/", token_for(customer_user)) as (socket, _):
        await socket.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 65_000}))
        await frame_of(socket, "pong")
        await socket.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 65_536}))
        output = await socket.receive_output(timeout=TIMEOUT)
        assert (output["type"], output["code"]) == ("websocket.close", 1009)


async def test_flooding_closes_with_1008(customer_user, settings):
    settings.WS_FLOOD_RATE = 1
    settings.WS_FLOOD_BURST = 5
    async with opened("/ws/notifications/", token_for(customer_user)) as (socket, _):
        await socket.send_json_to({"type": "ping"})
        await frame_of(socket, "pong")
        for _ in range(20):
            await socket.send_json_to({"type": "ping"})
        pongs = 0
        output = await socket.receive_output(timeout=TIMEOUT)
        while output["type"] == "websocket.send":
            pongs += 1
            output = await socket.receive_output(timeout=TIMEOUT)
        assert (output["type"], output["code"]) == ("websocket.close", 1008)
        # the burst allowed 5 frames in all; what came after the 5th was never handled
        assert pongs <= 4


async def test_a_flood_is_seen_at_its_arrival_rate_however_slow_the_handler(
    customer_user, room, settings
):
    settings.WS_FLOOD_RATE = 10
    settings.WS_FLOOD_BURST = 5
    original = chat_services.message_send

    def slow_send(**kwargs):
        time.sleep(0.2)
        return original(**kwargs)

    with mock.patch.object(chat_services, "message_send", slow_send):
        async with opened(chat_path(room), token_for(customer_user)) as (socket, _):
            for n in range(50):
                await socket.send_json_to({"type": "chat_message", "message": f"flood {n}"})
            output = await socket.receive_output(timeout=TIMEOUT)
            while output["type"] == "websocket.send":
                output = await socket.receive_output(timeout=TIMEOUT)
            assert (output["type"], output["code"]) == ("websocket.close", 1008)

    assert await database_sync_to_async(Message.objects.count)() <= 5


def test_the_token_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=3, clock=lambda: now[0])

    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.1
    assert [bucket.take(), bucket.take()] == [True, False]
    now[0] += 10
    assert sum(bucket.take() for _ in range(10)) == 3


async def test_invalid_frames_get_an_error_frame_and_the_socket_stays_open(customer_user, room):
    async with opened(chat_path(room), token_for(customer_user)) as (socket, _):
        for raw, code in [
            ("not json", "invalid_json"),
            ("[1, 2]", "invalid_frame"),
            ('{"message": "no type"}', "invalid_frame"),
            ('{"type": "shout"}', "unknown_type"),
            ('{"type": "chat_message", "message": ""}', "validation_error"),
            ('{"type": "chat_message", "message": "x", "image_id": "nope"}', "validation_error"),
            ('{"type": "typing", "is_typing": "perhaps"}', "validation_error"),
            ('{"type": "sync", "after_seq": -1}', "validation_error"),
        ]:
            await socket.send_to(text_data=raw)
            frame = await frame_of(socket, "error")
            assert frame["code"] == code, (raw, frame)
            assert frame["message"]
        await socket.send_to(bytes_data=b"\x00\x01")
        assert (await frame_of(socket, "error"))["code"] == "invalid_frame"
    assert await database_sync_to_async(Message.objects.count)() == 0


# --- chat --------------------------------------------------------------------------------------


async def test_two_participants_chat_and_each_message_is_stored_before_it_is_seen(
    customer_user, staff_user, room
):
    async with opened(chat_path(room), token_for(customer_user)) as (customer, hello), \
            opened(chat_path(room), token_for(staff_user)) as (staff, _):
        assert hello == {"type": "connection_established", "room_id": str(room.pk),
                         "last_seq": 0}

        await customer.send_json_to({"type": "typing", "is_typing": True})
        assert await frame_of(staff, "typing") == {
            "type": "typing", "user_id": str(customer_user.pk), "is_typing": True,
        }
        assert await customer.receive_nothing(timeout=0.2)

        await customer.send_json_to({"type": "chat_message", "message": "Hello",
                                     "client_id": "c-1"})
        mine = await frame_of(customer, "chat_message")
        theirs = await frame_of(staff, "chat_message")
        assert mine == theirs
        message = mine["message"]
        assert (message["seq"], message["message"], message["client_id"]) == (1, "Hello", "c-1")
        assert message["sender"] == {"id": str(customer_user.pk), "name": customer_user.full_name,
                                     "role": "customer"}
        # what a socket shows is in the REST history already
        history = await sync_to_async(
            authed(token_for(staff_user)).get
        )(f"/api/chat/rooms/{room.pk}/messages/")
        assert [m["id"] for m in history.json()["results"]] == [message["id"]]

        # and what REST stores reaches the sockets
        reply = await sync_to_async(authed(token_for(staff_user)).post)(
            f"/api/chat/rooms/{room.pk}/messages/", {"message": "Hi!"}, format="json"
        )
        assert reply.status_code == HTTPStatus.CREATED
        for socket in (customer, staff):
            assert (await frame_of(socket, "chat_message"))["message"]["seq"] == 2

        await customer.send_json_to({"type": "read", "up_to_seq": 2})
        for socket in (customer, staff):
            assert await frame_of(socket, "read") == {
                "type": "read", "user_id": str(customer_user.pk), "up_to_seq": 2,
            }


async def test_a_repeated_client_id_is_stored_and_broadcast_once(
    customer_user, staff_user, room
):
    async with opened(chat_path(room), token_for(customer_user)) as (customer, _), \
            opened(chat_path(room), token_for(staff_user)) as (staff, _):
        await customer.send_json_to({"type": "chat_message", "message": "Hi", "client_id": "x"})
        first = await frame_of(customer, "chat_message")
        await frame_of(staff, "chat_message")
        await customer.send_json_to({"type": "chat_message", "message": "Hi", "client_id": "x"})

        assert await frame_of(customer, "chat_message") == first
        assert await staff.receive_nothing(timeout=0.3)
    assert await database_sync_to_async(Message.objects.count)() == 1


async def test_sync_replays_every_later_message_in_order(customer_user, staff_user, room):
    def send_five() -> None:
        for n in range(1, 6):
            chat_services.message_send(room=room, sender=staff_user, message=f"m{n}")

    await database_sync_to_async(send_five)()

    async with opened(chat_path(room), token_for(customer_user)) as (socket, hello):
        assert hello["last_seq"] == 5
        await socket.send_json_to({"type": "sync", "after_seq": 2})
        replayed = [(await frame_of(socket, "chat_message"))["message"] for _ in range(3)]
        assert [(m["seq"], m["message"]) for m in replayed] == [(3, "m3"), (4, "m4"),
                                                                (5, "m5")]
        assert await frame_of(socket, "sync_complete") == {"type": "sync_complete",
                                                           "last_seq": 5}


async def test_a_socket_fills_a_gap_from_the_database_so_order_is_kept(
    customer_user, staff_user, room
):
    def send(text: str, broadcast: bool) -> None:
        if broadcast:
            chat_services.message_send(room=room, sender=staff_user, message=text)
            return
        # As when this broadcast is overtaken by the next one (two workers, two commits).
        with mock.patch.object(chat_services, "group_send"):
            chat_services.message_send(room=room, sender=staff_user, message=text)

    async with opened(chat_path(room), token_for(customer_user)) as (socket, _):
        await database_sync_to_async(send)("first", broadcast=False)
        await database_sync_to_async(send)("second", broadcast=False)
        await database_sync_to_async(send)("third", broadcast=True)

        got = [(await frame_of(socket, "chat_message"))["message"]["seq"] for _ in range(3)]
        assert got == [1, 2, 3]
        assert await socket.receive_nothing(timeout=0.2)


async def test_a_frame_naming_another_room_is_refused_and_goes_nowhere(
    customer_user, staff_user, room, make_user, catalog
):
    def other_room():
        user = make_user()
        client = authed(token_for(user))
        reply = client.post(ORDERS,
                            order_body(address_for(user), catalog), format="json")
        order = Order.objects.get(pk=reply.json()["id"])
        return chat_services.room_open(user=user, order=order)[0]

    elsewhere = await database_sync_to_async(other_room)()
    async with opened(chat_path(room), token_for(customer_user)) as (socket, _), \
            opened(chat_path(elsewhere), token_for(staff_user)) as (watcher, _):
        await socket.send_json_to({"type": "chat_message", "message": "psst",
                                   "room_id": str(elsewhere.pk)})

        assert (await frame_of(socket, "error"))["code"] == "wrong_room"
        assert await watcher.receive_nothing(timeout=0.3)
    assert await database_sync_to_async(Message.objects.count)() == 0


async def test_an_open_chat_socket_counts_as_online_until_it_closes(customer_user, room):
    async with opened(chat_path(room), token_for(customer_user)):
        assert await database_sync_to_async(presence_online)(room_id=room.pk,
                                                             user_id=customer_user.pk)
    assert not await database_sync_to_async(presence_online)(room_id=room.pk,
                                                             user_id=customer_user.pk)


async def test_a_socket_message_to_an_offline_recipient_is_pushed(
    customer_user, staff_user, room, expo
):
    await database_sync_to_async(PushToken.objects.create)(
        user=customer_user, token=PHONE, platform="android"
    )
    async with opened(chat_path(room), token_for(staff_user)) as (staff, _):
        await staff.send_json_to({"type": "chat_message", "message": "Your order is ready"})
        await frame_of(staff, "chat_message")
        async with opened(chat_path(room), token_for(customer_user)) as (customer, _):
            await staff.send_json_to({"type": "chat_message", "message": "Seen live"})
            await frame_of(customer, "chat_message")
            await frame_of(staff, "chat_message")

    assert [push["body"] for push in expo.received_by(PHONE)] == ["Your order is ready"]


def scaled_channel_layer(monkeypatch, redis_url: str) -> dict:
    """CHANNEL_LAYERS["default"] as the settings make it when LC_REDIS_URL is set."""
    monkeypatch.setenv("LC_REDIS_URL", redis_url)
    spec = importlib.util.spec_from_file_location("scaled_settings", config_settings.__file__)
    scaled = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scaled)
    return scaled.CHANNEL_LAYERS["default"]


def test_the_redis_layer_reads_longer_than_its_blocking_receive(monkeypatch):
    layer = scaled_channel_layer(monkeypatch, "redis://127.0.0.1:6379/0")

    [host] = layer["CONFIG"]["hosts"]
    # Otherwise an idle socket's receive times out in the client and its consumer dies.
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout


async def test_chat_works_across_two_workers_through_the_redis_layer(
    customer_user, staff_user, room, settings, monkeypatch
):
    """Two channel-layer instances on one Redis stand for two worker processes."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    layer = scaled_channel_layer(monkeypatch, url)
    layer["CONFIG"]["prefix"] = f"lc_test_{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {"default": layer, "other_worker": layer}

    class OtherWorkerChatConsumer(ChatConsumer):
        channel_layer_alias = "other_worker"

    other_worker = QueryTokenAuthMiddleware(
        URLRouter([path("ws/chat/<uuid:room_id>/", OtherWorkerChatConsumer.as_asgi())])
    )
    here = communicator(chat_path(room), token_for(customer_user))
    there = WebsocketCommunicator(other_worker,
                                  f"{chat_path(room)}?token={token_for(staff_user)}")
    try:
        assert (await here.connect(timeout=TIMEOUT))[0]
        assert (await there.connect(timeout=TIMEOUT))[0]
        await frame_of(here, "connection_established")
        await frame_of(there, "connection_established")

        await here.send_json_to({"type": "chat_message", "message": "across workers"})
        for socket in (here, there):
            frame = await frame_of(socket, "chat_message")
            assert frame["message"]["message"] == "across workers"
    finally:
        await here.disconnect(timeout=TIMEOUT)
        await there.disconnect(timeout=TIMEOUT)
        await get_channel_layer().flush()


# --- notifications -----------------------------------------------------------------------------


async def test_the_notification_socket_greets_pongs_and_marks_read(customer_user, make_user):
    def setup():
        mine = [notification_send(user=customer_user, type="system", title=f"n{n}", message="m")
                for n in range(2)]
        theirs = notification_send(user=make_user(), type="system", title="t", message="m")
        return mine, theirs

    mine, theirs = await database_sync_to_async(setup)()
    async with opened("/ws/notifications/", token_for(customer_user)) as (socket, hello):
        assert hello == {"type": "connection_established", "unread_count": 2}
        await socket.send_json_to({"type": "ping"})
        assert await frame_of(socket, "pong") == {"type": "pong"}

        await socket.send_json_to({"type": "mark_read", "notification_id": str(mine[0].pk)})
        assert await frame_of(socket, "unread_count") == {"type": "unread_count", "count": 1}
        await socket.send_json_to({"type": "mark_read", "notification_id": str(theirs.pk)})
        assert (await frame_of(socket, "error"))["code"] == "not_found"
        await socket.send_json_to({"type": "mark_read", "notification_id": "nope"})
        assert (await frame_of(socket, "error"))["code"] == "validation_error"
    theirs_now = await database_sync_to_async(type(theirs).objects.get)(pk=theirs.pk)
    assert theirs_now.is_read is False


async def test_a_status_change_reaches_the_customers_notification_socket(
    customer_user, staff_user, order, make_user, expo
):
    await database_sync_to_async(PushToken.objects.create)(
        user=customer_user, token=PHONE, platform="ios"
    )
    stranger = await database_sync_to_async(make_user)()
    async with opened("/ws/notifications/", token_for(customer_user)) as (socket, _), \
            opened("/ws/notifications/", token_for(stranger)) as (other, _):
        await database_sync_to_async(order_status_change)(
            order=order, status="confirmed", by=staff_user
        )

        update = await frame_of(socket, "order_update")
        assert set(update["order"]) == {"id", "order_number", "status", "payment_status",
                                        "updated_at"}
        assert (update["order"]["id"], update["order"]["status"]) == (str(order.pk),
                                                                      "confirmed")
        notification = (await frame_of(socket, "notification"))["notification"]
        assert (notification["type"], notification["title"]) == ("order_update",
                                                                  "Order confirmed")
        assert await frame_of(socket, "unread_count") == {"type": "unread_count", "count": 1}
        assert await other.receive_nothing(timeout=0.2)
    assert [push["title"] for push in expo.received_by(PHONE)] == ["Order confirmed"]


async def test_a_rest_mark_all_read_updates_the_socket(customer_user):
    await database_sync_to_async(notification_send)(
        user=customer_user, type="system", title="n", message="m"
    )
    async with opened("/ws/notifications/", token_for(customer_user)) as (socket, hello):
        assert hello["unread_count"] == 1
        reply = await sync_to_async(authed(token_for(customer_user)).post)(
            "/api/notifications/notifications/mark_all_read/"
        )
        assert reply.json() == {"count": 1}
        assert await frame_of(socket, "unread_count") == {"type": "unread_count", "count": 0}

