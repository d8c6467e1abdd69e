"""`/v1/orders`: create (a retry finds the order by its receipt), list, fetch, its payments."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sandbox.gateway import fields
from sandbox.gateway.calls import NO_SUBJECT, Call, attributes_of_order, page, serve
from sandbox.gateway.entities import json_copy, new_order
from sandbox.gateway.errors import RazorpayError
from sandbox.gateway.fields import MAX_RECEIPT_CHARS
from sandbox.webhooks import Event

ORDER_FIELDS = frozenset(
    {"amount", "currency", "receipt", "notes", "payment_capture", "partial_payment",
     "first_payment_min_amount", "customer_id", "method"}
)


async def orders_create(call: Call) -> Response:
    body = call.body
    fields.no_other_fields(body, ORDER_FIELDS)
    amount = fields.amount(body.get("amount"))
    currency = fields.currency(body.get("currency"))
    receipt = body.get("receipt")
    if receipt is not None:
        if not isinstance(receipt, str):
            raise RazorpayError("The receipt must be a string.", field="receipt")
        if len(receipt) > MAX_RECEIPT_CHARS:
            raise RazorpayError(
                f"The receipt may not be greater than {MAX_RECEIPT_CHARS} characters.",
                field="receipt",
            )
    notes = fields.notes(body.get("notes"))
    auto_capture = fields.flag(body.get("payment_capture"), "payment_capture", default=True)
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
            return json_copy(order), []
        order = new_order(amount, currency, receipt, notes)
        store.orders[order["id"]] = order
        store.auto_capture[order["id"]] = auto_capture
        if receipt:
            store.order_by_receipt[(call.key_id, receipt)] = order["id"]
        return json_copy(order), []

    return await serve(call, {"order_id": existing, "receipt": receipt, "payment_id": None},
                        perform)


async def orders_list(call: Call) -> Response:
    receipt = call.request.query_params.get("receipt")

    def perform() -> tuple[dict[str, Any], list[Event]]:
        orders = [
            order for order in call.store.orders.values()
            if receipt is None or order["receipt"] == receipt
        ]
        return page(call.request, orders), []

    return await serve(call, {**NO_SUBJECT, "receipt": receipt}, perform)


async def order_fetch(call: Call) -> Response:
    order_id = call.request.path_params["order_id"]
    attributes = attributes_of_order(call.store, order_id)
    return await serve(call, attributes, lambda: (json_copy(call.store.orders[order_id]), []))


async def order_payments(call: Call) -> Response:
    order_id = call.request.path_params["order_id"]
    attributes = attributes_of_order(call.store, order_id)

    def perform() -> tuple[dict[str, Any], list[Event]]:
        payments = [p for p in call.store.payments.values() if p["order_id"] == order_id]
        return page(call.request, payments), []

    return await serve(call, attributes, perform)
