"""The wallet and its ledger: the balance moves only together with a completed transaction,
under the wallet's row lock; a top-up starts here and completes when the gateway confirms it."""

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from reference.accounts.models import User
from reference.orders.models import Order
from reference.payments.exceptions import InsufficientBalance
from reference.payments.models import Payment, Wallet, WalletTransaction
from reference.payments.services.gateway_calls import gateway_order_attach


def wallet_get_or_create(*, user: User) -> Wallet:
    """The user's one wallet, made on first use (also when two first uses race)."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is not None:
        return wallet
    try:
        with transaction.atomic():
            return Wallet.objects.create(user=user)
    except IntegrityError:
        return Wallet.objects.get(user=user)


def wallet_locked(*, user_id: Any) -> Wallet:
    """The user's wallet with its row locked (made first if need be); call inside atomic."""
    if not Wallet.objects.filter(user_id=user_id).exists():
        wallet_get_or_create(user=User.objects.get(pk=user_id))
    return Wallet.objects.select_for_update().get(user_id=user_id)


def wallet_move(
    *,
    wallet: Wallet,
    type: str,
    amount: Decimal,
    description: str,
    order: Order | None = None,
    payment: Payment | None = None,
    pending: WalletTransaction | None = None,
) -> WalletTransaction:
    """Move the balance and record the completed transaction together, under the wallet's
    row lock (taken by the caller): the balance stays the sum of completed transactions.
    A debit the balance cannot cover is 402 and changes nothing."""
    now = timezone.now()
    wallets = Wallet.objects.filter(pk=wallet.pk)
    if type == WalletTransaction.Type.DEBIT:
        moved = wallets.filter(balance__gte=amount).update(
            balance=F("balance") - amount, updated_at=now
        )
        if not moved:
            raise InsufficientBalance()
    else:
        wallets.update(balance=F("balance") + amount, updated_at=now)
    wallet.refresh_from_db(fields=["balance", "updated_at"])
    if pending is not None:
        pending.status = WalletTransaction.Status.COMPLETED
        pending.balance_after = wallet.balance
        pending.save(update_fields=["status", "balance_after", "updated_at"])
        return pending
    return WalletTransaction.objects.create(
        wallet=wallet,
        type=type,
        amount=amount,
        balance_after=wallet.balance,
        status=WalletTransaction.Status.COMPLETED,
        description=description,
        order=order,
        payment=payment,
    )


def wallet_top_up_start(*, user: User, amount: Decimal) -> tuple[WalletTransaction, Payment]:
    """Start adding `amount` to the wallet: a pending credit, a top-up Payment and its gateway
    order. The balance moves only once the gateway confirms the payment."""
    with transaction.atomic():
        wallet = wallet_locked(user_id=user.pk)
        payment_id = uuid.uuid4()
        payment = Payment.objects.create(
            id=payment_id,
            user=user,
            purpose=Payment.Purpose.WALLET_TOPUP,
            amount=amount,
            currency=wallet.currency,
            method=Payment.Method.ONLINE,
            status=Payment.Status.CREATED,
            receipt=f"w_{payment_id.hex}",
            key_id=settings.RAZORPAY_KEY_ID,
        )
        pending = WalletTransaction.objects.create(
            wallet=wallet,
            type=WalletTransaction.Type.CREDIT,
            amount=amount,
            status=WalletTransaction.Status.PENDING,
            description="Money added to the wallet",
            payment=payment,
        )
    gateway_order_attach(payment=payment, notes={"purpose": "wallet_topup"})
    return pending, payment
