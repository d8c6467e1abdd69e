"""Reconciliation: online payments still open are settled from what the gateway says of them."""

import logging
from datetime import timedelta

from django.utils import timezone

from reference.integrations import gateway
from reference.payments.models import Payment
from reference.payments.services.capture import payment_confirm

logger = logging.getLogger(__name__)

OPEN = (Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.FAILED)


def payments_reconcile(*, older_than_seconds: int = 60) -> int:
    """Ask the gateway about online payments still open after `older_than_seconds` (a worker
    that died between the gateway's capture and our commit, a webhook that never came) and
    apply what it says. Returns how many were captured."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    open_payments = Payment.objects.filter(
        method=Payment.Method.ONLINE,
        status__in=OPEN,
        gateway_order_id__isnull=False,
        created_at__lte=cutoff,
    )
    captured = 0
    for payment in open_payments:
        try:
            attempts = gateway.gateway_order_payments(order_id=payment.gateway_order_id)
        except gateway.GatewayFailure as exc:
            logger.warning("reconcile %s: %s", payment.pk, exc)
            continue
        for attempt in attempts:
            if attempt.get("status") in ("captured", "authorized"):
                try:
                    payment_confirm(payment=payment, gateway_payment_id=attempt["id"])
                except Exception as exc:  # one payment's trouble must not stop the others
                    logger.warning("reconcile %s: %s", payment.pk, exc)
                    continue
                captured += 1
                break
    return captured
