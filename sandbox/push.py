"""Push emulator, wire-compatible with Expo's push API as `exponent_server_sdk` (2.x) calls it,
plus the push part of the control API (a device's inbox, unregistering a device).

The SDK posts a JSON array of messages to `/--/api/v2/push/send` (a message's `to` may be one
token or a list) and expects `{"data": [ticket, ...]}` with one ticket per recipient, in order;
a whole-request problem is `{"errors": [{"code", "message"}]}`. Receipts come from
`/--/api/v2/push/getReceipts` as `{"data": {"<ticket id>": receipt}}`. A message whose ticket is
ok lands in the device's inbox (`GET /_sandbox/push/?token=`).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import uuid
import zlib
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.control import control_error
from sandbox.state import sandbox_state

API_PREFIX = "/--/api/v2"
MAX_MESSAGES = 100
MAX_RECEIPT_IDS = 1000
MAX_PAYLOAD_BYTES = 4096
PUSH_TOKEN = re.compile(r"Expo(nent)?PushToken\[[^\]]+\]")
PRIORITIES = ("default", "normal", "high")
REQUEST_FAULTS = ("http_5xx", "slow", "timeout")


def expo_errors(status: int, code: str, message: str) -> JSONResponse:
    """A whole-request error as Expo writes it (the SDK raises PushServerError with `errors`)."""
    return JSONResponse(
        {"errors": [{"code": code, "message": message, "isTransient": status >= 500}]},
        status_code=status,
    )


class _Invalid(Exception):
    """A request Expo refuses whole, with a VALIDATION_ERROR."""


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    encoding = request.headers.get("content-encoding", "identity").lower()
    try:
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
    except (OSError, zlib.error) as error:
        raise _Invalid(f"the {encoding} request body could not be decompressed: {error}") from None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _Invalid(f"the request body is not JSON: {error}") from None


def _recipients(index: int, message: Any) -> list[tuple[str, dict[str, Any]]]:
    """One (token, message as that device gets it) per recipient of `message`."""
    if not isinstance(message, dict):
        raise _Invalid(f'"[{index}]" must be an object')
    to = message.get("to")
    tokens = to if isinstance(to, list) else [to]
    if not tokens or not all(isinstance(token, str) and token for token in tokens):
        raise _Invalid(f'"[{index}].to" must be a push token or a non-empty array of them')
    if "data" in message and not isinstance(message["data"], dict | None):
        raise _Invalid(f'"[{index}].data" must be an object')
    if message.get("priority") is not None and message["priority"] not in PRIORITIES:
        raise _Invalid(f'"[{index}].priority" must be one of {", ".join(PRIORITIES)}')
    for field in ("ttl", "expiration", "badge"):
        value = message.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise _Invalid(f'"[{index}].{field}" must be a non-negative integer')
    for field in ("title", "body", "subtitle", "sound", "channelId", "categoryId"):
        value = message.get(field)
        if value is not None and not isinstance(value, str | dict):
            raise _Invalid(f'"[{index}].{field}" must be a string')
    return [(token, {**message, "to": token}) for token in tokens]


def _payload_bytes(message: dict[str, Any]) -> int:
    """The size Expo limits (approximated as the compact UTF-8 JSON of the message)."""
    return len(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode())


def _not_registered(token: str) -> dict[str, Any]:
    return {
        "status": "error",
        "message": f'"{token}" is not a registered push notification recipient',
        "details": {"error": "DeviceNotRegistered", "expoPushToken": token},
    }


async def _apply_fault(request: Request, tokens: list[str]) -> Response | None:
    """Play the fault of the first recipient token that has one; None means answer normally."""
    state = sandbox_state(request)
    fault = None
    for token in dict.fromkeys(tokens):
        fault = state.faults.take("push", {"token": token}, REQUEST_FAULTS)
        if fault is not None:
            break
    if fault is None:
        return None
    request.state.fault = fault.fault
    if fault.fault == "slow":
        await asyncio.sleep(fault.seconds or 0)
        return None
    if fault.fault == "timeout":
        await asyncio.sleep(fault.seconds or 0)
        return expo_errors(HTTPStatus.GATEWAY_TIMEOUT, "GATEWAY_TIMEOUT",
                           "Gateway Timeout (sandbox fault timeout)")
    return expo_errors(fault.status or HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_SERVER_ERROR",
                       "An unknown error occurred. (sandbox fault http_5xx)")


async def push_send(request: Request) -> Response:
    state = sandbox_state(request)
    try:
        body = await _json_body(request)
        messages = body if isinstance(body, list) else [body]
        recipients = [
            recipient
            for index, message in enumerate(messages)
            for recipient in _recipients(index, message)
        ]
    except _Invalid as error:
        return expo_errors(HTTPStatus.BAD_REQUEST, "VALIDATION_ERROR", str(error))
    if len(recipients) > MAX_MESSAGES:
        return expo_errors(
            HTTPStatus.BAD_REQUEST,
            "PUSH_TOO_MANY_NOTIFICATIONS",
            f"You are trying to send {len(recipients)} push notifications in one request; "
            f"the limit is {MAX_MESSAGES}.",
        )
    faulted = await _apply_fault(request, [token for token, _ in recipients])
    if faulted is not None:
        return faulted
    tickets = []
    for token, message in recipients:
        if not PUSH_TOKEN.fullmatch(token) or state.push.is_unregistered(token):
            tickets.append(_not_registered(token))
            continue
        size = _payload_bytes(message)
        if size > MAX_PAYLOAD_BYTES:
            tickets.append({
                "status": "error",
                "message": f"Message too big: the payload is {size} bytes, the limit is "
                f"{MAX_PAYLOAD_BYTES}.",
                "details": {"error": "MessageTooBig"},
            })
            continue
        receipt_id = str(uuid.uuid4())
        state.push.deliver(token, message, receipt_id)
        tickets.append({"status": "ok", "id": receipt_id})
    return JSONResponse({"data": tickets})


async def push_receipts(request: Request) -> Response:
    """Receipts of ok tickets; a token unregistered since then reports DeviceNotRegistered.

    Unknown ids are left out, as Expo does for receipts that are not ready or have expired.
    """
    state = sandbox_state(request)
    try:
        body = await _json_body(request)
    except _Invalid as error:
        return expo_errors(HTTPStatus.BAD_REQUEST, "VALIDATION_ERROR", str(error))
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
        return expo_errors(HTTPStatus.BAD_REQUEST, "VALIDATION_ERROR",
                           '"ids" must be an array of receipt id strings')
    if len(ids) > MAX_RECEIPT_IDS:
        return expo_errors(HTTPStatus.BAD_REQUEST, "PUSH_TOO_MANY_RECEIPTS",
                           f"You are trying to get more than {MAX_RECEIPT_IDS} receipts at once.")
    tokens = {receipt_id: state.push.receipt_token(receipt_id) for receipt_id in ids}
    known = {receipt_id: token for receipt_id, token in tokens.items() if token is not None}
    faulted = await _apply_fault(request, list(known.values()))
    if faulted is not None:
        return faulted
    receipts = {
        receipt_id: _not_registered(token) if state.push.is_unregistered(token) else
        {"status": "ok"}
        for receipt_id, token in known.items()
    }
    return JSONResponse({"data": receipts})


async def inbox(request: Request) -> Response:
    """What a device received, oldest first, each message as sent; every message without token."""
    return JSONResponse({"results": sandbox_state(request).push.received_by(
        request.query_params.get("token"))})


async def unregister(request: Request) -> Response:
    """From now on, `token` answers DeviceNotRegistered (tickets and receipts)."""
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return control_error(HTTPStatus.BAD_REQUEST, f"the request body is not JSON: {error}")
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        return control_error(HTTPStatus.BAD_REQUEST,
                             'send {"token": "ExponentPushToken[...]"} to unregister a device')
    sandbox_state(request).push.unregister(token)
    return JSONResponse({"token": token, "registered": False})


def routes() -> list[Route]:
    return [
        Route(f"{API_PREFIX}/push/send", push_send, methods=["POST"]),
        Route(f"{API_PREFIX}/push/getReceipts", push_receipts, methods=["POST"]),
        Route("/_sandbox/push/", inbox, methods=["GET"]),
        Route("/_sandbox/push/unregister/", unregister, methods=["POST"]),
    ]
