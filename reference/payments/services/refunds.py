"""Refunds: to the wallet at once (wallet and cash payments, and money that arrived for an order
already settled) or through the gateway (online payments), never more than was captured."""

import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from reference.accounts.models import User
from reference.integrations import gateway
from reference.notifications.models import Notification
from reference.orders.models import Order
from reference.payments.exceptions import (
    GatewayRejectedError,
    GatewayTimeoutError,
    RefundExceedsCaptured,
    RefundNotAllowed,
)
from reference.payments.models import Payment, Refund, WalletTransaction
from reference.payments.services.gateway_calls import gateway_errors, paise
from reference.payments.services.notify import money_text, notify_after_commit
from reference.payments.services.wallet import wallet_locked, wallet_move


def refunded_amount(*, payment: Payment) -> Decimal:
    """What is refunded or on its way back (pending and processed refunds)."""
    total = payment.refunds.exclude(status=Refund.Status.FAILED).aggregate(total=Sum("amount"))
    return total["total"] or Decimal("0.00")


def _payment_settle_refunds(*, payment: Payment, order: Order | None) -> None:
    """Once processed refunds cover the payment, it is `refunded`, and so is its order unless
    another captured payment still pays it (a late second payment refunded on arrival)."""
    processed = payment.refunds.filter(status=Refund.Status.PROCESSED).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0.00")
    if processed < payment.amount:
        return
    payment.status = Payment.Status.REFUNDED
    payment.save(update_fields=["status", "updated_at"])
    still_paid = Payment.objects.filter(order=order, status=Payment.Status.CAPTURED).exclude(
        pk=payment.pk
    )
    if (
        order is not None
        and order.payment_status == Order.PaymentStatus.PAID
        and not still_paid.exists()
    ):
        order.payment_status = Order.PaymentStatus.REFUNDED
        order.save(update_fields=["payment_status", "updated_at"])


def _notify_refunded(*, refund: Refund, user_id: Any, to_wallet: bool) -> None:
    where = "your wallet" if to_wallet else "your original payment method"
    notify_after_commit(
        user_id=user_id,
        type=Notification.Type.PAYMENT,
        title="Refund processed",
        message=f"{money_text(refund.amount)} was refunded to {where}.",
        data={"refund_id": str(refund.pk), "payment_id": str(refund.payment_id),
              "order_id": str(refund.order_id) if refund.order_id else None,
              "amount": str(refund.amount)},
    )


def refund_to_wallet(
    *, payment: Payment, order: Order | None, amount: Decimal, reason: str,
    by: User | None = None,
) -> Refund:
    """Refund to the customer's wallet at once (the payment row locked by the caller)."""
    refund_id = uuid.uuid4()
    refund = Refund.objects.create(
        id=refund_id,
        payment=payment,
        order=order,
        amount=amount,
        status=Refund.Status.PROCESSED,
        reason=reason[:500],
        receipt=f"r_{refund_id.hex}",
        created_by=by,
    )
    wallet = wallet_locked(user_id=payment.user_id)
    wallet_move(
        wallet=wallet,
        type=WalletTransaction.Type.REFUND,
        amount=amount,
        description=f"Refund: {reason}"[:255],
        order=order,
        payment=payment,
    )
    _payment_settle_refunds(payment=payment, order=order)
    _notify_refunded(refund=refund, user_id=payment.user_id, to_wallet=True)
    return refund


def _gateway_refund_find(*, payment: Payment, receipt: str) -> dict | None:
    """A refund the gateway made for our `receipt` (when its reply was lost)."""
    with gateway_errors():
        refunds = gateway.gateway_refunds_of_payment(payment_id=payment.gateway_payment_id)
    return next((item for item in refunds if item.get("receipt") == receipt), None)


def refund_through_gateway_now(
    *, payment: Payment, order: Order | None, amount: Decimal, reason: str
) -> Refund:
    """A cancellation's gateway refund, inside the cancelling transaction. Its receipt is the
    payment's, so a retried cancellation finds the refund an earlier try made."""
    receipt = f"c_{payment.pk.hex}"
    try:
        with gateway_errors():
            gateway_refund = gateway.gateway_refund_create(
                payment_id=payment.gateway_payment_id,
                amount_paise=paise(amount),
                receipt=receipt,
                notes={"reason": reason[:250]},
            )
    except GatewayRejectedError:
        gateway_refund = _gateway_refund_find(payment=payment, receipt=receipt)
        if gateway_refund is None:
            raise
    processed = gateway_refund.get("status") == "processed"
    refund = Refund.objects.create(
        payment=payment,
        order=order,
        amount=Decimal(gateway_refund["amount"]) / 100,
        status=Refund.Status.PROCESSED if processed else Refund.Status.PENDING,
        reason=reason[:500],
        receipt=receipt,
        gateway_refund_id=gateway_refund["id"],
    )
    if processed:
        _payment_settle_refunds(payment=payment, order=order)
        _notify_refunded(refund=refund, user_id=payment.user_id, to_wallet=False)
    return refund


def refund_create(
    *, payment_id: uuid.UUID, by: User, amount: Decimal | None = None, reason: str = ""
) -> Refund:
    """Staff: refund part or all of a captured order payment, never more than captured minus
    what is already refunded or on its way (checked and reserved under the payment's row lock,
    so concurrent partial refunds cannot add up to more). Wallet and cash payments go back to
    the wallet at once; online ones through the gateway."""
    payment = _refundable_payment(payment_id=payment_id)
    reason = reason or "Refund by LaundryConnect support."
    with transaction.atomic():
        order = (
            Order.objects.select_for_update().get(pk=payment.order_id)
            if payment.order_id else None
        )
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        amount = _refund_amount_allowed(payment=payment, amount=amount)
        if payment.method != Payment.Method.ONLINE:
            return refund_to_wallet(
                payment=payment, order=order, amount=amount, reason=reason, by=by
            )
        refund = _refund_reserve(payment=payment, order=order, amount=amount, reason=reason, by=by)
    return _refund_through_gateway(payment=payment, refund=refund)


def _refundable_payment(*, payment_id: uuid.UUID) -> Payment:
    """The payment to refund: one that paid an order (a top-up's money is in the wallet)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise ValidationError({"payment_id": ["No such payment."]})
    if payment.purpose != Payment.Purpose.ORDER:
        raise RefundNotAllowed("A wallet top-up is not refunded; the money is in the wallet.")
    return payment


def _refund_amount_allowed(*, payment: Payment, amount: Decimal | None) -> Decimal:
    """What to refund of the locked `payment` (all that is left when no amount is asked): it
    must be captured, and the amount more than nothing and at most what is left."""
    if payment.status not in Payment.SETTLED:
        raise RefundNotAllowed(f"Only a captured payment is refunded; this one is "
                               f"{payment.status}.")
    left = payment.amount - refunded_amount(payment=payment)
    amount = left if amount is None else amount
    if amount <= 0 or amount > left:
        raise RefundExceedsCaptured(
            f"A refund cannot exceed what was captured minus what was already refunded: "
            f"{money_text(left)} is left of {money_text(payment.amount)}."
        )
    return amount


def _refund_reserve(
    *, payment: Payment, order: Order | None, amount: Decimal, reason: str, by: User
) -> Refund:
    """A pending refund, whose amount counts as refunded until the gateway fails it."""
    refund_id = uuid.uuid4()
    return Refund.objects.create(
        id=refund_id,
        payment=payment,
        order=order,
        amount=amount,
        status=Refund.Status.PENDING,
        reason=reason[:500],
        receipt=f"r_{refund_id.hex}",
        created_by=by,
    )


def _refund_through_gateway(*, payment: Payment, refund: Refund) -> Refund:
    """Ask the gateway for the reserved `refund` (outside the lock) and apply its answer; a
    refusal or an outage fails the refund, which frees its amount."""
    try:
        with gateway_errors():
            gateway_refund = gateway.gateway_refund_create(
                payment_id=payment.gateway_payment_id,
                amount_paise=paise(refund.amount),
                receipt=refund.receipt,
                notes={"refund_id": str(refund.pk)},
            )
    except GatewayTimeoutError:
        # The gateway may have made it: the refund stays pending (its amount reserved) until
        # the refund webhook, which carries our receipt, settles it.
        raise
    except Exception:
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED, updated_at=timezone.now()
        )
        raise
    return refund_gateway_apply(refund_id=refund.pk, gateway_refund=gateway_refund)


@transaction.atomic
def refund_gateway_apply(*, refund_id: uuid.UUID, gateway_refund: dict) -> Refund:
    """Apply what the gateway says about a refund (its reply, or a refund webhook): processed
    once, failed only while pending; the payment and order become `refunded` once covered."""
    found = Refund.objects.filter(pk=refund_id).values_list("order_id", "payment_id").get()
    order = Order.objects.select_for_update().get(pk=found[0]) if found[0] else None
    payment = Payment.objects.select_for_update().get(pk=found[1])
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status == Refund.Status.PROCESSED:
        return refund
    status = gateway_refund.get("status")
    refund.gateway_refund_id = refund.gateway_refund_id or gateway_refund.get("id")
    if status == "processed":
        refund.status = Refund.Status.PROCESSED
    elif status == "failed" and refund.status == Refund.Status.PENDING:
        refund.status = Refund.Status.FAILED
    refund.save(update_fields=["status", "gateway_refund_id", "updated_at"])
    if refund.status == Refund.Status.PROCESSED:
        _payment_settle_refunds(payment=payment, order=order)
        _notify_refunded(refund=refund, user_id=payment.user_id, to_wallet=False)
    return refund
