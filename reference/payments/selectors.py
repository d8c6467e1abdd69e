"""Reads of the payments domain, scoped to the asking user (staff read every refund)."""

from decimal import Decimal
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from reference.accounts.models import User
from reference.payments.models import Payment, Refund, SavedMethod, Wallet, WalletTransaction


def saved_method_list(*, user: User) -> QuerySet[SavedMethod]:
    """The user's saved methods that are not deleted: the default first, then newest first."""
    return SavedMethod.objects.filter(user=user, deleted_at__isnull=True).order_by(
        "-is_default", "-created_at", "-id"
    )


def saved_method_get(*, user: User, method_id: UUID) -> SavedMethod:
    method = saved_method_list(user=user).filter(pk=method_id).first()
    if method is None:
        raise Http404("No such saved payment method.")
    return method


def wallet_balance(*, user: User) -> Decimal:
    """The user's wallet balance in rupees (0 before the wallet exists)."""
    balance = Wallet.objects.filter(user=user).values_list("balance", flat=True).first()
    return balance if balance is not None else Decimal("0.00")


def wallet_transaction_list(*, user: User) -> QuerySet[WalletTransaction]:
    """The user's wallet transactions, newest first."""
    return WalletTransaction.objects.filter(wallet__user=user).order_by("-created_at", "-id")


def payment_list(*, user: User) -> QuerySet[Payment]:
    """The user's payments, newest first."""
    return Payment.objects.filter(user=user).order_by("-created_at", "-id")


def payment_get(*, user: User, payment_id: UUID) -> Payment:
    payment = payment_list(user=user).filter(pk=payment_id).first()
    if payment is None:
        raise Http404("No such payment.")
    return payment


def refund_list(*, user: User) -> QuerySet[Refund]:
    """The user's refunds, newest first; every refund for staff."""
    refunds = Refund.objects.all() if user.is_staff else Refund.objects.filter(payment__user=user)
    return refunds.order_by("-created_at", "-id")
