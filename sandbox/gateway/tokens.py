"""Saved cards: `/v1/tokens` (create, fetch and delete by id) and a customer's tokens; the same card
for the same customer is one token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from sandbox.gateway import fields
from sandbox.gateway.calls import NO_SUBJECT, Call, collection, serve
from sandbox.gateway.cards import FAILING_CARDS, CardInput, card_entity, read_card
from sandbox.gateway.entities import json_copy, now
from sandbox.gateway.errors import RazorpayError, not_found
from sandbox.state import GatewayStore
from sandbox.webhooks import Event, razorpay_id

# A per-process key for card fingerprints, so that not even a hash of a number outlives it.
_FINGERPRINT_KEY = secrets.token_bytes(32)


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
    fields.no_other_fields(
        body, {"customer_id", "method", "card", "authentication", "notify", "notes"}
    )
    if body.get("method") != "card":
        raise RazorpayError("The method field is required and must be card.", field="method")
    card = read_card(body.get("card"))
    notes = fields.notes(body.get("notes"))
    customer_id = body.get("customer_id")
    store = call.store

    def perform() -> tuple[dict[str, Any], list[Event]]:
        if customer_id is not None and customer_id not in store.customers:
            raise RazorpayError("The id provided does not exist", field="customer_id")
        fingerprint = _fingerprint(call.key_id, customer_id, card)
        existing = store.token_by_fingerprint.get(fingerprint)
        if existing is not None and existing in store.tokens:
            return json_copy(store.tokens[existing]), []
        card_shown = card_entity(card.number, card.name)
        card_shown.update(
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
            "card": card_shown,
            "recurring": False,
            "recurring_details": {"status": "not_applicable", "failure_reason": None},
            "auth_type": None,
            "mrn": None,
            "used_at": None,
            "created_at": now(),
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
        return json_copy(token), []

    return await serve(call, NO_SUBJECT, perform)


def _token_of(store: GatewayStore, token_id: Any, customer_id: str | None) -> dict[str, Any]:
    token = store.tokens.get(token_id) if isinstance(token_id, str) else None
    if token is None or (customer_id is not None and token["customer_id"] != customer_id):
        raise not_found()
    return token


def _token_remove(store: GatewayStore, token_id: str) -> None:
    del store.tokens[token_id]
    store.declining_tokens.discard(token_id)
    for fingerprint, known in list(store.token_by_fingerprint.items()):
        if known == token_id:
            del store.token_by_fingerprint[fingerprint]


async def token_fetch_by_id(call: Call) -> Response:
    fields.no_other_fields(call.body, {"id"})
    return await serve(
        call, NO_SUBJECT, lambda: (json_copy(_token_of(call.store, call.body.get("id"), None)), [])
    )


async def token_delete_by_id(call: Call) -> Response:
    fields.no_other_fields(call.body, {"id"})

    def perform() -> tuple[list[Any], list[Event]]:
        token = _token_of(call.store, call.body.get("id"), None)
        _token_remove(call.store, token["id"])
        return [], []

    return await serve(call, NO_SUBJECT, perform)


async def customer_tokens(call: Call) -> Response:
    customer_id = call.request.path_params["customer_id"]

    def perform() -> tuple[dict[str, Any], list[Event]]:
        if customer_id not in call.store.customers:
            raise not_found()
        tokens = [t for t in call.store.tokens.values() if t["customer_id"] == customer_id]
        return collection([json_copy(token) for token in tokens]), []

    return await serve(call, NO_SUBJECT, perform)


async def customer_token(call: Call) -> Response:
    params = call.request.path_params

    def perform() -> tuple[dict[str, Any], list[Event]]:
        token = _token_of(call.store, params["token_id"], params["customer_id"])
        if call.request.method == "DELETE":
            _token_remove(call.store, token["id"])
            return {"deleted": True}, []
        return json_copy(token), []

    return await serve(call, NO_SUBJECT, perform)
