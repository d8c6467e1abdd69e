"""`/v1/customers`: create (or find by email and contact) and fetch."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sandbox.gateway import fields
from sandbox.gateway.calls import NO_SUBJECT, Call, serve
from sandbox.gateway.entities import json_copy, now
from sandbox.gateway.errors import RazorpayError, not_found
from sandbox.webhooks import Event, razorpay_id


async def customers_create(call: Call) -> Response:
    body = call.body
    fields.no_other_fields(body, {"name", "email", "contact", "fail_existing", "notes", "gstin"})
    for field in ("name", "email", "contact", "gstin"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise RazorpayError(f"The {field} must be a string.", field=field)
    fail_existing = fields.flag(body.get("fail_existing"), "fail_existing", default=True)
    notes = fields.notes(body.get("notes"))
    store = call.store

    def perform() -> tuple[dict[str, Any], list[Event]]:
        identity = (body.get("email"), body.get("contact"))
        for customer in store.customers.values():
            if any(identity) and (customer["email"], customer["contact"]) == identity:
                if fail_existing:
                    raise RazorpayError("Customer already exists for the merchant",
                                        field="contact")
                return json_copy(customer), []
        customer = {
            "id": razorpay_id("cust"),
            "entity": "customer",
            "name": body.get("name"),
            "email": body.get("email"),
            "contact": body.get("contact"),
            "gstin": body.get("gstin"),
            "notes": notes,
            "created_at": now(),
        }
        store.customers[customer["id"]] = customer
        return json_copy(customer), []

    return await serve(call, NO_SUBJECT, perform)


async def customer_fetch(call: Call) -> Response:
    def perform() -> tuple[dict[str, Any], list[Event]]:
        customer = call.store.customers.get(call.request.path_params["customer_id"])
        if customer is None:
            raise not_found()
        return json_copy(customer), []

    return await serve(call, NO_SUBJECT, perform)
