"""Builds the sandbox application: every emulator's routes, the control API, one SandboxState."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TextIO

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox import control, gateway, push, sms
from sandbox.state import SandboxConfig, SandboxState

MAX_BODY_BYTES = 1024 * 1024


class RequestLog:
    """Writes one line per HTTP request: time, client, method, path, status, duration, fault."""

    def __init__(self, app: ASGIApp, stream: TextIO | None = None) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = HTTPStatus.INTERNAL_SERVER_ERROR.value
        # Handlers note the fault they played in request.state, which lives in scope["state"].
        request_state = scope.setdefault("state", {})

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            client = scope.get("client") or ("-", 0)
            path = scope["path"]
            if scope.get("query_string"):
                path += "?" + scope["query_string"].decode("latin-1")
            line = (
                f"{datetime.now(UTC).isoformat(timespec='milliseconds')} {client[0]} "
                f"{scope['method']} {path} {status} {elapsed_ms:.1f}ms"
            )
            if "fault" in request_state:
                line += f" fault={request_state['fault']}"
            print(line, file=self.stream or sys.stdout, flush=True)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(f"/{sms.API_VERSION}/"):
        if exc.status_code == HTTPStatus.NOT_FOUND:
            return sms.twilio_error(
                exc.status_code, 20404, f"The requested resource {request.url.path} was not found"
            )
        return sms.twilio_error(exc.status_code, exc.status_code, exc.detail, headers=exc.headers)
    if request.url.path.startswith("/v1/"):
        description = f"{exc.detail}: {request.method} {request.url.path}"
        if exc.status_code == HTTPStatus.NOT_FOUND:
            description = f"The requested URL was not found on the server: {request.url.path}"
        return gateway.razorpay_error(exc.status_code, description)
    if request.url.path.startswith(f"{push.API_PREFIX}/"):
        return push.expo_errors(
            exc.status_code, "API_ERROR", f"{exc.detail}: {request.method} {request.url.path}"
        )
    return JSONResponse(
        {"error": f"{exc.detail}: {request.method} {request.url.path}"},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def create_app(config: SandboxConfig | None = None, log_stream: TextIO | None = None) -> Starlette:
    """The sandbox app; `config` defaults to the LC_SANDBOX_* environment variables."""
    app = Starlette(
        routes=[*sms.routes(), *gateway.routes(), *push.routes(), *control.routes()],
        middleware=[Middleware(RequestLog, stream=log_stream)],
        exception_handlers={HTTPException: _http_error},
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.sandbox = SandboxState(config or SandboxConfig.from_env(), log_stream)
    return app
