"""Input parsing and output shapes of the payments API (no business rules here).

Card details are checked here (Luhn, a future expiry, a 3-4 digit CVV) before they go to the
gateway; they appear in no output shape. Money comes in as a JSON number (parsed to Decimal by
`DecimalJSONParser`, never float) with at most two decimals, and goes out as a JSON number.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reference.common.serializers import ModelSerializer, StrictSerializer
from reference.payments.models import Payment, Refund, SavedMethod, Wallet, WalletTransaction

PAISE = Decimal("0.01")
TOP_UP_MIN = Decimal("1")
TOP_UP_MAX = Decimal("10000")
REFUND_MAX = Decimal("9999999999.99")
CARD_DIGITS = re.compile(r"\d{12,19}")
CARD_SEPARATORS = re.compile(r"[ -]")
CVV = re.compile(r"\d{3,4}")
UPI_ID = re.compile(r"[A-Za-z0-9._-]{2,256}@[A-Za-z][A-Za-z0-9.-]{1,64}")
WALLET_NUMBER = re.compile(r"\+?\d{10,15}")


def luhn_valid(number: str) -> bool:
    """Whether a string of digits passes the Luhn check that every card number carries."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


@extend_schema_field({"type": "number", "format": "decimal", "example": 499.5})
class MoneyField(serializers.Field):
    """Rupees as a JSON number with at most 2 decimals, between `min_value` and `max_value`.
    Strings, booleans, NaN, infinities and floats (a parser that made one lost exactness
    already) are refused."""

    default_error_messages = {
        "type": "Send the amount as a JSON number in rupees, e.g. 499.50.",
        "finite": "The amount must be a finite number.",
        "min": "The amount must be at least {min}.",
        "max": "The amount must be at most {max}.",
        "places": "The amount may have at most 2 decimals (paise).",
    }

    def __init__(self, *, min_value: Decimal, max_value: Decimal, **kwargs: Any) -> None:
        self.min_value = min_value
        self.max_value = max_value
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, int | Decimal):
            self.fail("type")
        amount = Decimal(data)
        if not amount.is_finite():
            self.fail("finite")
        if amount < self.min_value:
            self.fail("min", min=self.min_value)
        if amount > self.max_value:
            self.fail("max", max=self.max_value)
        try:
            exact = amount.quantize(PAISE)
        except InvalidOperation:
            self.fail("places")
        if exact != amount:
            self.fail("places")
        return exact

    def to_representation(self, value: Decimal) -> Decimal:
        return Decimal(value).quantize(PAISE)


def _money_out(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=False, read_only=True, **kwargs
    )


# --- saved methods -----------------------------------------------------------------------------


class SavedMethodCreateSerializer(StrictSerializer):
    """A new method; the fields of its `type` are required, the others ignored."""

    type = serializers.ChoiceField(choices=SavedMethod.Type.choices)
    is_default = serializers.BooleanField(default=False)
    card_number = serializers.CharField(
        required=False, max_length=32, trim_whitespace=True, write_only=True,
        help_text="Card only: 12-19 digits (spaces allowed), Luhn-valid. Never stored.",
    )
    expiry_month = serializers.IntegerField(required=False, min_value=1, max_value=12)
    expiry_year = serializers.IntegerField(
        required=False, min_value=0, max_value=2200, help_text="Card only: 2 or 4 digits."
    )
    cvv = serializers.CharField(
        required=False, max_length=8, write_only=True,
        help_text="Card only: 3 or 4 digits. Never stored.",
    )
    card_holder = serializers.CharField(required=False, max_length=100, allow_blank=True)
    upi_id = serializers.CharField(required=False, max_length=330, help_text="UPI only.")
    bank_name = serializers.CharField(
        required=False, min_length=2, max_length=100, help_text="Net banking only."
    )
    wallet_provider = serializers.CharField(
        required=False, min_length=2, max_length=50, help_text="Wallet only (e.g. paytm)."
    )
    wallet_number = serializers.CharField(
        required=False, max_length=20,
        help_text="Wallet only: the wallet's phone number; only its last 4 digits are kept.",
    )

    REQUIRED = {
        SavedMethod.Type.CARD: ("card_number", "expiry_month", "expiry_year", "cvv"),
        SavedMethod.Type.UPI: ("upi_id",),
        SavedMethod.Type.NETBANKING: ("bank_name",),
        SavedMethod.Type.WALLET: ("wallet_provider", "wallet_number"),
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        method_type = attrs["type"]
        missing = {
            name: ["This field is required for this type."]
            for name in self.REQUIRED[method_type]
            if attrs.get(name) in (None, "")
        }
        if missing:
            raise serializers.ValidationError(missing)
        if method_type == SavedMethod.Type.CARD:
            attrs.update(self._card(attrs))
        elif method_type == SavedMethod.Type.UPI:
            if not UPI_ID.fullmatch(attrs["upi_id"]):
                raise serializers.ValidationError(
                    {"upi_id": ["Give a UPI id such as name@okhdfcbank."]}
                )
        elif method_type == SavedMethod.Type.WALLET:
            number = CARD_SEPARATORS.sub("", attrs["wallet_number"])
            if not WALLET_NUMBER.fullmatch(number):
                raise serializers.ValidationError(
                    {"wallet_number": ["Give the wallet's phone number (10 to 15 digits)."]}
                )
            attrs["wallet_number"] = number
        return attrs

    @staticmethod
    def _card(attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        number = CARD_SEPARATORS.sub("", attrs["card_number"])
        if not CARD_DIGITS.fullmatch(number) or not luhn_valid(number):
            errors["card_number"] = ["This is not a valid card number."]
        year = attrs["expiry_year"]
        if year < 100:
            year += 2000
        month = attrs["expiry_month"]
        today = timezone.localdate()
        if not 2000 <= year <= today.year + 50:
            errors["expiry_year"] = ["Give the card's expiry year (2 or 4 digits)."]
        elif date(year, month, 1) < today.replace(day=1):
            errors["expiry_year"] = ["This card has expired."]
        if not CVV.fullmatch(attrs["cvv"]):
            errors["cvv"] = ["The CVV is the 3 or 4 digits on the card."]
        if errors:
            raise serializers.ValidationError(errors)
        return {"card_number": number, "expiry_year": year}


class SavedMethodUpdateSerializer(StrictSerializer):
    is_default = serializers.BooleanField(
        help_text="true makes this the default; false on the default is ignored (exactly one "
        "default remains)."
    )


class SavedMethodSerializer(ModelSerializer):
    class Meta:
        model = SavedMethod
        fields = [
            "id", "type", "provider", "last4", "card_brand", "expiry_month", "expiry_year",
            "upi_id", "bank_name", "wallet_provider", "is_default", "created_at",
        ]
        read_only_fields = fields


# --- wallet ------------------------------------------------------------------------------------


class WalletSerializer(ModelSerializer):
    balance = _money_out()

    class Meta:
        model = Wallet
        fields = ["id", "balance", "currency", "updated_at"]
        read_only_fields = fields


class WalletTransactionSerializer(ModelSerializer):
    amount = _money_out()
    balance_after = _money_out(allow_null=True)
    order_id = serializers.UUIDField(read_only=True, allow_null=True)
    payment_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = WalletTransaction
        fields = [
            "id", "type", "amount", "balance_after", "description", "status", "order_id",
            "payment_id", "created_at",
        ]
        read_only_fields = fields


class AddMoneySerializer(StrictSerializer):
    amount = MoneyField(
        min_value=TOP_UP_MIN, max_value=TOP_UP_MAX, help_text="Rupees, 1 to 10,000."
    )


class AddMoneyResultSerializer(serializers.Serializer):
    transaction_id = serializers.UUIDField()
    payment_id = serializers.UUIDField()
    amount = _money_out()
    currency = serializers.CharField()
    gateway_order_id = serializers.CharField()
    key_id = serializers.CharField()
    payment_url = serializers.URLField()


# --- payments ----------------------------------------------------------------------------------


def payment_url(gateway_order_id: str | None) -> str | None:
    """Where the app opens the gateway's checkout for this order (LC_CHECKOUT_URL)."""
    if not gateway_order_id:
        return None
    return settings.CHECKOUT_URL.format(gateway_order_id=gateway_order_id)


class PaymentCreateSerializer(StrictSerializer):
    order_id = serializers.UUIDField(help_text="One of your unpaid orders.")
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    saved_method_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of your saved methods (online)."
    )


class PaymentSerializer(ModelSerializer):
    amount = _money_out()
    order_id = serializers.UUIDField(read_only=True, allow_null=True)
    key_id = serializers.SerializerMethodField()
    payment_url = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id", "purpose", "order_id", "amount", "currency", "method", "status",
            "gateway_order_id", "gateway_payment_id", "key_id", "payment_url",
            "failure_reason", "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_key_id(self, payment: Payment) -> str | None:
        """The gateway key the app opens checkout with (online payments only)."""
        return payment.key_id or None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_payment_url(self, payment: Payment) -> str | None:
        if payment.status in Payment.SETTLED:
            return None
        return payment_url(payment.gateway_order_id)


class PaymentVerifySerializer(StrictSerializer):
    """What the gateway's checkout hands back to the app."""

    razorpay_payment_id = serializers.CharField(max_length=64)
    # Required, as checkout always returns it: a triple with a part left out is not what
    # checkout returned, whatever the remaining parts prove.
    razorpay_order_id = serializers.CharField(
        max_length=64,
        help_text="Must be this payment's gateway order; the stored one is what is signed.",
    )
    razorpay_signature = serializers.CharField(max_length=256)


WEBHOOK_OUTCOMES = ("processed", "duplicate", "ignored")


class WebhookAckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=WEBHOOK_OUTCOMES,
        help_text="processed: applied (or already true); duplicate: this event id was "
        "handled before; ignored: an event that changes nothing here.",
    )


# --- refunds -----------------------------------------------------------------------------------


class RefundCreateSerializer(StrictSerializer):
    payment_id = serializers.UUIDField()
    amount = MoneyField(
        min_value=PAISE, max_value=REFUND_MAX, required=False,
        help_text="Rupees; default: all that is left to refund.",
    )
    reason = serializers.CharField(max_length=500, allow_blank=True, default="")


class RefundSerializer(ModelSerializer):
    amount = _money_out()
    payment_id = serializers.UUIDField(read_only=True)
    order_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Refund
        fields = ["id", "payment_id", "order_id", "amount", "status", "reason", "created_at"]
        read_only_fields = fields
