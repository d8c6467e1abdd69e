"""Refunds of a captured payment (`/v1/payments/{id}/refund`, `/v1/refunds`), listed and fetched."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from sandbox.gateway import fields
from sandbox.gateway.calls import NO_SUBJECT, Call, attributes_of_payment, page, serve
from sandbox.gateway.entities import json_copy, new_event, now
from sandbox.gateway.errors import RazorpayError, not_found
from sandbox.gateway.fields import MAX_RECEIPT_CHARS
from sandbox.state import GatewayStore
from sandbox.webhooks import Event, razorpay_id


def refund_payment(store: GatewayStore, payment_id: str, body: Mapping[str, Any]
                   ) -> tuple[dict[str, Any], list[Event]]:
    """Refund part or all of what is left of a captured payment (under the lock)."""
    payment = store.payments.get(payment_id)
    if payment is None:
        raise not_found()
    if payment["status"] == "refunded":
        raise RazorpayError("The payment has been fully refunded already", field="payment_id")
    if payment["status"] != "captured":
        raise RazorpayError(
            f"Only captured payments can be refunded; payment {payment_id} is "
            f"{payment['status']}",
            field="payment_id",
        )
    refundable = payment["amount"] - payment["amount_refunded"]
    amount = refundable if body.get("amount") is None else fields.amount(body.get("amount"))
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
        "notes": fields.notes(body.get("notes")),
        "receipt": receipt,
        "acquirer_data": {"arn": None},
        "created_at": now(),
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
        new_event(name, order, payment, refund=refund)
        for name in ("refund.created", "refund.processed")
    ]
    return json_copy(refund), events


async def payment_refund(call: Call) -> Response:
    payment_id = call.request.path_params["payment_id"]
    fields.no_other_fields(call.body, {"amount", "speed", "notes", "receipt"})
    attributes = attributes_of_payment(call.store, payment_id)
    return await serve(call, attributes, lambda: refund_payment(call.store, payment_id, call.body))


async def refunds_create(call: Call) -> Response:
    fields.no_other_fields(call.body, {"payment_id", "amount", "speed", "notes", "receipt"})
    payment_id = call.body.get("payment_id")
    if not isinstance(payment_id, str) or not payment_id:
        raise RazorpayError("The payment_id field is required.", field="payment_id")
    attributes = attributes_of_payment(call.store, payment_id)
    return await serve(call, attributes, lambda: refund_payment(call.store, payment_id, call.body))


async def refunds_list(call: Call) -> Response:
    return await serve(
        call, NO_SUBJECT, lambda: (page(call.request, list(call.store.refunds.values())), [])
    )


async def payment_refunds(call: Call) -> Response:
    payment_id = call.request.path_params["payment_id"]
    attributes = attributes_of_payment(call.store, payment_id)

    def perform() -> tuple[dict[str, Any], list[Event]]:
        refunds = [r for r in call.store.refunds.values() if r["payment_id"] == payment_id]
        return page(call.request, refunds), []

    return await serve(call, attributes, perform)


def _refund_of(store: GatewayStore, refund_id: str, payment_id: str | None
               ) -> dict[str, Any]:
    with store.lock:
        refund = store.refunds.get(refund_id)
        if refund is None or (payment_id is not None and refund["payment_id"] != payment_id):
            raise not_found()
        return refund


async def refund_fetch(call: Call) -> Response:
    params = call.request.path_params
    refund = _refund_of(call.store, params["refund_id"], params.get("payment_id"))
    attributes = attributes_of_payment(call.store, refund["payment_id"])
    return await serve(call, attributes, lambda: (json_copy(refund), []))
