"""What every WebSocket of the contract shares (`/ws/...`, contract "WebSockets").

- `OriginValidator`: refuses the handshake (403) when an `Origin` header is present and not
  allowed (LC_WS_ALLOWED_ORIGINS). A missing Origin is allowed: native apps and other
  non-browser clients send none, and a browser always does, so cross-site pages are still
  refused. (Channels' AllowedHostsOriginValidator refuses a missing Origin.)
- `QueryTokenAuthMiddleware`: `?token=<access JWT>`, checked by SimpleJWT as the REST calls
  check the Authorization header (signature, expiry, token type, active user, password
  version). The user, or AnonymousUser, goes into `scope["user"]`, the token's expiry into
  `scope["token_expires_at"]`.
- `FrameConsumer`: JSON frames with a `type`; no user -> close 4401, and an open socket is
  closed 4401 when its token expires, or its user is deactivated or resets the password
  (`sessions_revoke`), as a REST call with that token would be refused from then on; a frame over
  WS_MAX_FRAME_BYTES -> close 1009, with the closing handshake, once the frame is read
  whole (the launcher gives uvicorn's `--ws-max-size` 16 times more, as a hard cap only: a
  server that refuses while reading leaves bytes unread and resets the connection); more
  frames than the token bucket allows -> 1008.
- `group_send`: hands a frame to every socket of a channel-layer group, from sync code.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import async_to_sync
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import is_same_domain
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.utils.encoders import JSONEncoder
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

logger = logging.getLogger(__name__)

CLOSE_POLICY_VIOLATION = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
FRAME_EVENT = "frame.send"
REVOKE_EVENT = "session.revoked"
# Frames and events a socket may have waiting; a socket that falls this far behind is closed.
MAX_PENDING_JOBS = 1000

Frame = dict[str, Any]


def db(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run ORM code from a consumer in a worker thread of the pool.

    Channels' `database_sync_to_async` runs every call of the process in one shared thread;
    a slow call there (a push to the devices of an offline recipient waits up to
    EXPO_TIMEOUT_SECONDS) would stall every socket of the worker.
    """
    return DatabaseSyncToAsync(func, thread_sensitive=False)


def frame_plain(frame: Mapping[str, Any]) -> Frame:
    """`frame` with only JSON types (UUIDs, datetimes, Decimals rendered as the REST replies
    render them), as the Redis channel layer's msgpack can carry it."""
    return json.loads(json.dumps(frame, cls=JSONEncoder))


def group_send(
    *, group: str, frames: Sequence[Mapping[str, Any]], event: str = FRAME_EVENT
) -> None:
    """Send `frames`, in order, to every socket in `group` (from sync code). A consumer's
    handler of `event` gets each as `{"type": event, "frame": frame}`; the default one passes
    it on as it is."""
    layer = get_channel_layer()
    for frame in frames:
        async_to_sync(layer.group_send)(group, {"type": event, "frame": frame_plain(frame)})


def sessions_group(*, user_id: Any) -> str:
    """The channel-layer group of every socket a user has open."""
    return f"sessions.{user_id}"


def sessions_revoke(*, user_id: Any) -> None:
    """Close every socket the user has open (4401), in every worker (from sync code)."""
    async_to_sync(get_channel_layer().group_send)(
        sessions_group(user_id=user_id), {"type": REVOKE_EVENT}
    )


# --- handshake ---------------------------------------------------------------------------------


def origin_allowed(origin: str, allowed: Sequence[str]) -> bool:
    """Whether a browser page of `origin` may open a socket.

    An entry with a scheme (`https://app.example.in`) must match scheme, host and port; a bare
    host pattern as in ALLOWED_HOSTS (`localhost`, `.example.in`) matches that host on http or
    https and any port; `*` matches everything.
    """
    try:
        parts = urlsplit(origin.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in {"http", "https"} or not host:
        return False
    default_port = {"http": 80, "https": 443}[parts.scheme]
    for entry in allowed:
        entry = entry.strip().lower()
        if entry == "*":
            return True
        if "://" in entry:
            try:
                wanted = urlsplit(entry)
                wanted_port = wanted.port
            except ValueError:
                continue
            if (
                wanted.scheme == parts.scheme
                and (wanted.hostname or "") == host
                and (wanted_port or default_port) == (port or default_port)
            ):
                return True
        elif is_same_domain(host, entry.strip("[]")):
            return True
    return False


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class OriginValidator:
    """Refuses (handshake 403) a socket whose Origin header is present and not allowed."""

    def __init__(self, application: Callable, allowed: Sequence[str] | None = None) -> None:
        self.application = application
        self.allowed = allowed

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "websocket":
            origin = _header(scope, b"origin")
            allowed = self.allowed if self.allowed is not None else settings.WS_ALLOWED_ORIGINS
            if origin is not None and not origin_allowed(origin, allowed):
                logger.info("websocket refused: origin %r is not allowed", origin[:200])
                return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def user_from_token(token: str | None) -> tuple[Any, float | None]:
    """The active user an access token names and when the token expires (epoch seconds), or
    AnonymousUser and None for anything else."""
    if not token:
        return AnonymousUser(), None
    authentication = JWTAuthentication()
    try:
        validated = authentication.get_validated_token(token.encode())
        return authentication.get_user(validated), float(validated["exp"])
    except (InvalidToken, TokenError, AuthenticationFailed, KeyError):
        return AnonymousUser(), None


class QueryTokenAuthMiddleware(BaseMiddleware):
    """Puts the user of `?token=<access JWT>` (or AnonymousUser) into `scope["user"]` and the
    token's expiry into `scope["token_expires_at"]`."""

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        scope = dict(scope)
        query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
        tokens = query.get("token") or [None]
        scope["user"], scope["token_expires_at"] = await db(user_from_token)(tokens[-1])
        return await super().__call__(scope, receive, send)


# --- frames ------------------------------------------------------------------------------------


class TokenBucket:
    """`rate` frames a second on average, bursts of up to `burst`."""

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class FrameConsumer(AsyncWebsocketConsumer):
    """A socket of JSON frames, each an object with a `type`.

    Subclasses implement `open()` (the user is signed in: check access, join groups, accept,
    greet) and `handlers()` (client frame type -> coroutine taking the frame). An invalid frame
    gets an `error {code, message}` frame; the socket stays open.

    Each frame is checked (size, flood) the moment it arrives and then queued; one task works
    through the queue, together with the channel-layer events, in arrival order. Were frames
    handled as they are read, a slow handler (a database write) would pace the reading, and a
    flood would look like a client at the handler's speed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closing = False
        self.joined: list[str] = []
        self.jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self.worker: asyncio.Task | None = None
        self.expiry: asyncio.Task | None = None

    async def connect(self) -> None:
        self.bucket = TokenBucket(rate=settings.WS_FLOOD_RATE, burst=settings.WS_FLOOD_BURST)
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        await self.join(sessions_group(user_id=self.user.pk))
        await self.open()
        if not self.closing:
            self.worker = asyncio.create_task(self._work())
            expires_at = self.scope.get("token_expires_at")
            if expires_at is not None:
                self.expiry = asyncio.create_task(self._close_at(expires_at))

    async def _close_at(self, expires_at: float) -> None:
        """Close the socket (4401) when its token expires: the app reconnects with a fresh one."""
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        logger.info("websocket closed: the token of user %s expired", self.user.pk)
        await self.shut(CLOSE_UNAUTHENTICATED)

    async def session_revoked(self, event: dict) -> None:
        """The user was deactivated or reset the password (`sessions_revoke`): their sockets
        close as their tokens stop working."""
        logger.info("websocket closed: the sessions of user %s were revoked", self.user.pk)
        await self.shut(CLOSE_UNAUTHENTICATED)

    async def open(self) -> None:
        raise NotImplementedError

    def handlers(self) -> dict[str, Callable[[Frame], Awaitable[None]]]:
        raise NotImplementedError

    async def refuse(self, code: int) -> None:
        """Accept, then close with `code`, so that the client can read why (4401, 4403)."""
        await self.accept()
        await self.shut(code)

    async def shut(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            await self.close(code=code)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.append(group)

    async def disconnect(self, code: int) -> None:
        self.closing = True
        for task in (self.worker, self.expiry):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []

    async def dispatch(self, message: dict) -> None:
        """Socket events now; channel-layer events in turn with the client's frames."""
        if message["type"].startswith("websocket."):
            await super().dispatch(message)
        else:
            await self._later(partial(AsyncWebsocketConsumer.dispatch, self, message))

    async def _later(self, job: Callable[[], Awaitable[None]]) -> None:
        if self.jobs.qsize() >= MAX_PENDING_JOBS:
            logger.warning("websocket closed: %d events wait for a slow socket", MAX_PENDING_JOBS)
            await self.shut(CLOSE_TRY_AGAIN_LATER)
            return
        self.jobs.put_nowait(job)

    async def _work(self) -> None:
        while not self.closing:
            job = await self.jobs.get()
            if self.closing:
                return
            try:
                await job()
            except Exception:
                logger.exception("websocket frame handling failed")
                await self.shut(CLOSE_INTERNAL_ERROR)

    async def send_frame(self, frame: Mapping[str, Any]) -> None:
        if not self.closing:
            await self.send(text_data=json.dumps(frame, cls=JSONEncoder))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_frame({"type": "error", "code": code, "message": message})

    async def frame_send(self, event: dict) -> None:
        """A frame handed to the group (`group_send`): passed on as it is."""
        await self.send_frame(event["frame"])

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.WS_MAX_FRAME_BYTES:
            await self.shut(CLOSE_TOO_BIG)
            return
        if not self.bucket.take():
            logger.info("websocket closed for flooding: user %s", self.user.pk)
            await self.shut(CLOSE_POLICY_VIOLATION)
            return
        await self._later(partial(self._handle, text_data))

    async def _handle(self, text_data: str | None) -> None:
        if text_data is None:
            await self.send_error("invalid_frame", "Send JSON objects as text frames.")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.send_error("invalid_json", "The frame is not valid JSON.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("invalid_frame", "A frame is a JSON object with a `type`.")
            return
        handler = self.handlers().get(frame["type"])
        if handler is None:
            known = ", ".join(sorted(self.handlers()))
            await self.send_error(
                "unknown_type", f"Unknown frame type {frame['type'][:50]!r}; send one of {known}."
            )
            return
        await handler(frame)
