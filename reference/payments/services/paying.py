"""Paying an order: online (a gateway order to check out), from the wallet (debited at once), or
cash (pending until delivery)."""

import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from reference.accounts.models import User
from reference.orders.models import Order
from reference.payments.exceptions import InsufficientBalance
from reference.payments.models import CURRENCY, Payment, SavedMethod, WalletTransaction
from reference.payments.services.gateway_calls import gateway_order_attach
from reference.payments.services.notify import money_text, notify_captured
from reference.payments.services.order_hooks import order_mark_paid, order_payable
from reference.payments.services.wallet import wallet_locked, wallet_move


def _owned_order(*, user: User, order_id: uuid.UUID) -> Order:
    order = Order.objects.filter(user=user, pk=order_id).first()
    if order is None:
        raise ValidationError({"order_id": ["No such order among yours."]})
    return order


def _owned_saved_method(*, user: User, saved_method_id: uuid.UUID | None) -> SavedMethod | None:
    if saved_method_id is None:
        return None
    method = SavedMethod.objects.filter(
        user=user, pk=saved_method_id, deleted_at__isnull=True
    ).first()
    if method is None:
        raise ValidationError({"saved_method_id": ["No such saved method among yours."]})
    return method


def payment_create(
    *, user: User, order_id: uuid.UUID, method: str, saved_method_id: uuid.UUID | None = None
) -> Payment:
    """Pay one of the user's unpaid orders: online (a gateway order to check out), from the
    wallet (debited at once; 402 if short), or cash (pending until delivery)."""
    order = _owned_order(user=user, order_id=order_id)
    saved_method = _owned_saved_method(user=user, saved_method_id=saved_method_id)
    order_payable(order)
    if method == Payment.Method.WALLET:
        return _payment_by_wallet(user=user, order=order, saved_method=saved_method)
    if method == Payment.Method.CASH:
        return _payment_by_cash(user=user, order=order)
    return _payment_online_start(user=user, order=order, saved_method=saved_method)


@transaction.atomic
def _payment_by_wallet(*, user: User, order: Order, saved_method: SavedMethod | None) -> Payment:
    order = Order.objects.select_for_update().get(pk=order.pk)
    order_payable(order)
    wallet = wallet_locked(user_id=user.pk)
    if wallet.balance < order.total:
        raise InsufficientBalance(
            f"Your wallet holds {money_text(wallet.balance)}; this order needs "
            f"{money_text(order.total)}. Add money and try again."
        )
    payment = Payment.objects.create(
        user=user,
        purpose=Payment.Purpose.ORDER,
        order=order,
        amount=order.total,
        currency=wallet.currency,
        method=Payment.Method.WALLET,
        status=Payment.Status.CAPTURED,
        captured_at=timezone.now(),
        saved_method=saved_method,
    )
    wallet_move(
        wallet=wallet,
        type=WalletTransaction.Type.DEBIT,
        amount=order.total,
        description=f"Payment for order {order.order_number}",
        order=order,
        payment=payment,
    )
    order_mark_paid(order=order, method=Payment.Method.WALLET)
    notify_captured(payment=payment, order=order)
    return payment


@transaction.atomic
def _payment_by_cash(*, user: User, order: Order) -> Payment:
    order = Order.objects.select_for_update().get(pk=order.pk)
    order_payable(order)
    pending = order.payments.filter(method=Payment.Method.CASH, status=Payment.Status.PENDING)
    existing = pending.first()
    if existing is not None:
        return existing
    if order.payment_method != Order.PaymentMethod.CASH:
        order.payment_method = Order.PaymentMethod.CASH
        order.save(update_fields=["payment_method", "updated_at"])
    return Payment.objects.create(
        user=user,
        purpose=Payment.Purpose.ORDER,
        order=order,
        amount=order.total,
        currency=CURRENCY,
        method=Payment.Method.CASH,
        status=Payment.Status.PENDING,
    )


def _payment_online_start(
    *, user: User, order: Order, saved_method: SavedMethod | None
) -> Payment:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order_payable(order)
        # The receipt is the order and its attempt: a retry after a gateway timeout, whose
        # rows were discarded, sends the same receipt and gets the gateway order the lost
        # reply was about (the gateway answers a known receipt with its first order).
        attempt = (order.payments.aggregate(last=Max("attempt"))["last"] or 0) + 1
        payment = Payment.objects.create(
            user=user,
            purpose=Payment.Purpose.ORDER,
            order=order,
            amount=order.total,
            currency=CURRENCY,
            method=Payment.Method.ONLINE,
            status=Payment.Status.CREATED,
            receipt=f"o_{order.pk.hex}_{attempt}",
            attempt=attempt,
            key_id=settings.RAZORPAY_KEY_ID,
            saved_method=saved_method,
        )
    return gateway_order_attach(
        payment=payment, notes={"purpose": "order", "order_number": order.order_number}
    )
