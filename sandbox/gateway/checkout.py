"""`POST /_sandbox/checkout/`: a test plays the paying customer of one gateway order; the payment
is authorized (and, unless the order asked otherwise, captured) or fails, and raises its webhooks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox import webhooks
from sandbox.gateway.calls import control_json
from sandbox.gateway.cards import FAILING_CARDS, card_entity, read_card
from sandbox.gateway.entities import json_copy, new_event, new_payment
from sandbox.gateway.errors import ControlError, RazorpayError
from sandbox.gateway.fields import MIN_AMOUNT
from sandbox.gateway.payments import capture_payment
from sandbox.state import GatewayStore, SandboxState, sandbox_state
from sandbox.webhooks import Event, sign

METHODS = ("upi", "card", "netbanking", "wallet")
SUCCESS_VPA = "success@razorpay"
FAILURE_VPA = "failure@razorpay"
VPA = re.compile(r"[A-Za-z0-9._\-]{2,256}@[A-Za-z][A-Za-z0-9.\-]{1,64}")


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
        details.update(card=json_copy(card), token_id=token_id,
                       customer_id=details["customer_id"] or token["customer_id"])
    else:
        try:
            card_input = read_card(body.get("card"))
        except RazorpayError as error:
            raise ControlError(
                HTTPStatus.BAD_REQUEST,
                f"method card needs 'card' {{number, expiry_month, expiry_year, cvv}} or a "
                f"'token': {error}",
                field=error.body["field"],
            ) from None
        details["card"] = card_entity(card_input.number, card_input.name)
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
    state = sandbox_state(request)
    body = await control_json(request)
    order_id, receipt = _order_to_pay(state.gateway, body)
    method = _checkout_method(body)
    outcome = _checkout_outcome(state.gateway, body, method)
    amount = _checkout_amount(body.get("amount"))
    outcome = _decline_fault(request, state, order_id, receipt, outcome)
    payment_id, events = _pay(state.gateway, order_id, amount, method, outcome)
    webhooks.emit(state, state.config.razorpay_key_id, events)
    return _checkout_reply(state, order_id, payment_id, outcome)


def _already_paid(order_id: str) -> str:
    return f"order {order_id} is already paid; the gateway takes no further payment for it"


def _order_to_pay(store: GatewayStore, body: Mapping[str, Any]) -> tuple[str, str | None]:
    """The order id and receipt of the order the checkout pays, which must not be paid yet."""
    unknown = sorted(set(body) - CHECKOUT_FIELDS)
    if unknown:
        raise ControlError(HTTPStatus.BAD_REQUEST,
                            f"unknown field(s) {', '.join(unknown)}; allowed: "
                            f"{', '.join(sorted(CHECKOUT_FIELDS))}")
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
    return order_id, receipt


def _checkout_method(body: Mapping[str, Any]) -> str:
    method = body.get("method")
    if method not in METHODS:
        raise ControlError(HTTPStatus.BAD_REQUEST,
                            f"unknown method {method!r}; allowed: {', '.join(METHODS)}",
                            allowed_methods=list(METHODS))
    return method


def _decline_fault(request: Request, state: SandboxState, order_id: str, receipt: str | None,
                   outcome: _Outcome) -> _Outcome:
    """The outcome once a `decline` fault matching the order, if any, has played."""
    fault = state.faults.take(
        "gateway",
        {"order_id": order_id, "receipt": receipt, "payment_id": None,
         "key_id": state.config.razorpay_key_id, "event": None},
        ("decline",),
    )
    if fault is None:
        return outcome
    request.state.fault = fault.fault
    return _Outcome(outcome.details, True, "Your payment has been declined by the bank "
                    "(sandbox fault decline).", "bank", "payment_declined")


def _pay(store: GatewayStore, order_id: str, amount: int | None, method: str,
         outcome: _Outcome) -> tuple[str, list[Event]]:
    """Record the payment and its outcome on the order (under the lock); its id and events."""
    with store.lock:
        order = store.orders[order_id]
        if order["status"] == "paid":
            raise ControlError(HTTPStatus.BAD_REQUEST, _already_paid(order_id))
        payment = new_payment(order, amount or order["amount_due"], method, outcome.details)
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
            return payment["id"], [new_event("payment.failed", order, payment)]
        _authorize(payment, method)
        events = [new_event("payment.authorized", order, payment)]
        if store.auto_capture.get(order_id, True):
            events += capture_payment(store, payment)
        return payment["id"], events


def _checkout_reply(state: SandboxState, order_id: str, payment_id: str,
                    outcome: _Outcome) -> Response:
    """What checkout hands the app: Razorpay's error for a failed payment, else the signed ids."""
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
