"""A small stand-in target that serves part of the contract badly, the way an unintegrated
backend does: some calls missing (HTML 404), some answering the wrong shape, some HTML 500s.

It also answers the sandbox's SMS inbox, so that registration can reach OTP verification.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

NOT_FOUND_PAGE = "<!doctype html><html><body><h1>Not Found</h1></body></html>"
SERVER_ERROR_PAGE = "<!doctype html><html><body><h1>Server Error (500)</h1></body></html>"
NOW = "2026-11-26T10:00:00+05:30"
DEBUG_PAGE = ("<!DOCTYPE html><html><head><title>Page not found at /api/debug-me/</title></head>"
              "<body><p>Using the URLconf defined in <code>laundry.urls</code>, Django tried "
              "these URL patterns, in this order:</p><ol><li>admin/</li><li>api/</li></ol>"
              "<p>You're seeing this error because you have <code>DEBUG = True</code></p>"
              "</body></html>")


def build_app() -> Starlette:
    inbox: dict[str, list[dict]] = {}

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def register(request: Request) -> JSONResponse:
        body = await request.json()
        user = {"id": str(uuid.uuid4()), "email": body.get("email", ""),
                "phone_number": body.get("phone_number", ""),
                "full_name": body.get("full_name", ""), "role": "customer",
                "is_verified": False, "created_at": NOW, "updated_at": NOW}
        inbox.setdefault(user["phone_number"], []).append(
            {"to": user["phone_number"], "from": "+15005550006", "created_at": NOW,
             "body": "Your LaundryConnect verification code is 123456."})
        return JSONResponse({"user": user, "tokens": {"access": "a", "refresh": "r"}},
                            status_code=201)

    async def login(request: Request) -> JSONResponse:
        # the wrong shape: tokens nested and no user
        return JSONResponse({"token": {"access": "a"}})

    async def categories(request: Request) -> JSONResponse:
        # a page whose rows lack most fields of the contract
        return JSONResponse({"count": 1, "next": None, "previous": None,
                             "results": [{"id": 1, "title": "Wash"}]})

    async def items(request: Request) -> HTMLResponse:
        return HTMLResponse(SERVER_ERROR_PAGE, status_code=500)

    async def notifications(request: Request) -> JSONResponse:
        # a served route whose pages past the end are a JSON 404, as DRF answers them
        return JSONResponse({"detail": "Invalid page."}, status_code=404)

    async def debug(request: Request) -> HTMLResponse:
        return HTMLResponse(DEBUG_PAGE, status_code=404)

    async def cors(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True}, headers={
            "Access-Control-Allow-Origin": request.headers.get("origin", "*"),
            "Access-Control-Allow-Credentials": "true"})

    async def sms(request: Request) -> JSONResponse:
        return JSONResponse({"results": inbox.get(request.query_params.get("to", ""), [])})

    async def not_found(request: Request, exc: Exception) -> HTMLResponse:
        return HTMLResponse(NOT_FOUND_PAGE, status_code=404)

    return Starlette(
        routes=[
            Route("/api/health/", health),
            Route("/api/accounts/auth/register/", register, methods=["POST"]),
            Route("/api/accounts/auth/login/", login, methods=["POST"]),
            Route("/api/services/categories/", categories),
            Route("/api/services/items/", items),
            Route("/api/notifications/notifications/", notifications),
            Route("/api/debug-me/", debug),
            Route("/api/cors/", cors),
            Route("/_sandbox/sms/", sms),
            Route("/_sandbox/health/", health),
        ],
        exception_handlers={404: not_found, 405: not_found},
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Serves `app` on a free loopback port in a thread; yields its URL; stops it after."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the stand-in target did not start within 10 s")
        time.sleep(0.02)  # poll for the server's start, with a deadline
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
