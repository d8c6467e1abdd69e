"""Gateway webhooks: the signature over the exact raw body, de-duplication by event id, then the
same exactly-once effect as verify."""

import hashlib
import json
import logging
from typing import Any

from django.utils import timezone
from rest_framework.exceptions import ValidationError

from reference.integrations import gateway
from reference.payments.exceptions import InvalidWebhookSignature, PaymentVerificationFailed
from reference.payments.models import Payment, Refund, WebhookEvent
from reference.payments.services.capture import payment_confirm, payment_fail_apply
from reference.payments.services.refunds import refund_gateway_apply

logger = logging.getLogger(__name__)

MAX_EVENT_ID_CHARS = 100
CAPTURE_EVENTS = ("payment.captured", "order.paid")
REFUND_EVENTS = ("refund.processed", "refund.failed")


def _entity(payload: Any, name: str) -> dict | None:
    try:
        entity = payload[name]["entity"]
    except (KeyError, TypeError):
        return None
    return entity if isinstance(entity, dict) else None


def webhook_receive(*, body: bytes, signature: str | None, event_id: str | None) -> str:
    """Handle one gateway webhook: the signature over the exact raw body (400 if missing or
    wrong), de-duplication by event id, then the event's effect, which is the same
    exactly-once effect as verify. Returns `processed`, `duplicate` or `ignored`."""
    if not signature:
        raise InvalidWebhookSignature("The X-Razorpay-Signature header is missing.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidWebhookSignature() from exc
    if not gateway.gateway_webhook_signature_valid(body=text, signature=signature):
        raise InvalidWebhookSignature()
    try:
        event = json.loads(text)
    except ValueError as exc:
        raise ValidationError({"body": ["The webhook body is not JSON."]}) from exc
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        raise ValidationError({"event": ["The webhook body names no event."]})
    # Without the gateway's event id, the exact body stands for the event.
    event_id = event_id or f"sha256:{hashlib.sha256(body).hexdigest()}"
    if len(event_id) > MAX_EVENT_ID_CHARS:
        raise ValidationError({"X-Razorpay-Event-Id": ["The event id is too long."]})
    record, _ = WebhookEvent.objects.get_or_create(
        event_id=event_id, defaults={"event": event["event"][:64], "payload": event}
    )
    if record.processed:
        return "duplicate"
    outcome = _webhook_apply(name=event["event"], payload=event.get("payload"))
    WebhookEvent.objects.filter(pk=record.pk).update(processed=True, processed_at=timezone.now())
    return outcome


def _webhook_apply(*, name: str, payload: Any) -> str:
    if name in CAPTURE_EVENTS or name == "payment.failed":
        entity = _entity(payload, "payment")
        if entity is None or not isinstance(entity.get("id"), str):
            return "ignored"
        payment = Payment.objects.filter(gateway_order_id=entity.get("order_id")).first()
        if payment is None:
            return "ignored"
        if name == "payment.failed":
            reason = entity.get("error_description") or entity.get("error_reason") or ""
            payment_fail_apply(payment_id=payment.pk, reason=str(reason))
            return "processed"
        try:
            payment_confirm(payment=payment, gateway_payment_id=entity["id"])
        except PaymentVerificationFailed as exc:
            # A signed event that does not match what the gateway holds, or a payment that
            # is already settled otherwise: nothing changes, and a redelivery would not help.
            logger.warning("webhook %s for payment %s not applied: %s", name, payment.pk, exc)
            return "ignored"
        return "processed"
    if name in REFUND_EVENTS:
        entity = _entity(payload, "refund")
        if entity is None:
            return "ignored"
        refund = None
        if isinstance(entity.get("id"), str):
            refund = Refund.objects.filter(gateway_refund_id=entity["id"]).first()
        if refund is None and isinstance(entity.get("receipt"), str):
            refund = Refund.objects.filter(receipt=entity["receipt"]).first()
        if refund is None:
            return "ignored"
        status = "processed" if name == "refund.processed" else "failed"
        refund_gateway_apply(refund_id=refund.pk, gateway_refund={**entity, "status": status})
        return "processed"
    return "ignored"
