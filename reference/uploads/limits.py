"""Middleware that refuses request bodies over the limit before Django reads them: for the
ASGI application (`BodyLimitMiddleware`) and for the WSGI one (`BodyLimitWsgiMiddleware`).

Django's ASGI handler reads the whole body into a temporary file before any view runs, so a
view can only refuse a 50 MB upload after the server has taken all 50 MB. This middleware,
wrapped around the Django app in `reference.config.asgi`, answers 413 (`request_too_large`):

- at once, without reading a byte of the body, when the Content-Length is over the limit;
- as soon as the count passes the limit, when a body without Content-Length streams in
  (chunked): the app is then told the client went away, and whatever it sends is dropped.

The limit is LC_UPLOAD_MAX_BYTES plus a multipart allowance (64 KB) on the upload paths and
DATA_UPLOAD_MAX_MEMORY_SIZE (what the JSON parser accepts) on every other path. The upload view
checks the file's own size exactly; this is the coarse, early guard.

The 413 goes out on a connection that stays open: uvicorn discards the rest of a refused body
instead of buffering it, and closing the socket with unread data in it would make the kernel
reset the connection, which can destroy the 413 before the client has read it.

Under WSGI (gunicorn, behind the scaled profile's nginx) the guard is the Content-Length alone:
nginx refuses a body far over the limit while it streams in and hands every other one on with
its length, and Django's WSGI handler reads no body that comes without one.
"""

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from django.conf import settings

from reference.common.exceptions import error_body

Scope = MutableMapping[str, Any]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PATHS = frozenset({"/api/mobile/upload-image/", "/api/chat/upload/"})


def body_limit(path: str) -> int | None:
    """The most bytes a request body to `path` may have (None: no limit)."""
    if path in UPLOAD_PATHS:
        return settings.UPLOAD_MAX_BYTES + settings.UPLOAD_MULTIPART_ALLOWANCE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _refusal(path: str) -> bytes:
    if path in UPLOAD_PATHS:
        limit = settings.UPLOAD_MAX_BYTES
        message = f"The photo is too large: the most we take is {limit / 1024 / 1024:g} MB."
    else:
        message = "The request body is too large."
    body = error_body(message=message, code="request_too_large")
    return json.dumps(body, separators=(",", ":")).encode()


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _refusal_headers(body: bytes) -> list[tuple[str, str]]:
    return [
        ("content-type", "application/json"),
        ("content-length", str(len(body))),
        ("x-content-type-options", "nosniff"),
    ]


async def _refuse(send: Send, path: str) -> None:
    body = _refusal(path)
    headers = [(name.encode(), value.encode()) for name, value in _refusal_headers(body)]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _CountingBody:
    """Counts the body as the app pulls it; refuses once the count passes the limit."""

    def __init__(self, *, path: str, limit: int, receive: Receive, send: Send) -> None:
        self.path = path
        self.limit = limit
        self._receive = receive
        self._send = send
        self.received = 0
        self.refused = False
        self.response_started = False

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.refused = True
                if not self.response_started:
                    self.response_started = True
                    await _refuse(self._send, self.path)
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)


class BodyLimitMiddleware:
    """Wraps an ASGI app; see the module docstring."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = body_limit(path)
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, path)
            return
        body = _CountingBody(path=path, limit=limit, receive=receive, send=send)
        await self.app(scope, body.receive, body.send)


class BodyLimitWsgiMiddleware:
    """Wraps a WSGI app: a body whose Content-Length is over the path's limit is refused (413)
    before the app reads a byte of it; see the module docstring."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        limit = body_limit(path)
        declared = environ.get("CONTENT_LENGTH", "")
        if limit is not None and declared.isdigit() and int(declared) > limit:
            body = _refusal(path)
            start_response("413 Request Entity Too Large", _refusal_headers(body))
            return [body]
        return self.app(environ, start_response)
