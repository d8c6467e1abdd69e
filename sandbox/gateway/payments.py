"""`/v1/payments`: list, fetch and capture, and the capture itself (fee and tax, the order paid),
which checkout also makes.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sandbox.gateway import fields
from sandbox.gateway.calls import NO_SUBJECT, Call, attributes_of_payment, page, serve
from sandbox.gateway.entities import json_copy, new_event
from sandbox.gateway.errors import RazorpayError
from sandbox.state import GatewayStore
from sandbox.webhooks import Event


def capture_payment(store: GatewayStore, payment: dict[str, Any]) -> list[Event]:
    """Capture an authorized payment (under the lock): fee and tax, the order paid."""
    order = store.orders[payment["order_id"]]
    fee_without_tax = payment["amount"] * 2 // 100
    tax = fee_without_tax * 18 // 100
    payment.update(status="captured", captured=True, fee=fee_without_tax + tax, tax=tax)
    order["amount_paid"] += payment["amount"]
    order["amount_due"] = max(order["amount"] - order["amount_paid"], 0)
    order["status"] = "paid"
    return [
        new_event("payment.captured", order, payment),
        new_event("order.paid", order, payment, with_order=True),
    ]


async def payments_list(call: Call) -> Response:
    return await serve(
        call, NO_SUBJECT, lambda: (page(call.request, list(call.store.payments.values())), [])
    )


async def payment_fetch(call: Call) -> Response:
    payment_id = call.request.path_params["payment_id"]
    attributes = attributes_of_payment(call.store, payment_id)
    return await serve(call, attributes, lambda: (json_copy(call.store.payments[payment_id]), []))


async def payment_capture(call: Call) -> Response:
    payment_id = call.request.path_params["payment_id"]
    fields.no_other_fields(call.body, {"amount", "currency"})
    amount = fields.amount(call.body.get("amount"))
    currency = fields.currency(call.body.get("currency"))
    attributes = attributes_of_payment(call.store, payment_id)

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
        events = capture_payment(call.store, payment)
        return json_copy(payment), events

    return await serve(call, attributes, perform)
