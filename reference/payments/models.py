"""Saved payment methods, wallets and their ledger, payments, refunds and gateway webhooks.

Money is Decimal rupees with two decimals here and integer paise at the gateway. The wallet's
balance always equals the sum of its completed transactions (credits and refunds minus debits):
both change together, under the wallet's row lock, in one transaction.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from reference.orders.models import Order

CURRENCY = "INR"
MONEY = {"max_digits": 12, "decimal_places": 2}


class SavedMethod(models.Model):
    """A payment method the customer keeps for later. A card is kept as the gateway's token
    with its brand, last four digits and expiry only; its number and CVV never reach the
    database. Deleting one is soft (`deleted_at`), so past payments keep their method."""

    class Type(models.TextChoices):
        CARD = "card", "Card"
        UPI = "upi", "UPI"
        NETBANKING = "netbanking", "Net banking"
        WALLET = "wallet", "Wallet"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_methods"
    )
    type = models.CharField(max_length=12, choices=Type.choices)
    provider = models.CharField(
        max_length=64,
        help_text="Who holds the instrument: the tokenising gateway for a card, the UPI "
        "handle's bank, the bank, or the wallet's provider.",
    )
    token = models.CharField(max_length=64, blank=True, help_text="The gateway's card token.")
    card_brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    expiry_month = models.PositiveSmallIntegerField(null=True, blank=True)
    expiry_year = models.PositiveSmallIntegerField(null=True, blank=True)
    upi_id = models.CharField(max_length=256, blank=True)
    bank_name = models.CharField(max_length=100, blank=True)
    wallet_provider = models.CharField(max_length=50, blank=True)
    wallet_number = models.CharField(
        max_length=20, blank=True, help_text="Masked: only the last four digits are kept."
    )
    fingerprint = models.CharField(
        max_length=64, help_text="Keyed digest of the instrument, to refuse the same one twice."
    )
    is_default = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "fingerprint"],
                condition=Q(deleted_at__isnull=True),
                name="one_live_method_per_instrument",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True, deleted_at__isnull=True),
                name="one_default_method_per_user",
            ),
        ]


class GatewayCustomer(models.Model):
    """The gateway's customer record of a user, made when they first save a card."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gateway_customer"
    )
    customer_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Wallet(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet"
    )
    balance = models.DecimalField(default=Decimal("0.00"), **MONEY)
    currency = models.CharField(max_length=3, default=CURRENCY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="wallet_balance_never_negative"
            ),
        ]


class Payment(models.Model):
    """One way of paying one thing: an order, or a wallet top-up. An online payment has one
    gateway order; its gateway payment, once captured, belongs to it alone."""

    class Purpose(models.TextChoices):
        ORDER = "order", "Order"
        WALLET_TOPUP = "wallet_topup", "Wallet top-up"

    class Method(models.TextChoices):
        ONLINE = "online", "Online"
        WALLET = "wallet", "Wallet"
        CASH = "cash", "Cash"

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        PENDING = "pending", "Pending"
        CAPTURED = "captured", "Captured"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    SETTLED = (Status.CAPTURED, Status.REFUNDED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default=CURRENCY)
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    receipt = models.CharField(
        max_length=40, unique=True, null=True, blank=True,
        help_text="Sent with the gateway order; the same receipt finds the same gateway order.",
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    gateway_order_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    gateway_payment_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    key_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    saved_method = models.ForeignKey(
        SavedMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    captured_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "-created_at"], name="payment_user_created")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]


class WalletTransaction(models.Model):
    class Type(models.TextChoices):
        CREDIT = "credit", "Credit"
        DEBIT = "debit", "Debit"
        REFUND = "refund", "Refund"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="transactions")
    type = models.CharField(max_length=10, choices=Type.choices)
    amount = models.DecimalField(**MONEY)
    balance_after = models.DecimalField(
        null=True, blank=True, help_text="Set when the transaction completes.", **MONEY
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    description = models.CharField(max_length=255, blank=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True,
        related_name="wallet_transactions",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallet_txn_amount_positive"),
        ]


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=500, blank=True)
    gateway_refund_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    receipt = models.CharField(max_length=40, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]


class WebhookEvent(models.Model):
    """A gateway webhook event, by its `X-Razorpay-Event-Id`: redeliveries are answered 200
    and do nothing once it is processed."""

    event_id = models.CharField(max_length=100, unique=True)
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)
