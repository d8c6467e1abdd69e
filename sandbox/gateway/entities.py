"""The gateway's records as Razorpay shapes them: a new order, a new payment, the event that
carries their snapshots, and the copies handed out.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sandbox.webhooks import Event, razorpay_id


def now() -> int:
    return int(time.time())


def json_copy(entity: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(entity))


def new_order(amount: int, currency: str, receipt: str | None, notes: Any) -> dict[str, Any]:
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
        "created_at": now(),
    }


def new_payment(order: dict[str, Any], amount: int, method: str,
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
        "created_at": now(),
    }


def new_event(
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
        payload={key: {"entity": json_copy(value)} for key, value in entities.items() if value},
        order_id=order["id"],
        payment_id=payment["id"],
        receipt=order["receipt"],
        refund_id=refund["id"] if refund else None,
    )
