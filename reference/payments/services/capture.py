"""An online payment's outcome: verified from what checkout handed the app, confirmed from the
gateway's own account of it, captured exactly once (`payment_capture_apply`), or failed."""

import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from reference.integrations import gateway
from reference.notifications.models import Notification
from reference.orders.models import Order
from reference.payments.exceptions import GatewayRejectedError, PaymentVerificationFailed
from reference.payments.models import Payment, WalletTransaction
from reference.payments.services.gateway_calls import gateway_errors, paise
from reference.payments.services.notify import money_text, notify_after_commit, notify_captured
from reference.payments.services.order_hooks import order_mark_paid
from reference.payments.services.refunds import refund_to_wallet
from reference.payments.services.wallet import wallet_locked, wallet_move

logger = logging.getLogger(__name__)



def _unverified(reason: str) -> PaymentVerificationFailed:
    return PaymentVerificationFailed(f"The payment could not be verified: {reason}")


def payment_verify(
    *,
    payment: Payment,
    razorpay_payment_id: str,
    razorpay_order_id: str,
    razorpay_signature: str,
) -> Payment:
    """Confirm an online payment from what checkout handed the app. The signature is checked
    against the gateway order id stored here (never the one sent); the payment is then
    fetched from the gateway and must match. Any mismatch: 400, nothing changes."""
    if payment.method != Payment.Method.ONLINE or not payment.gateway_order_id:
        raise _unverified("it is not paid through the gateway.")
    if razorpay_order_id != payment.gateway_order_id:
        raise _unverified("the order id is not this payment's.")
    if not gateway.gateway_signature_valid(
        order_id=payment.gateway_order_id,
        payment_id=razorpay_payment_id,
        signature=razorpay_signature,
    ):
        raise _unverified("the signature does not match.")
    return payment_confirm(payment=payment, gateway_payment_id=razorpay_payment_id)


def _gateway_payment_check(*, payment: Payment, gateway_payment: dict) -> None:
    """The gateway payment must be for this payment's gateway order, amount and currency."""
    if gateway_payment.get("order_id") != payment.gateway_order_id:
        raise _unverified("the gateway payment belongs to another order.")
    if gateway_payment.get("amount") != paise(payment.amount):
        raise _unverified("the amount paid differs from the amount due.")
    if gateway_payment.get("currency") != payment.currency:
        raise _unverified("the currency paid differs from the currency due.")


def payment_confirm(*, payment: Payment, gateway_payment_id: str) -> Payment:
    """Bring an online payment to captured from the gateway's own account of
    `gateway_payment_id` (fetched, and captured if only authorized); exactly once."""
    payment.refresh_from_db()
    if payment.status in Payment.SETTLED:
        if payment.gateway_payment_id == gateway_payment_id:
            return payment
        raise _unverified("it is already paid by another gateway payment.")
    if Payment.objects.filter(gateway_payment_id=gateway_payment_id).exclude(
        pk=payment.pk
    ).exists():
        raise _unverified("this gateway payment was already used for another payment.")
    with gateway_errors(rejected_means_unverified=True):
        gateway_payment = gateway.gateway_payment_fetch(payment_id=gateway_payment_id)
    _gateway_payment_check(payment=payment, gateway_payment=gateway_payment)
    if gateway_payment.get("status") == "authorized":
        gateway_payment = _gateway_capture(payment=payment, gateway_payment_id=gateway_payment_id)
    if gateway_payment.get("status") != "captured":
        raise _unverified(f"the gateway says it is {gateway_payment.get('status')}.")
    return payment_capture_apply(payment_id=payment.pk, gateway_payment=gateway_payment)


def _gateway_capture(*, payment: Payment, gateway_payment_id: str) -> dict:
    try:
        with gateway_errors():
            return gateway.gateway_payment_capture(
                payment_id=gateway_payment_id,
                amount_paise=paise(payment.amount),
                currency=payment.currency,
            )
    except GatewayRejectedError:
        # Captured meanwhile by a concurrent confirmation: what the gateway holds now counts.
        with gateway_errors(rejected_means_unverified=True):
            return gateway.gateway_payment_fetch(payment_id=gateway_payment_id)


@transaction.atomic
def payment_capture_apply(*, payment_id: uuid.UUID, gateway_payment: dict) -> Payment:
    """The exactly-once core of verify and webhooks: under the Payment's row lock, a payment
    already captured is returned as it is; otherwise it becomes captured and, in the same
    transaction, the top-up's pending credit completes (the balance moves) or the order
    becomes paid. A payment for an order that meanwhile was paid another way or cancelled is
    credited to the wallet instead (refund), so no money is kept without an order to show."""
    order_id = Payment.objects.filter(pk=payment_id).values_list("order_id", flat=True).get()
    order = Order.objects.select_for_update().get(pk=order_id) if order_id else None
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status in Payment.SETTLED:
        if payment.gateway_payment_id != gateway_payment["id"]:
            raise _unverified("it is already paid by another gateway payment.")
        return payment
    _gateway_payment_check(payment=payment, gateway_payment=gateway_payment)
    if gateway_payment.get("status") != "captured":
        raise _unverified(f"the gateway says it is {gateway_payment.get('status')}.")
    payment.status = Payment.Status.CAPTURED
    payment.gateway_payment_id = gateway_payment["id"]
    payment.captured_at = timezone.now()
    payment.failure_reason = ""
    try:
        with transaction.atomic():
            payment.save(
                update_fields=[
                    "status", "gateway_payment_id", "captured_at", "failure_reason", "updated_at",
                ]
            )
    except IntegrityError as exc:
        raise _unverified("this gateway payment was already used for another payment.") from exc
    if payment.purpose == Payment.Purpose.WALLET_TOPUP:
        _top_up_complete(payment=payment)
    elif order.payment_status == Order.PaymentStatus.UNPAID and (
        order.status != Order.Status.CANCELLED
    ):
        order_mark_paid(order=order, method=Payment.Method.ONLINE)
        notify_captured(payment=payment, order=order)
    else:
        refund_to_wallet(
            payment=payment,
            order=order,
            amount=payment.amount,
            reason=f"Order {order.order_number} was already {order.payment_status} or "
            f"{order.status} when this payment arrived; the money is back in your wallet.",
        )
    logger.info("payment %s captured by %s", payment.pk, payment.gateway_payment_id)
    return payment


def _top_up_complete(*, payment: Payment) -> None:
    wallet = wallet_locked(user_id=payment.user_id)
    pending = (
        WalletTransaction.objects.select_for_update()
        .filter(payment=payment, type=WalletTransaction.Type.CREDIT)
        .exclude(status=WalletTransaction.Status.COMPLETED)
        .first()
    )
    wallet_move(
        wallet=wallet,
        type=WalletTransaction.Type.CREDIT,
        amount=payment.amount,
        description="Money added to the wallet",
        payment=payment,
        pending=pending,
    )
    notify_after_commit(
        user_id=payment.user_id,
        type=Notification.Type.WALLET,
        title="Wallet credited",
        message=f"{money_text(payment.amount)} was added to your wallet. Balance: "
        f"{money_text(wallet.balance)}.",
        data={"payment_id": str(payment.pk), "amount": str(payment.amount),
              "balance": str(wallet.balance)},
    )


@transaction.atomic
def payment_fail_apply(*, payment_id: uuid.UUID, reason: str) -> bool:
    """Mark an open payment failed with the gateway's reason (a top-up's pending credit too);
    a captured or refunded payment never moves back. True if it changed."""
    reason = (reason or "The payment failed at the gateway.")[:500]
    changed = Payment.objects.filter(
        pk=payment_id, status__in=(Payment.Status.CREATED, Payment.Status.PENDING)
    ).update(status=Payment.Status.FAILED, failure_reason=reason, updated_at=timezone.now())
    if not changed:
        return False
    WalletTransaction.objects.filter(
        payment_id=payment_id, status=WalletTransaction.Status.PENDING
    ).update(status=WalletTransaction.Status.FAILED, updated_at=timezone.now())
    payment = Payment.objects.get(pk=payment_id)
    notify_after_commit(
        user_id=payment.user_id,
        type=Notification.Type.PAYMENT,
        title="Payment failed",
        message=f"Your payment of {money_text(payment.amount)} failed: {reason}",
        data={"payment_id": str(payment.pk), "status": Payment.Status.FAILED,
              "order_id": str(payment.order_id) if payment.order_id else None},
    )
    return True
