"""The sandbox's own API under `/_sandbox/`, for tests and people (never for the backend).

This module holds what is common (health, faults) and the SMS inbox; the gateway's and push's
control calls (checkout, webhooks, a device's inbox) live beside their emulators in `gateway/`
and `push.py`, and answer errors the same way: JSON `{"error": "<what was wrong and what is
allowed>", ...}` with status 400 or 404.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.faults import FAULT_TABLE, FaultError
from sandbox.state import sandbox_state


def control_error(status: int, message: str, **details: object) -> JSONResponse:
    return JSONResponse({"error": message, **details}, status_code=status)


def phone_query(value: str | None) -> str | None:
    """An E.164 number from a query string, where an unencoded `+` arrives as a space."""
    if value is None:
        return None
    value = value.strip()
    if value[:1].isdigit():
        return "+" + value
    return value


async def health(request: Request) -> Response:
    emulated = sorted(name for name, table in FAULT_TABLE.items() if table.emulated)
    return JSONResponse({"status": "ok", "emulated": emulated})


async def sms_inbox(request: Request) -> Response:
    """What a phone received, oldest first; every message when `to` is absent."""
    to = phone_query(request.query_params.get("to"))
    messages = sandbox_state(request).sms.received_by(to)
    results = [
        {
            "to": message["to"],
            "from": message["from"],
            "body": message["body"],
            "created_at": message["created_at"],
            "sid": message["sid"],
        }
        for message in messages
    ]
    return JSONResponse({"results": results})


class Faults(HTTPEndpoint):
    """`/_sandbox/faults/`: POST switches one on, GET lists them, DELETE switches all off."""

    async def post(self, request: Request) -> Response:
        return await faults_add(request)

    async def get(self, request: Request) -> Response:
        return JSONResponse(
            {"results": [fault.as_json() for fault in sandbox_state(request).faults.all()]}
        )

    async def delete(self, request: Request) -> Response:
        return JSONResponse({"deleted": sandbox_state(request).faults.clear()})


async def faults_add(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return control_error(HTTPStatus.BAD_REQUEST, f"the request body is not JSON: {error}")
    try:
        fault = sandbox_state(request).faults.add(body)
    except FaultError as error:
        return control_error(HTTPStatus.BAD_REQUEST, error.message, **error.details)
    return JSONResponse(fault.as_json(), status_code=HTTPStatus.CREATED)


async def fault_delete(request: Request) -> Response:
    fault_id = request.path_params["fault_id"]
    if not sandbox_state(request).faults.remove(fault_id):
        return control_error(
            HTTPStatus.NOT_FOUND,
            f"no fault with id {fault_id!r} (it may have expired after its `times`)",
        )
    return JSONResponse({"deleted": 1})


def routes() -> list[Route]:
    return [
        Route("/_sandbox/health/", health, methods=["GET"]),
        Route("/_sandbox/sms/", sms_inbox, methods=["GET"]),
        Route("/_sandbox/faults/", Faults),
        Route("/_sandbox/faults/{fault_id}/", fault_delete, methods=["DELETE"]),
    ]
