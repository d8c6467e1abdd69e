"""Request plumbing: an authenticated `/v1/` call, the API faults played around it, the
attributes a fault is matched on, Razorpay's lists; and the control calls' JSON body and errors.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox import webhooks
from sandbox.control import control_error
from sandbox.gateway.entities import json_copy
from sandbox.gateway.errors import ControlError, RazorpayError, not_found, server_error
from sandbox.state import RAZORPAY_TEST_KEY_PREFIX, GatewayStore, SandboxState, sandbox_state
from sandbox.webhooks import Event

API_FAULTS = ("http_5xx", "slow", "timeout")
# The fault attributes of a call about no order or payment (customers, tokens, lists).
NO_SUBJECT: Mapping[str, str | None] = {"order_id": None, "receipt": None, "payment_id": None}
MAX_COUNT = 100


@dataclass(frozen=True)
class Call:
    """One authenticated API request: who sent it and its JSON body."""

    request: Request
    state: SandboxState
    key_id: str
    body: dict[str, Any]

    @property
    def store(self) -> GatewayStore:
        return self.state.gateway


def _authenticate(request: Request, state: SandboxState) -> str:
    """The key id of a request with the sandbox's test credentials; else Razorpay's 401."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        key_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        key_id, secret = "", ""
    hint = (
        " (the sandbox accepts only the test key set by LC_SANDBOX_RAZORPAY_KEY_ID and "
        "LC_SANDBOX_RAZORPAY_KEY_SECRET)"
    )
    if scheme.lower() != "basic" or not key_id:
        raise RazorpayError(
            "Please provide your api key for authentication purposes." + hint,
            status=HTTPStatus.UNAUTHORIZED,
        )
    if not key_id.startswith(RAZORPAY_TEST_KEY_PREFIX):
        raise RazorpayError(
            f"The api key {key_id[:9]}... is not a test key: the sandbox refuses anything but "
            f"{RAZORPAY_TEST_KEY_PREFIX} keys, and a live key must never be sent to it" + hint,
            status=HTTPStatus.UNAUTHORIZED,
        )
    valid = hmac.compare_digest(
        key_id.encode(), state.config.razorpay_key_id.encode()
    ) and hmac.compare_digest(secret.encode(), state.config.razorpay_key_secret.encode())
    if not valid:
        raise RazorpayError(
            "The api key/secret provided is invalid" + hint, status=HTTPStatus.UNAUTHORIZED
        )
    return key_id


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RazorpayError(f"The request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise RazorpayError("The request body must be a JSON object")
    return body


Handler = Callable[[Call], Awaitable[Response]]


def api_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an API handler: authentication, the JSON body, and Razorpay's error replies."""

    async def endpoint(request: Request) -> Response:
        state = sandbox_state(request)
        try:
            key_id = _authenticate(request, state)
            body = await _json_object(request) if request.method != "GET" else {}
            return await handler(Call(request, state, key_id, body))
        except RazorpayError as error:
            return error.response()

    endpoint.__name__ = handler.__name__
    return endpoint


async def serve(
    call: Call,
    attributes: Mapping[str, str | None],
    perform: Callable[[], tuple[Any, list[Event]]],
) -> Response:
    """Play the API fault matching `attributes`, if any, around `perform` (run under the lock).

    http_5xx refuses before anything changes; slow waits, then answers; timeout carries the call
    out, then holds it and answers 504, as when a reply is lost on its way back.
    """
    state = call.state
    fault = state.faults.take(
        "gateway", {**attributes, "key_id": call.key_id, "event": None}, API_FAULTS
    )
    if fault is not None:
        call.request.state.fault = fault.fault
        if fault.fault == "http_5xx":
            return server_error(
                fault.status or HTTPStatus.INTERNAL_SERVER_ERROR,
                "The server encountered an error. The incident has been reported to admins. "
                "(sandbox fault http_5xx)",
            )
        if fault.fault == "slow":
            await asyncio.sleep(fault.seconds or 0)
    with call.store.lock:
        body, events = perform()
    webhooks.emit(state, call.key_id, events)
    if fault is not None and fault.fault == "timeout":
        await asyncio.sleep(fault.seconds or 0)
        return server_error(
            HTTPStatus.GATEWAY_TIMEOUT,
            "Gateway Timeout (sandbox fault timeout: the request was carried out, its reply "
            "was lost)",
        )
    return JSONResponse(body)


def attributes_of_order(store: GatewayStore, order_id: str) -> dict[str, str | None]:
    with store.lock:
        order = store.orders.get(order_id)
        if order is None:
            raise not_found()
        return {"order_id": order_id, "receipt": order["receipt"], "payment_id": None}


def attributes_of_payment(store: GatewayStore, payment_id: str) -> dict[str, str | None]:
    with store.lock:
        payment = store.payments.get(payment_id)
        if payment is None:
            raise not_found()
        order = store.orders[payment["order_id"]]
        return {"order_id": order["id"], "receipt": order["receipt"], "payment_id": payment_id}


def collection(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"entity": "collection", "count": len(items), "items": items}


def page(request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Newest first, `skip` then `count` (default 10, at most 100), as Razorpay lists."""
    params = request.query_params
    try:
        count = int(params.get("count", "10"))
        skip = int(params.get("skip", "0"))
    except ValueError:
        raise RazorpayError("The count and skip must be integers.", field="count") from None
    if not 1 <= count <= MAX_COUNT:
        raise RazorpayError(f"The count must be between 1 and {MAX_COUNT}.", field="count")
    if skip < 0:
        raise RazorpayError("The skip must be at least 0.", field="skip")
    # The stores keep insertion order, which is creation order even within one second.
    newest_first = items[::-1]
    return collection([json_copy(item) for item in newest_first[skip : skip + count]])


async def control_json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ControlError(HTTPStatus.BAD_REQUEST, f"the request body is not JSON: {error}"
                            ) from None
    if not isinstance(body, dict):
        raise ControlError(HTTPStatus.BAD_REQUEST, "the request body must be a JSON object")
    return body


def control_endpoint(handler: Callable[[Request], Awaitable[Response]]
                     ) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a control handler: a ControlError it raises becomes the control API's JSON error."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ControlError as error:
            return control_error(error.status, error.message, **error.details)

    endpoint.__name__ = handler.__name__
    return endpoint
