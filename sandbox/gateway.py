"""Payment gateway emulator, wire-compatible with Razorpay's API as the official `razorpay` SDK
(2.0.x) calls it, plus the gateway's part of the control API.

The SDK sends basic auth `key_id:key_secret`, JSON bodies (`Content-type: application/json`) and
GET parameters as a query string to `/v1/...`, and reads JSON back; an error is
`{"error": {"code", "description", "field", "source", "step", "reason", "metadata"}}`, which the
SDK raises as BadRequestError, GatewayError or ServerError after `code`. Amounts are integer
paise; ids are `<prefix>_` and 14 base62 characters; `created_at` is unix seconds.

A test plays the paying customer through `POST /_sandbox/checkout/`, which authorizes (and, unless
the order asked otherwise, captures) or fails a payment and raises the webhooks (`webhooks.py`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import webhooks
from sandbox.control import control_error
from sandbox.state import (
    RAZORPAY_TEST_KEY_PREFIX,
    GatewayStore,
    SandboxState,
    WebhookSettings,
    webhook_setting_error,
    webhook_url_error,
)
from sandbox.webhooks import Event, razorpay_id, sign

API_FAULTS = ("http_5xx", "slow", "timeout")
# The fault attributes of a call about no order or payment (customers, tokens, lists).
NO_SUBJECT: Mapping[str, str | None] = {"order_id": None, "receipt": None, "payment_id": None}
CURRENCY = "INR"
MIN_AMOUNT = 100  # paise: Razorpay's minimum is INR 1.00
MAX_RECEIPT_CHARS = 40
MAX_NOTES = 15
MAX_NOTE_CHARS = 256
MAX_COUNT = 100
METHODS = ("upi", "card", "netbanking", "wallet")
SUCCESS_VPA = "success@razorpay"
FAILURE_VPA = "failure@razorpay"
VPA = re.compile(r"[A-Za-z0-9._\-]{2,256}@[A-Za-z][A-Za-z0-9.\-]{1,64}")
# Test cards the issuer declines; any other Luhn-valid number (4111 1111 1111 1111) succeeds.
FAILING_CARDS = frozenset({"4000000000000002"})
# IIN prefixes -> network, as Razorpay names them; the first match wins.
CARD_NETWORKS = (
    (("34", "37"), "American Express"),
    (("300", "301", "302", "303", "304", "305", "36", "38"), "Diners Club"),
    (("6011",), "Discover"),
    (("3528", "3529", "353", "354", "355", "356", "357", "358"), "JCB"),
    (("508", "60", "65", "81", "82"), "RuPay"),
    (("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27"), "MasterCard"),
    (("4",), "Visa"),
    (("50", "56", "57", "58", "63", "67"), "Maestro"),
)
ORDER_FIELDS = frozenset(
    {"amount", "currency", "receipt", "notes", "payment_capture", "partial_payment",
     "first_payment_min_amount", "customer_id", "method"}
)
# A per-process key for card fingerprints, so that not even a hash of a number outlives it.
_FINGERPRINT_KEY = secrets.token_bytes(32)


class RazorpayError(Exception):
    """A refusal in Razorpay's error JSON; the SDK raises it after `code`."""

    def __init__(
        self,
        description: str,
        *,
        status: int = HTTPStatus.BAD_REQUEST,
        code: str = "BAD_REQUEST_ERROR",
        field: str | None = None,
        source: str = "business",
        step: str = "payment_initiation",
        reason: str = "input_validation_failed",
    ) -> None:
        super().__init__(description)
        self.status = status
        self.body = {
            "code": code,
            "description": description,
            "field": field,
            "source": source,
            "step": step,
            "reason": reason,
            "metadata": {},
        }

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.body}, status_code=self.status)


def razorpay_error(status: int, description: str, **options: Any) -> JSONResponse:
    """An error reply in Razorpay's JSON (for the app's 404 and 405 handler)."""
    return RazorpayError(description, status=status, **options).response()


def _server_error(status: int, description: str) -> JSONResponse:
    return razorpay_error(
        status, description, code="SERVER_ERROR", source="NA", step="NA", reason="NA"
    )


def _not_found() -> RazorpayError:
    return RazorpayError("The id provided does not exist", field="id")


def _now() -> int:
    return int(time.time())


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


# --- request plumbing --------------------------------------------------------------------------


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


def _api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an API handler: authentication, the JSON body, and Razorpay's error replies."""

    async def endpoint(request: Request) -> Response:
        state = _state(request)
        try:
            key_id = _authenticate(request, state)
            body = await _json_object(request) if request.method != "GET" else {}
            return await handler(Call(request, state, key_id, body))
        except RazorpayError as error:
            return error.response()

    endpoint.__name__ = handler.__name__
    return endpoint


async def _serve(
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
            return _server_error(
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
        return _server_error(
            HTTPStatus.GATEWAY_TIMEOUT,
            "Gateway Timeout (sandbox fault timeout: the request was carried out, its reply "
            "was lost)",
        )
    return JSONResponse(body)


def _attributes_of_order(store: GatewayStore, order_id: str) -> dict[str, str | None]:
    with store.lock:
        order = store.orders.get(order_id)
        if order is None:
            raise _not_found()
        return {"order_id": order_id, "receipt": order["receipt"], "payment_id": None}


def _attributes_of_payment(store: GatewayStore, payment_id: str) -> dict[str, str | None]:
    with store.lock:
        payment = store.payments.get(payment_id)
        if payment is None:
            raise _not_found()
        order = store.orders[payment["order_id"]]
        return {"order_id": order["id"], "receipt": order["receipt"], "payment_id": payment_id}


def _no_other_fields(body: Mapping[str, Any], allowed: frozenset[str] | set[str]) -> None:
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise RazorpayError(f"{', '.join(extra)} is/are not required and should not be sent",
                            field=extra[0])


def _amount(value: Any, field: str = "amount") -> int:
    if value is None:
        raise RazorpayError(f"The {field} field is required.", field=field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RazorpayError(f"The {field} must be an integer (paise), got {value!r}.", field=field)
    if value < MIN_AMOUNT:
        raise RazorpayError(f"The {field} must be atleast INR 1.00 ({MIN_AMOUNT} paise).",
                            field=field)
    return value


def _currency(value: Any) -> str:
    if value is None:
        raise RazorpayError("The currency field is required.", field="currency")
    if value != CURRENCY:
        raise RazorpayError(f"Currency {value!r} is not supported; the sandbox takes INR.",
                            field="currency")
    return value


def _notes(value: Any) -> dict[str, Any] | list[Any]:
    if value is None or value == []:
        return []
    if not isinstance(value, dict):
        raise RazorpayError("The notes must be an object of key-value pairs.", field="notes")
    if len(value) > MAX_NOTES:
        raise RazorpayError(
            f"Number of fields in notes should be less than or equal to {MAX_NOTES}, "
            f"got {len(value)}.",
            field="notes",
        )
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise RazorpayError(f"The notes.{key} must be a string or a number.", field="notes")
        if len(str(item)) > MAX_NOTE_CHARS:
            raise RazorpayError(
                f"The notes.{key} may not be greater than {MAX_NOTE_CHARS} characters.",
                field="notes",
            )
    return dict(value)


def _flag(value: Any, field: str, default: bool) -> bool:
    if value is None:
        return default
    if value in (True, 1, "1", "true"):
        return True
    if value in (False, 0, "0", "false"):
        return False
    raise RazorpayError(f"The {field} must be 0 or 1 (or a boolean), got {value!r}.", field=field)


def _collection(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"entity": "collection", "count": len(items), "items": items}


def _page(request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
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
    return _collection([_copy(item) for item in newest_first[skip : skip + count]])


def _copy(entity: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(entity))


# --- entities ----------------------------------------------------------------------------------


def _new_order(amount: int, currency: str, receipt: str | None, notes: Any) -> dict[str, Any]:
    return {
        "id": razorpay_id("order"),
        "entity": "order",
        "amount": amount,
        "amount_paid": 0,
        "amount_due": amount,
        "currency": currency,
        "receipt": receipt,
        "offer_id": None,
        "status": "created",
        "attempts": 0,
        "notes": notes,
        "created_at": _now(),
    }


def _new_payment(order: dict[str, Any], amount: int, method: str,
                 details: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": razorpay_id("pay"),
        "entity": "payment",
        "amount": amount,
        "currency": order["currency"],
        "status": "created",
        "order_id": order["id"],
        "invoice_id": None,
        "international": False,
        "method": method,
        "amount_refunded": 0,
        "refund_status": None,
        "captured": False,
        "description": None,
        "card_id": None,
        "card": None,
        "bank": None,
        "wallet": None,
        "vpa": None,
        "email": details.get("email"),
        "contact": details.get("contact"),
        "customer_id": details.get("customer_id"),
        "token_id": details.get("token_id"),
        "notes": [],
        "fee": None,
        "tax": None,
        "error_code": None,
        "error_description": None,
        "error_source": None,
        "error_step": None,
        "error_reason": None,
        "acquirer_data": {},
        "created_at": _now(),
    }


def _card_network(number: str) -> str:
    for prefixes, network in CARD_NETWORKS:
        if number.startswith(prefixes):
            return network
    return "Unknown"


def _card_entity(number: str, name: str | None) -> dict[str, Any]:
    return {
        "id": razorpay_id("card"),
        "entity": "card",
        "name": name,
        "last4": number[-4:],
        "network": _card_network(number),
        "type": "credit",
        "issuer": None,
        "international": False,
        "emi": False,
        "sub_type": "consumer",
        "token_iin": None,
    }


def _luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


@dataclass(frozen=True)
class CardInput:
    """Card details as a customer types them; never stored, never echoed."""

    number: str
    expiry_month: int
    expiry_year: int
    name: str | None


def _card_input(card: Any, prefix: str = "card") -> CardInput:
    """Validate card details (number, expiry, cvv); raise a RazorpayError naming the field."""
    if not isinstance(card, dict):
        raise RazorpayError(f"The {prefix} field is required and must be an object.",
                            field=prefix)
    number = str(card.get("number") or "").replace(" ", "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn_valid(number):
        raise RazorpayError("The card number is invalid.", field=f"{prefix}.number")
    try:
        month = int(card.get("expiry_month"))
        year = int(card.get("expiry_year"))
    except (TypeError, ValueError):
        raise RazorpayError("The card expiry_month and expiry_year must be numbers.",
                            field=f"{prefix}.expiry_month") from None
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise RazorpayError("The card expiry_month must be from 1 to 12.",
                            field=f"{prefix}.expiry_month")
    today = datetime.now(UTC)
    if (year, month) < (today.year, today.month):
        raise RazorpayError("The card has expired.", field=f"{prefix}.expiry_year")
    cvv = str(card.get("cvv") or "")
    if not cvv.isdigit() or len(cvv) not in (3, 4):
        raise RazorpayError("The card cvv must be 3 or 4 digits.", field=f"{prefix}.cvv")
    name = card.get("name")
    if name is not None and not isinstance(name, str):
        raise RazorpayError("The card name must be a string.", field=f"{prefix}.name")
    return CardInput(number=number, expiry_month=month, expiry_year=year, name=name)


def _event(
    name: str,
    order: dict[str, Any],
    payment: dict[str, Any],
    *,
    refund: dict[str, Any] | None = None,
    with_order: bool = False,
) -> Event:
    """An event carrying snapshots of its entities, in Razorpay's `contains` order."""
    entities = {"refund": refund, "payment": payment, "order": order if with_order else None}
    return Event(
        name=name,
        payload={key: {"entity": _copy(value)} for key, value in entities.items() if value},
        order_id=order["id"],
        payment_id=payment["id"],
        receipt=order["receipt"],
        refund_id=refund["id"] if refund else None,
    )


def _capture(store: GatewayStore, payment: dict[str, Any]) -> list[Event]:
    """Capture an authorized payment (under the lock): fee and tax, the order paid."""
    order = store.orders[payment["order_id"]]
    fee_without_tax = payment["amount"] * 2 // 100
    tax = fee_without_tax * 18 // 100
    payment.update(status="captured", captured=True, fee=fee_without_tax + tax, tax=tax)
    order["amount_paid"] += payment["amount"]
    order["amount_due"] = max(order["amount"] - order["amount_paid"], 0)
    order["status"] = "paid"
    return [
        _event("payment.captured", order, payment),
        _event("order.paid", order, payment, with_order=True),
    ]


def _refund(store: GatewayStore, payment_id: str, body: Mapping[str, Any]
            ) -> tuple[dict[str, Any], list[Event]]:
    """Refund part or all of what is left of a captured payment (under the lock)."""
    payment = store.payments.get(payment_id)
    if payment is None:
        raise _not_found()
    if payment["status"] == "refunded":
        raise RazorpayError("The payment has been fully refunded already", field="payment_id")
    if payment["status"] != "captured":
        raise RazorpayError(
            f"Only captured payments can be refunded; payment {payment_id} is "
            f"{payment['status']}",
            field="payment_id",
        )
    refundable = payment["amount"] - payment["amount_refunded"]
    amount = refundable if body.get("amount") is None else _amount(body.get("amount"))
    if amount > refundable:
        raise RazorpayError(
            f"The refund amount provided is greater than amount captured: {amount} paise asked, "
            f"{refundable} of {payment['amount']} left to refund.",
            field="amount",
        )
    receipt = body.get("receipt")
    if receipt is not None and (not isinstance(receipt, str) or len(receipt) > MAX_RECEIPT_CHARS):
        raise RazorpayError(f"The receipt must be a string of at most {MAX_RECEIPT_CHARS} "
                            "characters.", field="receipt")
    speed = body.get("speed", "normal")
    if speed not in ("normal", "optimum"):
        raise RazorpayError("The speed must be normal or optimum.", field="speed")
    refund = {
        "id": razorpay_id("rfnd"),
        "entity": "refund",
        "amount": amount,
        "currency": payment["currency"],
        "payment_id": payment_id,
        "notes": _notes(body.get("notes")),
        "receipt": receipt,
        "acquirer_data": {"arn": None},
        "created_at": _now(),
        "batch_id": None,
        # Test-mode refunds are processed at once.
        "status": "processed",
        "speed_processed": "normal",
        "speed_requested": speed,
    }
    store.refunds[refund["id"]] = refund
    payment["amount_refunded"] += amount
    full = payment["amount_refunded"] == payment["amount"]
    payment["refund_status"] = "full" if full else "partial"
    if full:
        payment["status"] = "refunded"
    order = store.orders[payment["order_id"]]
    events = [
        _event(name, order, payment, refund=refund)
        for name in ("refund.created", "refund.processed")
    ]
    return _copy(refund), events


# --- /v1 orders --------------------------------------------------------------------------------


async def orders_create(call: Call) -> Response:
    body = call.body
    _no_other_fields(body, ORDER_FIELDS)
    amount = _amount(body.get("amount"))
    currency = _currency(body.get("currency"))
    receipt = body.get("receipt")
    if receipt is not None:
        if not isinstance(receipt, str):
            raise RazorpayError("The receipt must be a string.", field="receipt")
        if len(receipt) > MAX_RECEIPT_CHARS:
            raise RazorpayError(
                f"The receipt may not be greater than {MAX_RECEIPT_CHARS} characters.",
                field="receipt",
            )
    notes = _notes(body.get("notes"))
    auto_capture = _flag(body.get("payment_capture"), "payment_capture", default=True)
    store = call.store
    with store.lock:
        existing = store.order_by_receipt.get((call.key_id, receipt)) if receipt else None

    def perform() -> tuple[dict[str, Any], list[Event]]:
        # Razorpay does not de-duplicate by receipt; the sandbox does, so that a retried create
        # (after a timeout or a 5xx) finds the order the first try made.
        order_id = store.order_by_receipt.get((call.key_id, receipt)) if receipt else None
        if order_id is not None:
            order = store.orders[order_id]
            if (order["amount"], order["currency"]) != (amount, currency):
                raise RazorpayError(
                    f"The receipt {receipt!r} already belongs to order {order_id} for "
                    f"{order['amount']} {order['currency']}; a retry must send the same amount "
                    "and currency (or use a new receipt).",
                    field="receipt",
                )
            return _copy(order), []
        order = _new_order(amount, currency, receipt, notes)
        store.orders[order["id"]] = order
        store.auto_capture[order["id"]] = auto_capture
        if receipt:
            store.order_by_receipt[(call.key_id, receipt)] = order["id"]
        return _copy(order), []

    return await _serve(call, {"order_id": existing, "receipt": receipt, "payment_id": None},
                        perform)


async def orders_list(call: Call) -> Response:
    receipt = call.request.query_params.get("receipt")

    def perform() -> tuple[dict[str, Any], list[Event]]:
        orders = [
            order for order in call.store.orders.values()
            if receipt is None or order["receipt"] == receipt
        ]
        return _page(call.request, orders), []

    return await _serve(call, {**NO_SUBJECT, "receipt": receipt}, perform)


async def order_fetch(call: Call) -> Response:
    order_id = call.request.path_params["order_id"]
    attributes = _attributes_of_order(call.store, order_id)
    return await _serve(call, attributes, lambda: (_copy(call.store.orders[order_id]), []))


async def order_payments(call: Call) -> Response:
    order_id = call.request.path_params["order_id"]
    attributes = _attributes_of_order(call.store, order_id)

    def perform() -> tuple[dict[str, Any], list[Event]]:
        payments = [p for p in call.store.payments.values() if p["order_id"] == order_id]
        return _page(call.request, payments), []

    return await _serve(call, attributes, perform)


# --- /v1 payments and refunds ------------------------------------------------------------------


async def payments_list(call: Call) -> Response:
    return await _serve(
        call, NO_SUBJECT, lambda: (_page(call.request, list(call.store.payments.values())), [])
    )


async def payment_fetch(call: Call) -> Response:
    payment_id = call.request.path_params["payment_id"]
    attributes = _attributes_of_payment(call.store, payment_id)
    return await _serve(call, attributes, lambda: (_copy(call.store.payments[payment_id]), []))


async def payment_capture(call: Call) -> Response:
    payment_id = call.request.path_params["payment_id"]
    _no_other_fields(call.body, {"amount", "currency"})
    amount = _amount(call.body.get("amount"))
    currency = _currency(call.body.get("currency"))
    attributes = _attributes_of_payment(call.store, payment_id)

    def perform() -> tuple[dict[str, Any], list[Event]]:
        payment = call.store.payments[payment_id]
        if payment["status"] in ("captured", "refunded"):
            raise RazorpayError("This payment has already been captured", field="payment_id")
        if payment["status"] != "authorized":
            raise RazorpayError(
                "Only payments which have been authorized and not yet captured can be "
                f"captured; payment {payment_id} is {payment['status']}",
                field="payment_id",
            )
        if amount != payment["amount"]:
            raise RazorpayError(
                f"Capture amount must be equal to the amount authorized: {amount} paise sent, "
                f"{payment['amount']} authorized.",
                field="amount",
            )
        if currency != payment["currency"]:
            raise RazorpayError("Currency should be same as payment currency", field="currency")
        events = _capture(call.store, payment)
        return _copy(payment), events

    return await _serve(call, attributes, perform)


async def payment_refund(call: Call) -> Response:
    payment_id = call.request.path_params["payment_id"]
    _no_other_fields(call.body, {"amount", "speed", "notes", "receipt"})
    attributes = _attributes_of_payment(call.store, payment_id)
    return await _serve(call, attributes, lambda: _refund(call.store, payment_id, call.body))


async def refunds_create(call: Call) -> Response:
    _no_other_fields(call.body, {"payment_id", "amount", "speed", "notes", "receipt"})
    payment_id = call.body.get("payment_id")
    if not isinstance(payment_id, str) or not payment_id:
        raise RazorpayError("The payment_id field is required.", field="payment_id")
    attributes = _attributes_of_payment(call.store, payment_id)
    return await _serve(call, attributes, lambda: _refund(call.store, payment_id, call.body))


async def refunds_list(call: Call) -> Response:
    return await _serve(
        call, NO_SUBJECT, lambda: (_page(call.request, list(call.store.refunds.values())), [])
    )


async def payment_refunds(call: Call) -> Response:
    payment_id = call.request.path_params["payment_id"]
    attributes = _attributes_of_payment(call.store, payment_id)

    def perform() -> tuple[dict[str, Any], list[Event]]:
        refunds = [r for r in call.store.refunds.values() if r["payment_id"] == payment_id]
        return _page(call.request, refunds), []

    return await _serve(call, attributes, perform)


def _refund_of(store: GatewayStore, refund_id: str, payment_id: str | None
               ) -> dict[str, Any]:
    with store.lock:
        refund = store.refunds.get(refund_id)
        if refund is None or (payment_id is not None and refund["payment_id"] != payment_id):
            raise _not_found()
        return refund


async def refund_fetch(call: Call) -> Response:
    params = call.request.path_params
    refund = _refund_of(call.store, params["refund_id"], params.get("payment_id"))
    attributes = _attributes_of_payment(call.store, refund["payment_id"])
    return await _serve(call, attributes, lambda: (_copy(refund), []))


# --- /v1 customers and card tokens -------------------------------------------------------------


async def customers_create(call: Call) -> Response:
    body = call.body
    _no_other_fields(body, {"name", "email", "contact", "fail_existing", "notes", "gstin"})
    for field in ("name", "email", "contact", "gstin"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise RazorpayError(f"The {field} must be a string.", field=field)
    fail_existing = _flag(body.get("fail_existing"), "fail_existing", default=True)
    notes = _notes(body.get("notes"))
    store = call.store

    def perform() -> tuple[dict[str, Any], list[Event]]:
        identity = (body.get("email"), body.get("contact"))
        for customer in store.customers.values():
            if any(identity) and (customer["email"], customer["contact"]) == identity:
                if fail_existing:
                    raise RazorpayError("Customer already exists for the merchant",
                                        field="contact")
                return _copy(customer), []
        customer = {
            "id": razorpay_id("cust"),
            "entity": "customer",
            "name": body.get("name"),
            "email": body.get("email"),
            "contact": body.get("contact"),
            "gstin": body.get("gstin"),
            "notes": notes,
            "created_at": _now(),
        }
        store.customers[customer["id"]] = customer
        return _copy(customer), []

    return await _serve(call, NO_SUBJECT, perform)


async def customer_fetch(call: Call) -> Response:
    def perform() -> tuple[dict[str, Any], list[Event]]:
        customer = call.store.customers.get(call.request.path_params["customer_id"])
        if customer is None:
            raise _not_found()
        return _copy(customer), []

    return await _serve(call, NO_SUBJECT, perform)


def _fingerprint(key_id: str, customer_id: str | None, card: CardInput) -> str:
    identity = f"{key_id}|{customer_id}|{card.number}|{card.expiry_month}|{card.expiry_year}"
    return hmac.new(_FINGERPRINT_KEY, identity.encode(), hashlib.sha256).hexdigest()


def _expiry_end(card: CardInput) -> int:
    """The last second of the card's expiry month, in unix seconds."""
    year, month = (card.expiry_year + 1, 1) if card.expiry_month == 12 else (
        card.expiry_year, card.expiry_month + 1)
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp()) - 1


async def tokens_create(call: Call) -> Response:
    """Razorpay's `POST /v1/tokens` (the SDK's `client.token.create`): card details in, a token
    out with only network, last4 and expiry; the same card for the same customer gives the same
    token. Unlike Razorpay, `customer_id` and `authentication` are optional here."""
    body = call.body
    _no_other_fields(body, {"customer_id", "method", "card", "authentication", "notify", "notes"})
    if body.get("method") != "card":
        raise RazorpayError("The method field is required and must be card.", field="method")
    card = _card_input(body.get("card"))
    notes = _notes(body.get("notes"))
    customer_id = body.get("customer_id")
    store = call.store

    def perform() -> tuple[dict[str, Any], list[Event]]:
        if customer_id is not None and customer_id not in store.customers:
            raise RazorpayError("The id provided does not exist", field="customer_id")
        fingerprint = _fingerprint(call.key_id, customer_id, card)
        existing = store.token_by_fingerprint.get(fingerprint)
        if existing is not None and existing in store.tokens:
            return _copy(store.tokens[existing]), []
        card_entity = _card_entity(card.number, card.name)
        card_entity.update(
            expiry_month=card.expiry_month,
            expiry_year=card.expiry_year,
            flows={"otp": True, "recurring": False},
        )
        token = {
            "id": razorpay_id("token"),
            "entity": "token",
            "customer_id": customer_id,
            "method": "card",
            "bank": None,
            "wallet": None,
            "card": card_entity,
            "recurring": False,
            "recurring_details": {"status": "not_applicable", "failure_reason": None},
            "auth_type": None,
            "mrn": None,
            "used_at": None,
            "created_at": _now(),
            "expired_at": _expiry_end(card),
            "status": "active",
            "status_reason": None,
            "notes": notes,
            "compliant_with_tokenisation_guidelines": True,
        }
        store.tokens[token["id"]] = token
        store.token_by_fingerprint[fingerprint] = token["id"]
        if card.number in FAILING_CARDS:
            store.declining_tokens.add(token["id"])
        return _copy(token), []

    return await _serve(call, NO_SUBJECT, perform)


def _token_of(store: GatewayStore, token_id: Any, customer_id: str | None) -> dict[str, Any]:
    token = store.tokens.get(token_id) if isinstance(token_id, str) else None
    if token is None or (customer_id is not None and token["customer_id"] != customer_id):
        raise _not_found()
    return token


def _token_remove(store: GatewayStore, token_id: str) -> None:
    del store.tokens[token_id]
    store.declining_tokens.discard(token_id)
    for fingerprint, known in list(store.token_by_fingerprint.items()):
        if known == token_id:
            del store.token_by_fingerprint[fingerprint]


async def token_fetch_by_id(call: Call) -> Response:
    _no_other_fields(call.body, {"id"})
    return await _serve(
        call, NO_SUBJECT, lambda: (_copy(_token_of(call.store, call.body.get("id"), None)), [])
    )


async def token_delete_by_id(call: Call) -> Response:
    _no_other_fields(call.body, {"id"})

    def perform() -> tuple[list[Any], list[Event]]:
        token = _token_of(call.store, call.body.get("id"), None)
        _token_remove(call.store, token["id"])
        return [], []

    return await _serve(call, NO_SUBJECT, perform)


async def customer_tokens(call: Call) -> Response:
    customer_id = call.request.path_params["customer_id"]

    def perform() -> tuple[dict[str, Any], list[Event]]:
        if customer_id not in call.store.customers:
            raise _not_found()
        tokens = [t for t in call.store.tokens.values() if t["customer_id"] == customer_id]
        return _collection([_copy(token) for token in tokens]), []

    return await _serve(call, NO_SUBJECT, perform)


async def customer_token(call: Call) -> Response:
    params = call.request.path_params

    def perform() -> tuple[dict[str, Any], list[Event]]:
        token = _token_of(call.store, params["token_id"], params["customer_id"])
        if call.request.method == "DELETE":
            _token_remove(call.store, token["id"])
            return {"deleted": True}, []
        return _copy(token), []

    return await _serve(call, NO_SUBJECT, perform)


# --- control: checkout -------------------------------------------------------------------------


class ControlError(Exception):
    """A control request the sandbox cannot carry out (a control-API 400 or 404)."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


@dataclass(frozen=True)
class _Outcome:
    """What the customer did at checkout: the method's fields and whether it fails, and why."""

    details: dict[str, Any]
    fails: bool
    error_description: str = ""
    error_source: str = ""
    error_reason: str = ""


CHECKOUT_FIELDS = frozenset(
    {"order_id", "method", "vpa", "card", "token", "bank", "wallet", "email", "contact",
     "customer_id", "amount"}
)


def _checkout_outcome(store: GatewayStore, body: Mapping[str, Any], method: str) -> _Outcome:
    details: dict[str, Any] = {
        "email": body.get("email") or "customer@example.com",
        "contact": body.get("contact") or "+919000090000",
        "customer_id": body.get("customer_id"),
    }
    if method == "upi":
        vpa = body.get("vpa")
        if not isinstance(vpa, str) or not VPA.fullmatch(vpa):
            raise ControlError(
                HTTPStatus.BAD_REQUEST,
                f"method upi needs a 'vpa' such as {SUCCESS_VPA!r} or {FAILURE_VPA!r}, "
                f"got {vpa!r}",
            )
        details["vpa"] = vpa
        if vpa == FAILURE_VPA:
            return _Outcome(details, True, "Payment was unsuccessful as the UPI app declined "
                            "it (test VPA failure@razorpay).", "customer", "payment_failed")
        return _Outcome(details, False)
    if method == "card":
        return _card_outcome(store, body, details)
    if method == "netbanking":
        bank = body.get("bank", "HDFC")
        if not isinstance(bank, str) or not bank:
            raise ControlError(HTTPStatus.BAD_REQUEST, "'bank' must be a bank code like HDFC")
        details["bank"] = bank
        return _Outcome(details, False)
    wallet = body.get("wallet", "paytm")
    if not isinstance(wallet, str) or not wallet:
        raise ControlError(HTTPStatus.BAD_REQUEST, "'wallet' must be a wallet name like paytm")
    details["wallet"] = wallet
    return _Outcome(details, False)


def _card_outcome(store: GatewayStore, body: Mapping[str, Any],
                  details: dict[str, Any]) -> _Outcome:
    token_id = body.get("token")
    if token_id is not None:
        with store.lock:
            token = store.tokens.get(token_id) if isinstance(token_id, str) else None
            if token is None:
                raise ControlError(HTTPStatus.BAD_REQUEST,
                                    f"no active card token {token_id!r} in the gateway")
            if details["customer_id"] not in (None, token["customer_id"]):
                raise ControlError(HTTPStatus.BAD_REQUEST,
                                   f"card token {token_id} belongs to customer "
                                   f"{token['customer_id']}, not {details['customer_id']}")
            card = {k: v for k, v in token["card"].items()
                    if k not in ("expiry_month", "expiry_year", "flows")}
            declines = token_id in store.declining_tokens
        details.update(card=_copy(card), token_id=token_id,
                       customer_id=details["customer_id"] or token["customer_id"])
    else:
        try:
            card_input = _card_input(body.get("card"))
        except RazorpayError as error:
            raise ControlError(
                HTTPStatus.BAD_REQUEST,
                f"method card needs 'card' {{number, expiry_month, expiry_year, cvv}} or a "
                f"'token': {error}",
                field=error.body["field"],
            ) from None
        details["card"] = _card_entity(card_input.number, card_input.name)
        declines = card_input.number in FAILING_CARDS
    if declines:
        return _Outcome(details, True, "Your payment has been declined by the card issuer "
                        "(test card 4000 0000 0000 0002).", "bank", "card_declined")
    return _Outcome(details, False)


def _checkout_amount(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_AMOUNT:
        raise ControlError(HTTPStatus.BAD_REQUEST,
                            f"'amount' must be an integer of at least {MIN_AMOUNT} paise")
    return value


def _authorize(payment: dict[str, Any], method: str) -> None:
    payment["status"] = "authorized"
    if method == "upi":
        payment["acquirer_data"] = {"rrn": f"{secrets.randbelow(10**12):012d}",
                                    "upi_transaction_id": secrets.token_hex(16).upper()}
    elif method == "card":
        payment["acquirer_data"] = {"auth_code": f"{secrets.randbelow(10**6):06d}"}
    else:
        payment["acquirer_data"] = {"bank_transaction_id": f"{secrets.randbelow(10**10):010d}"}


async def checkout(request: Request) -> Response:
    """Play the paying customer for one gateway order (see the README for the magic values)."""
    return _checkout(request, _state(request), await _control_json(request))


def _already_paid(order_id: str) -> str:
    return f"order {order_id} is already paid; the gateway takes no further payment for it"


def _checkout(request: Request, state: SandboxState, body: dict[str, Any]) -> Response:
    unknown = sorted(set(body) - CHECKOUT_FIELDS)
    if unknown:
        raise ControlError(HTTPStatus.BAD_REQUEST,
                            f"unknown field(s) {', '.join(unknown)}; allowed: "
                            f"{', '.join(sorted(CHECKOUT_FIELDS))}")
    store = state.gateway
    order_id = body.get("order_id")
    with store.lock:
        order = store.orders.get(order_id) if isinstance(order_id, str) else None
        if order is None:
            raise ControlError(HTTPStatus.NOT_FOUND,
                                f"no gateway order {order_id!r}: create it with POST /v1/orders")
        receipt = order["receipt"]
        already_paid = order["status"] == "paid"
    if already_paid:
        raise ControlError(HTTPStatus.BAD_REQUEST, _already_paid(order_id))
    method = body.get("method")
    if method not in METHODS:
        raise ControlError(HTTPStatus.BAD_REQUEST,
                            f"unknown method {method!r}; allowed: {', '.join(METHODS)}",
                            allowed_methods=list(METHODS))
    outcome = _checkout_outcome(store, body, method)
    amount = _checkout_amount(body.get("amount"))
    key_id = state.config.razorpay_key_id
    fault = state.faults.take(
        "gateway",
        {"order_id": order_id, "receipt": receipt, "payment_id": None, "key_id": key_id,
         "event": None},
        ("decline",),
    )
    if fault is not None:
        request.state.fault = fault.fault
        outcome = _Outcome(outcome.details, True, "Your payment has been declined by the bank "
                           "(sandbox fault decline).", "bank", "payment_declined")
    with store.lock:
        order = store.orders[order_id]
        if order["status"] == "paid":
            raise ControlError(HTTPStatus.BAD_REQUEST, _already_paid(order_id))
        payment = _new_payment(order, amount or order["amount_due"], method, outcome.details)
        for name in ("vpa", "bank", "wallet"):
            payment[name] = outcome.details.get(name)
        if method == "card":
            payment["card"] = outcome.details["card"]
            payment["card_id"] = payment["card"]["id"]
        store.payments[payment["id"]] = payment
        order["attempts"] += 1
        order["status"] = "attempted"
        if outcome.fails:
            payment.update(
                status="failed",
                error_code="BAD_REQUEST_ERROR",
                error_description=outcome.error_description,
                error_source=outcome.error_source,
                error_step="payment_authorization",
                error_reason=outcome.error_reason,
            )
            events = [_event("payment.failed", order, payment)]
        else:
            _authorize(payment, method)
            events = [_event("payment.authorized", order, payment)]
            if store.auto_capture.get(order_id, True):
                events += _capture(store, payment)
        payment_id = payment["id"]
    webhooks.emit(state, key_id, events)
    if outcome.fails:
        return JSONResponse({
            "error": {
                "code": "BAD_REQUEST_ERROR",
                "description": outcome.error_description,
                "source": outcome.error_source,
                "step": "payment_authorization",
                "reason": outcome.error_reason,
                "metadata": {"payment_id": payment_id, "order_id": order_id},
            },
            "razorpay_payment_id": payment_id,
        })
    return JSONResponse({
        "razorpay_payment_id": payment_id,
        "razorpay_order_id": order_id,
        "razorpay_signature": sign(state.config.razorpay_key_secret, f"{order_id}|{payment_id}"),
    })


# --- control: webhooks, signatures, gateway state ----------------------------------------------


async def _control_json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ControlError(HTTPStatus.BAD_REQUEST, f"the request body is not JSON: {error}"
                            ) from None
    if not isinstance(body, dict):
        raise ControlError(HTTPStatus.BAD_REQUEST, "the request body must be a JSON object")
    return body


def _control(handler: Callable[[Request], Awaitable[Response]]
             ) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ControlError as error:
            return control_error(error.status, error.message, **error.details)

    endpoint.__name__ = handler.__name__
    return endpoint


WEBHOOK_SETTINGS = ("url", "max_attempts", "backoff_seconds", "timeout_seconds")


async def webhook_settings(request: Request) -> Response:
    """GET: where webhooks go and how they are retried; PUT changes any of it."""
    state = _state(request)
    if request.method == "GET":
        return JSONResponse(state.webhook_settings.as_json())
    body = await _control_json(request)
    unknown = sorted(set(body) - set(WEBHOOK_SETTINGS))
    if unknown:
        raise ControlError(HTTPStatus.BAD_REQUEST,
                            f"unknown setting(s) {', '.join(unknown)}; allowed: "
                            f"{', '.join(WEBHOOK_SETTINGS)}", allowed_keys=list(WEBHOOK_SETTINGS))
    current = state.webhook_settings.as_json()
    if "url" in body and body["url"] is not None:
        error = webhook_url_error(body["url"])
        if error:
            raise ControlError(HTTPStatus.BAD_REQUEST, error + " (or null to send nothing)")
    for name in WEBHOOK_SETTINGS[1:]:
        if name in body:
            error = webhook_setting_error(name, body[name])
            if error:
                raise ControlError(HTTPStatus.BAD_REQUEST, error)
    current.update(body)
    # Replaced whole, so a delivery under way keeps the settings it started with.
    state.webhook_settings = WebhookSettings(**current)
    return JSONResponse(state.webhook_settings.as_json())


WEBHOOK_FILTERS = ("order_id", "payment_id", "refund_id", "event_id", "event")


async def webhook_log(request: Request) -> Response:
    """Every delivery of every webhook (attempts included), oldest first, filtered."""
    params = request.query_params
    unknown = sorted(set(params) - set(WEBHOOK_FILTERS))
    if unknown:
        raise ControlError(HTTPStatus.BAD_REQUEST,
                            f"unknown filter(s) {', '.join(unknown)}; allowed: "
                            f"{', '.join(WEBHOOK_FILTERS)}")
    filters = {key: params[key] for key in WEBHOOK_FILTERS if key in params}
    return JSONResponse({"results": _state(request).webhooks.deliveries(filters)})


async def webhook_redeliver(request: Request) -> Response:
    """Replay one event: the same body, event id and (correct) signature, sent again."""
    event_id = request.path_params["event_id"]
    delivery = webhooks.redeliver(_state(request), event_id)
    if delivery is None:
        raise ControlError(HTTPStatus.NOT_FOUND, f"no webhook event {event_id!r}")
    return JSONResponse(delivery, status_code=HTTPStatus.ACCEPTED)


async def signature(request: Request) -> Response:
    """Signatures the gateway would make: a checkout's (order_id, payment_id) or a webhook's."""
    state = _state(request)
    body = await _control_json(request)
    if set(body) == {"webhook_body"} and isinstance(body["webhook_body"], str):
        return JSONResponse({
            "x_razorpay_signature": sign(state.config.razorpay_webhook_secret,
                                         body["webhook_body"])
        })
    if set(body) == {"order_id", "payment_id"} and all(isinstance(v, str) for v in body.values()):
        message = f"{body['order_id']}|{body['payment_id']}"
        return JSONResponse({"razorpay_signature": sign(state.config.razorpay_key_secret,
                                                        message)})
    raise ControlError(HTTPStatus.BAD_REQUEST,
                        "send {\"order_id\", \"payment_id\"} for a checkout signature or "
                        "{\"webhook_body\": \"<raw body>\"} for a webhook signature")


async def order_state(request: Request) -> Response:
    """One gateway order with its payments and their refunds, as the gateway holds them."""
    store = _state(request).gateway
    order_id = request.path_params["order_id"]
    with store.lock:
        order = store.orders.get(order_id)
        if order is None:
            raise ControlError(HTTPStatus.NOT_FOUND, f"no gateway order {order_id!r}")
        payments = [p for p in store.payments.values() if p["order_id"] == order_id]
        payment_ids = {p["id"] for p in payments}
        refunds = [r for r in store.refunds.values() if r["payment_id"] in payment_ids]
        return JSONResponse(_copy({"order": order, "payments": payments, "refunds": refunds}))


async def payment_state(request: Request) -> Response:
    """One gateway payment with its refunds."""
    store = _state(request).gateway
    payment_id = request.path_params["payment_id"]
    with store.lock:
        payment = store.payments.get(payment_id)
        if payment is None:
            raise ControlError(HTTPStatus.NOT_FOUND, f"no gateway payment {payment_id!r}")
        refunds = [r for r in store.refunds.values() if r["payment_id"] == payment_id]
        return JSONResponse(_copy({"payment": payment, "refunds": refunds}))


def routes() -> list[Route]:
    return [
        Route("/v1/orders", _api(orders_create), methods=["POST"]),
        Route("/v1/orders", _api(orders_list), methods=["GET"]),
        Route("/v1/orders/{order_id}", _api(order_fetch), methods=["GET"]),
        Route("/v1/orders/{order_id}/payments", _api(order_payments), methods=["GET"]),
        Route("/v1/payments", _api(payments_list), methods=["GET"]),
        Route("/v1/payments/{payment_id}", _api(payment_fetch), methods=["GET"]),
        Route("/v1/payments/{payment_id}/capture", _api(payment_capture), methods=["POST"]),
        Route("/v1/payments/{payment_id}/refund", _api(payment_refund), methods=["POST"]),
        Route("/v1/payments/{payment_id}/refunds", _api(payment_refunds), methods=["GET"]),
        Route("/v1/payments/{payment_id}/refunds/{refund_id}", _api(refund_fetch),
              methods=["GET"]),
        Route("/v1/refunds", _api(refunds_create), methods=["POST"]),
        Route("/v1/refunds", _api(refunds_list), methods=["GET"]),
        Route("/v1/refunds/{refund_id}", _api(refund_fetch), methods=["GET"]),
        Route("/v1/customers", _api(customers_create), methods=["POST"]),
        Route("/v1/customers/{customer_id}", _api(customer_fetch), methods=["GET"]),
        Route("/v1/customers/{customer_id}/tokens", _api(customer_tokens), methods=["GET"]),
        Route("/v1/customers/{customer_id}/tokens/{token_id}", _api(customer_token),
              methods=["GET", "DELETE"]),
        Route("/v1/tokens", _api(tokens_create), methods=["POST"]),
        Route("/v1/tokens/fetch", _api(token_fetch_by_id), methods=["POST"]),
        Route("/v1/tokens/delete", _api(token_delete_by_id), methods=["POST"]),
        Route("/_sandbox/checkout/", _control(checkout), methods=["POST"]),
        Route("/_sandbox/gateway/webhook/", _control(webhook_settings), methods=["GET", "PUT"]),
        Route("/_sandbox/gateway/webhooks/", _control(webhook_log), methods=["GET"]),
        Route("/_sandbox/gateway/webhooks/{event_id}/redeliver/", _control(webhook_redeliver),
              methods=["POST"]),
        Route("/_sandbox/gateway/signature/", _control(signature), methods=["POST"]),
        Route("/_sandbox/gateway/orders/{order_id}/", _control(order_state), methods=["GET"]),
        Route("/_sandbox/gateway/payments/{payment_id}/", _control(payment_state),
              methods=["GET"]),
    ]
