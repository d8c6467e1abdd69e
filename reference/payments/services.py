"""Writes of the payments domain: saved methods, the wallet and its ledger, payments, their
verification and webhooks, refunds.

Exactly once. Whatever confirms an online payment (the app's verify call, a gateway webhook, a
redelivery of either, in any order and at the same time) ends in `payment_capture_apply`, which
locks the Payment row, returns at once if it is already captured, and otherwise marks it
captured and credits the wallet (top-up) or marks the order paid, in one transaction.

Concurrency. Every money write takes row locks (`select_for_update`) in one order, order ->
payment -> wallet, so PostgreSQL never deadlocks on them; the wallet debit is also a conditional
UPDATE (`balance >= amount`) and the database refuses a negative balance. SQLite ignores FOR
UPDATE; there the embedded profile's IMMEDIATE transactions queue every writer behind the one
holding the write lock, which gives the same guarantees.

Outside calls. The gateway is called outside of these services' own transactions wherever the
flow allows (a row is committed first, the gateway called, the result applied), so a slow
gateway holds no lock; a cancellation's refund is the exception, as it runs inside the
cancelling transaction of the orders domain.
"""

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from reference.accounts.models import User
from reference.integrations import gateway
from reference.notifications.models import Notification
from reference.notifications.services import notification_send
from reference.orders.exceptions import RefundUnavailable
from reference.orders.models import Order
from reference.payments.exceptions import (
    DuplicateMethod,
    GatewayRejectedError,
    GatewayTimeoutError,
    GatewayUnavailableError,
    InsufficientBalance,
    InvalidWebhookSignature,
    OrderAlreadyPaid,
    OrderNotPayable,
    PaymentVerificationFailed,
    RefundExceedsCaptured,
    RefundNotAllowed,
)
from reference.payments.models import (
    CURRENCY,
    GatewayCustomer,
    Payment,
    Refund,
    SavedMethod,
    Wallet,
    WalletTransaction,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

CARD_PROVIDER = "razorpay"
MAX_EVENT_ID_CHARS = 100
CAPTURE_EVENTS = ("payment.captured", "order.paid")
REFUND_EVENTS = ("refund.processed", "refund.failed")
OPEN = (Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.FAILED)


def paise(amount: Decimal) -> int:
    """Rupees with at most two decimals as integer paise (exact)."""
    return int((amount * 100).to_integral_exact())


@contextmanager
def _gateway_errors(*, rejected_means_unverified: bool = False) -> Iterator[None]:
    """Turn the gateway integration's exceptions into API errors (502, 504, 400)."""
    try:
        yield
    except gateway.GatewayTimeout as exc:
        logger.warning("%s", exc)
        raise GatewayTimeoutError() from exc
    except gateway.GatewayUnavailable as exc:
        logger.warning("%s", exc)
        raise GatewayUnavailableError() from exc
    except gateway.GatewayRejected as exc:
        if rejected_means_unverified:
            raise PaymentVerificationFailed(
                f"The payment could not be verified: the gateway does not know it ({exc})."
            ) from exc
        raise GatewayRejectedError(f"The payment gateway refused the request: {exc}") from exc


# --- notifications -----------------------------------------------------------------------------


def payments_notify(*, user_id: Any, type: str, title: str, message: str, data: dict) -> None:
    """Tell the customer about a payment event (payment captured or failed, wallet credited,
    refund processed): an in-app notification and a push, as their preferences allow. Runs
    after the commit of the change it announces; a failure here never undoes the change."""
    try:
        notification_send(
            user=User.objects.get(pk=user_id), type=type, title=title, message=message, data=data
        )
    except Exception:  # a lost notification must not turn a committed payment into a 500
        logger.exception("notification %r for user %s failed", title, user_id)


def _notify_after_commit(*, user_id: Any, type: str, title: str, message: str,
                         data: dict) -> None:
    transaction.on_commit(
        lambda: payments_notify(user_id=user_id, type=type, title=title, message=message,
                                data=data)
    )


def _money_text(amount: Decimal) -> str:
    return f"\u20b9{amount:,.2f}"


# --- saved methods -----------------------------------------------------------------------------


def _fingerprint(*parts: str) -> str:
    """A keyed digest of an instrument's identity (never the identity itself)."""
    identity = "|".join(part.strip().casefold() for part in parts)
    return hmac.new(settings.SECRET_KEY.encode(), identity.encode(), hashlib.sha256).hexdigest()


def _owner_lock(*, user_id: Any) -> None:
    # One user's saved-method writes queue on their user row, so that two concurrent
    # "set default" or "first method" calls cannot leave two defaults or none.
    User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).first()


def _gateway_customer_id(*, user: User) -> str:
    """The user's gateway customer, created at the gateway on first use."""
    known = GatewayCustomer.objects.filter(user=user).values_list("customer_id", flat=True)
    if known:
        return known[0]
    with _gateway_errors():
        customer = gateway.gateway_customer_create(
            name=user.full_name, email=user.email, contact=user.phone_number
        )
    try:
        with transaction.atomic():
            GatewayCustomer.objects.create(user=user, customer_id=customer["id"])
    except IntegrityError:
        # A concurrent first use stored it meanwhile (the gateway answered the same customer).
        return GatewayCustomer.objects.get(user=user).customer_id
    return customer["id"]


def _card_fields(*, user: User, data: dict[str, Any]) -> dict[str, Any]:
    customer_id = _gateway_customer_id(user=user)
    with _gateway_errors():
        token = gateway.gateway_card_tokenize(
            customer_id=customer_id,
            number=data["card_number"],
            expiry_month=data["expiry_month"],
            expiry_year=data["expiry_year"],
            cvv=data["cvv"],
            name=data.get("card_holder", ""),
        )
    card = token.get("card") or {}
    return {
        "provider": CARD_PROVIDER,
        "token": token["id"],
        "card_brand": card.get("network") or "Unknown",
        "last4": card.get("last4") or data["card_number"][-4:],
        "expiry_month": int(card.get("expiry_month") or data["expiry_month"]),
        "expiry_year": int(card.get("expiry_year") or data["expiry_year"]),
        # The gateway gives one customer's same card the same token.
        "fingerprint": _fingerprint("card", token["id"]),
    }


def _method_fields(*, user: User, method_type: str, data: dict[str, Any]) -> dict[str, Any]:
    if method_type == SavedMethod.Type.CARD:
        return _card_fields(user=user, data=data)
    if method_type == SavedMethod.Type.UPI:
        upi_id = data["upi_id"]
        return {
            "provider": upi_id.rsplit("@", 1)[1].lower(),
            "upi_id": upi_id,
            "fingerprint": _fingerprint("upi", upi_id),
        }
    if method_type == SavedMethod.Type.NETBANKING:
        bank = " ".join(data["bank_name"].split())
        return {"provider": bank, "bank_name": bank, "fingerprint": _fingerprint("bank", bank)}
    provider = " ".join(data["wallet_provider"].split()).lower()
    number = data["wallet_number"]
    return {
        "provider": provider,
        "wallet_provider": provider,
        "wallet_number": "X" * (len(number) - 4) + number[-4:],
        "fingerprint": _fingerprint("wallet", provider, number[-10:]),
    }


def saved_method_create(
    *, user: User, method_type: str, data: dict[str, Any], is_default: bool = False
) -> SavedMethod:
    """Save a method. A card is tokenized at the gateway first (its number and CVV go no
    further); the same instrument twice is 409; the first method, or one asked to be, becomes
    the default."""
    fields = _method_fields(user=user, method_type=method_type, data=data)
    try:
        with transaction.atomic():
            _owner_lock(user_id=user.pk)
            live = SavedMethod.objects.filter(user=user, deleted_at__isnull=True)
            if live.filter(fingerprint=fields["fingerprint"]).exists():
                raise DuplicateMethod()
            defaults = live.filter(is_default=True)
            make_default = is_default or not defaults.exists()
            if make_default:
                defaults.update(is_default=False)
            return SavedMethod.objects.create(
                user=user, type=method_type, is_default=make_default, **fields
            )
    except IntegrityError as exc:
        raise DuplicateMethod() from exc


@transaction.atomic
def saved_method_set_default(*, method: SavedMethod) -> SavedMethod:
    """Make `method` the default (the one default moves here)."""
    _owner_lock(user_id=method.user_id)
    method.refresh_from_db()
    if method.deleted_at is None and not method.is_default:
        SavedMethod.objects.filter(
            user_id=method.user_id, deleted_at__isnull=True, is_default=True
        ).update(is_default=False)
        method.is_default = True
        method.save(update_fields=["is_default", "updated_at"])
    return method


@transaction.atomic
def saved_method_delete(*, method: SavedMethod) -> None:
    """Soft-delete `method`; if it was the default, the newest remaining one becomes default.
    A card's gateway token is deleted after the commit (best effort)."""
    _owner_lock(user_id=method.user_id)
    method.refresh_from_db()
    if method.deleted_at is not None:
        return
    was_default = method.is_default
    method.deleted_at = timezone.now()
    method.is_default = False
    method.save(update_fields=["deleted_at", "is_default", "updated_at"])
    if was_default:
        newest = (
            SavedMethod.objects.filter(user_id=method.user_id, deleted_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if newest is not None:
            newest.is_default = True
            newest.save(update_fields=["is_default", "updated_at"])
    if method.token:
        customer_id = (
            GatewayCustomer.objects.filter(user_id=method.user_id)
            .values_list("customer_id", flat=True)
            .first()
        )
        if customer_id:
            transaction.on_commit(
                lambda: _card_token_forget(customer_id=customer_id, token_id=method.token)
            )


def _card_token_forget(*, customer_id: str, token_id: str) -> None:
    try:
        gateway.gateway_token_delete(customer_id=customer_id, token_id=token_id)
    except gateway.GatewayFailure as exc:
        logger.warning("card token %s was not deleted at the gateway: %s", token_id, exc)


# --- wallet ------------------------------------------------------------------------------------


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


def _wallet_locked(*, user_id: Any) -> Wallet:
    """The user's wallet with its row locked (made first if need be); call inside atomic."""
    if not Wallet.objects.filter(user_id=user_id).exists():
        wallet_get_or_create(user=User.objects.get(pk=user_id))
    return Wallet.objects.select_for_update().get(user_id=user_id)


def _wallet_move(
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
        wallet = _wallet_locked(user_id=user.pk)
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
    _gateway_order_attach(payment=payment, notes={"purpose": "wallet_topup"})
    return pending, payment


# --- payments ----------------------------------------------------------------------------------


def _order_payable(order: Order) -> None:
    if order.payment_status != Order.PaymentStatus.UNPAID:
        raise OrderAlreadyPaid()
    if order.status == Order.Status.CANCELLED:
        raise OrderNotPayable()


def _order_mark_paid(*, order: Order, method: str) -> None:
    order.payment_status = Order.PaymentStatus.PAID
    order.payment_method = method
    order.save(update_fields=["payment_status", "payment_method", "updated_at"])


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
    _order_payable(order)
    if method == Payment.Method.WALLET:
        return _payment_by_wallet(user=user, order=order, saved_method=saved_method)
    if method == Payment.Method.CASH:
        return _payment_by_cash(user=user, order=order)
    return _payment_online_start(user=user, order=order, saved_method=saved_method)


@transaction.atomic
def _payment_by_wallet(*, user: User, order: Order, saved_method: SavedMethod | None) -> Payment:
    order = Order.objects.select_for_update().get(pk=order.pk)
    _order_payable(order)
    wallet = _wallet_locked(user_id=user.pk)
    if wallet.balance < order.total:
        raise InsufficientBalance(
            f"Your wallet holds {_money_text(wallet.balance)}; this order needs "
            f"{_money_text(order.total)}. Add money and try again."
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
    _wallet_move(
        wallet=wallet,
        type=WalletTransaction.Type.DEBIT,
        amount=order.total,
        description=f"Payment for order {order.order_number}",
        order=order,
        payment=payment,
    )
    _order_mark_paid(order=order, method=Payment.Method.WALLET)
    _notify_captured(payment=payment, order=order)
    return payment


@transaction.atomic
def _payment_by_cash(*, user: User, order: Order) -> Payment:
    order = Order.objects.select_for_update().get(pk=order.pk)
    _order_payable(order)
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
        _order_payable(order)
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
    return _gateway_order_attach(
        payment=payment, notes={"purpose": "order", "order_number": order.order_number}
    )


def _gateway_order_attach(*, payment: Payment, notes: dict[str, str]) -> Payment:
    """Create the payment's gateway order and store its id; if the gateway fails, the payment
    (and a top-up's pending credit) are discarded and the error goes to the app."""
    notes = {**notes, "payment_id": str(payment.pk)}
    try:
        with _gateway_errors():
            gateway_order = gateway.gateway_order_create(
                amount_paise=paise(payment.amount), receipt=payment.receipt, notes=notes
            )
    except Exception:
        with transaction.atomic():
            WalletTransaction.objects.filter(
                payment=payment, status=WalletTransaction.Status.PENDING
            ).delete()
            Payment.objects.filter(pk=payment.pk, gateway_order_id__isnull=True).delete()
        raise
    payment.gateway_order_id = gateway_order["id"]
    payment.save(update_fields=["gateway_order_id", "updated_at"])
    return payment


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
    with _gateway_errors(rejected_means_unverified=True):
        gateway_payment = gateway.gateway_payment_fetch(payment_id=gateway_payment_id)
    _gateway_payment_check(payment=payment, gateway_payment=gateway_payment)
    if gateway_payment.get("status") == "authorized":
        gateway_payment = _gateway_capture(payment=payment, gateway_payment_id=gateway_payment_id)
    if gateway_payment.get("status") != "captured":
        raise _unverified(f"the gateway says it is {gateway_payment.get('status')}.")
    return payment_capture_apply(payment_id=payment.pk, gateway_payment=gateway_payment)


def _gateway_capture(*, payment: Payment, gateway_payment_id: str) -> dict:
    try:
        with _gateway_errors():
            return gateway.gateway_payment_capture(
                payment_id=gateway_payment_id,
                amount_paise=paise(payment.amount),
                currency=payment.currency,
            )
    except GatewayRejectedError:
        # Captured meanwhile by a concurrent confirmation: what the gateway holds now counts.
        with _gateway_errors(rejected_means_unverified=True):
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
        _order_mark_paid(order=order, method=Payment.Method.ONLINE)
        _notify_captured(payment=payment, order=order)
    else:
        _refund_to_wallet(
            payment=payment,
            order=order,
            amount=payment.amount,
            reason=f"Order {order.order_number} was already {order.payment_status} or "
            f"{order.status} when this payment arrived; the money is back in your wallet.",
        )
    logger.info("payment %s captured by %s", payment.pk, payment.gateway_payment_id)
    return payment


def _top_up_complete(*, payment: Payment) -> None:
    wallet = _wallet_locked(user_id=payment.user_id)
    pending = (
        WalletTransaction.objects.select_for_update()
        .filter(payment=payment, type=WalletTransaction.Type.CREDIT)
        .exclude(status=WalletTransaction.Status.COMPLETED)
        .first()
    )
    _wallet_move(
        wallet=wallet,
        type=WalletTransaction.Type.CREDIT,
        amount=payment.amount,
        description="Money added to the wallet",
        payment=payment,
        pending=pending,
    )
    _notify_after_commit(
        user_id=payment.user_id,
        type=Notification.Type.WALLET,
        title="Wallet credited",
        message=f"{_money_text(payment.amount)} was added to your wallet. Balance: "
        f"{_money_text(wallet.balance)}.",
        data={"payment_id": str(payment.pk), "amount": str(payment.amount),
              "balance": str(wallet.balance)},
    )


def _notify_captured(*, payment: Payment, order: Order) -> None:
    _notify_after_commit(
        user_id=payment.user_id,
        type=Notification.Type.PAYMENT,
        title="Payment received",
        message=f"We received {_money_text(payment.amount)} for order {order.order_number}.",
        data={"payment_id": str(payment.pk), "order_id": str(order.pk),
              "status": Payment.Status.CAPTURED},
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
    _notify_after_commit(
        user_id=payment.user_id,
        type=Notification.Type.PAYMENT,
        title="Payment failed",
        message=f"Your payment of {_money_text(payment.amount)} failed: {reason}",
        data={"payment_id": str(payment.pk), "status": Payment.Status.FAILED,
              "order_id": str(payment.order_id) if payment.order_id else None},
    )
    return True


# --- cash on delivery and cancellation (hooks of the orders domain) ----------------------------


def order_cash_collect(*, order: Order) -> None:
    """On delivery (inside its transaction, the order row locked): the cash an unpaid cash
    order's customer hands over is captured and the order is paid. Pending cash payments of an
    order paid another way meanwhile are closed as failed."""
    pending = Payment.objects.filter(
        order=order, method=Payment.Method.CASH, status=Payment.Status.PENDING
    )
    if order.payment_status != Order.PaymentStatus.UNPAID:
        pending.update(
            status=Payment.Status.FAILED,
            failure_reason="The order was paid another way.",
            updated_at=timezone.now(),
        )
        return
    payment = pending.select_for_update().first()
    if payment is None:
        if order.payment_method != Order.PaymentMethod.CASH:
            return
        payment = Payment(
            user_id=order.user_id,
            purpose=Payment.Purpose.ORDER,
            order=order,
            amount=order.total,
            currency=CURRENCY,
            method=Payment.Method.CASH,
        )
    payment.status = Payment.Status.CAPTURED
    payment.captured_at = timezone.now()
    payment.save()
    _order_mark_paid(order=order, method=Payment.Method.CASH)
    _notify_captured(payment=payment, order=order)


def order_payments_refund(*, order: Order) -> None:
    """On cancellation (inside its transaction, the order row locked): a paid order's money
    goes back where it came from (wallet and cash payments to the wallet, online ones through
    the gateway) and its payment_status becomes `refunded`. Pending cash payments are closed.
    A paid order with no captured payment on record is refused (409) rather than cancelled
    with the money kept."""
    Payment.objects.filter(
        order=order, method=Payment.Method.CASH, status=Payment.Status.PENDING
    ).update(
        status=Payment.Status.FAILED,
        failure_reason="The order was cancelled.",
        updated_at=timezone.now(),
    )
    if order.payment_status != Order.PaymentStatus.PAID:
        return
    captured = list(
        Payment.objects.select_for_update()
        .filter(order=order, purpose=Payment.Purpose.ORDER, status=Payment.Status.CAPTURED)
        .order_by("created_at")
    )
    if not captured:
        raise RefundUnavailable(
            "This order is marked paid but no captured payment is on record to refund; it "
            "stays as it is."
        )
    reason = f"Order {order.order_number} was cancelled."
    for payment in captured:
        left = payment.amount - _refunded_amount(payment=payment)
        if left <= 0:
            continue
        if payment.method == Payment.Method.ONLINE:
            _refund_through_gateway_now(payment=payment, order=order, amount=left, reason=reason)
        else:
            _refund_to_wallet(payment=payment, order=order, amount=left, reason=reason)
    order.payment_status = Order.PaymentStatus.REFUNDED
    order.save(update_fields=["payment_status", "updated_at"])


# --- refunds -----------------------------------------------------------------------------------


def _refunded_amount(*, payment: Payment) -> Decimal:
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
    _notify_after_commit(
        user_id=user_id,
        type=Notification.Type.PAYMENT,
        title="Refund processed",
        message=f"{_money_text(refund.amount)} was refunded to {where}.",
        data={"refund_id": str(refund.pk), "payment_id": str(refund.payment_id),
              "order_id": str(refund.order_id) if refund.order_id else None,
              "amount": str(refund.amount)},
    )


def _refund_to_wallet(
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
    wallet = _wallet_locked(user_id=payment.user_id)
    _wallet_move(
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
    with _gateway_errors():
        refunds = gateway.gateway_refunds_of_payment(payment_id=payment.gateway_payment_id)
    return next((item for item in refunds if item.get("receipt") == receipt), None)


def _refund_through_gateway_now(
    *, payment: Payment, order: Order | None, amount: Decimal, reason: str
) -> Refund:
    """A cancellation's gateway refund, inside the cancelling transaction. Its receipt is the
    payment's, so a retried cancellation finds the refund an earlier try made."""
    receipt = f"c_{payment.pk.hex}"
    try:
        with _gateway_errors():
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
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise ValidationError({"payment_id": ["No such payment."]})
    if payment.purpose != Payment.Purpose.ORDER:
        raise RefundNotAllowed("A wallet top-up is not refunded; the money is in the wallet.")
    reason = reason or "Refund by LaundryConnect support."
    with transaction.atomic():
        order = (
            Order.objects.select_for_update().get(pk=payment.order_id)
            if payment.order_id else None
        )
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status not in Payment.SETTLED:
            raise RefundNotAllowed(f"Only a captured payment is refunded; this one is "
                                   f"{payment.status}.")
        left = payment.amount - _refunded_amount(payment=payment)
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise RefundExceedsCaptured(
                f"A refund cannot exceed what was captured minus what was already refunded: "
                f"{_money_text(left)} is left of {_money_text(payment.amount)}."
            )
        if payment.method != Payment.Method.ONLINE:
            return _refund_to_wallet(
                payment=payment, order=order, amount=amount, reason=reason, by=by
            )
        refund_id = uuid.uuid4()
        refund = Refund.objects.create(
            id=refund_id,
            payment=payment,
            order=order,
            amount=amount,
            status=Refund.Status.PENDING,
            reason=reason[:500],
            receipt=f"r_{refund_id.hex}",
            created_by=by,
        )
    try:
        with _gateway_errors():
            gateway_refund = gateway.gateway_refund_create(
                payment_id=payment.gateway_payment_id,
                amount_paise=paise(amount),
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


# --- webhooks ----------------------------------------------------------------------------------


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


# --- reconciliation ----------------------------------------------------------------------------


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
