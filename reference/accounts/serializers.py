"""Input parsing and output shapes of the accounts API (no business rules here)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from reference.accounts.models import Address, PushToken, User
from reference.accounts.validators import (
    phone_normalize,
    validate_e164,
    validate_expo_push_token,
    validate_pincode,
)
from reference.common.serializers import ModelSerializer, StrictSerializer


class PhoneNumberField(serializers.CharField):
    """An E.164 phone number; spaces, dashes and brackets typed inside it are dropped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)
        self.validators.append(validate_e164)

    def to_internal_value(self, data: Any) -> str:
        return phone_normalize(super().to_internal_value(data))


class CoordinateField(serializers.DecimalField):
    """A latitude or longitude; extra decimals from a GPS fix are rounded to 6 (about 0.1 m)."""

    STEP = Decimal("0.000001")

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        super().__init__(
            max_digits=9, decimal_places=6, min_value=Decimal(-limit), max_value=Decimal(limit),
            required=False, allow_null=True, **kwargs,
        )

    def validate_precision(self, value: Decimal) -> Decimal:
        try:
            rounded = value.quantize(self.STEP, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            # too many digits to round at all (1e300): refused like any over-long number
            self.fail("max_whole_digits", max_whole_digits=self.max_whole_digits)
        return super().validate_precision(rounded)


def _password_field() -> serializers.CharField:
    return serializers.CharField(
        write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class UserSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id", "email", "phone_number", "full_name", "role", "is_verified",
            "created_at", "updated_at",
        ]
        read_only_fields = fields


class OperatorUserSerializer(ModelSerializer):
    """What staff see of an account: the User fields plus whether it is active."""

    class Meta:
        model = User
        fields = [*UserSerializer.Meta.fields, "is_active", "is_staff"]
        read_only_fields = fields


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterSerializer(StrictSerializer):
    full_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    phone_number = PhoneNumberField()
    password = _password_field()
    password_confirm = _password_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["password"] != attrs["password_confirm"]:
            raise serializers.ValidationError({"password_confirm": ["The passwords differ."]})
        candidate = User(
            email=attrs["email"], phone_number=attrs["phone_number"], full_name=attrs["full_name"]
        )
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class RegistrationSerializer(serializers.Serializer):
    user = UserSerializer()
    tokens = TokenPairSerializer()


class LoginSerializer(StrictSerializer):
    email = serializers.CharField(
        max_length=254, help_text="The account's email address or its phone number."
    )
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class SignedInSerializer(serializers.Serializer):
    user = UserSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshSerializer(StrictSerializer):
    refresh = serializers.CharField(max_length=2048)


class VerifyOtpSerializer(StrictSerializer):
    phone_number = PhoneNumberField()
    otp_code = serializers.CharField(max_length=12)


class VerifiedSerializer(serializers.Serializer):
    user = UserSerializer()


class ResendOtpSerializer(StrictSerializer):
    phone_number = PhoneNumberField()


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class _IdentifierSerializer(StrictSerializer):
    """Takes the account by `email` (an email or a phone number) or by `phone_number`."""

    email = serializers.CharField(max_length=254, required=False)
    phone_number = PhoneNumberField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        identifier = attrs.get("phone_number") or attrs.get("email")
        if not identifier:
            raise serializers.ValidationError(
                {"email": ["Give the account's email or phone_number."]}
            )
        attrs["identifier"] = identifier
        return attrs


class ForgotPasswordSerializer(_IdentifierSerializer):
    pass


class ResetPasswordSerializer(_IdentifierSerializer):
    code = serializers.CharField(max_length=12)
    new_password = _password_field()
    new_password_confirm = _password_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs["new_password"] != attrs["new_password_confirm"]:
            raise serializers.ValidationError({"new_password_confirm": ["The passwords differ."]})
        return attrs


class MeUpdateSerializer(StrictSerializer):
    """Only the name is writable; any other field sent is ignored."""

    full_name = serializers.CharField(max_length=150, required=False)


class PushTokenSerializer(StrictSerializer):
    token = serializers.CharField(max_length=255, validators=[validate_expo_push_token])
    platform = serializers.ChoiceField(choices=PushToken.Platform.choices)


class PushTokenSavedSerializer(serializers.Serializer):
    message = serializers.CharField()
    platform = serializers.ChoiceField(choices=PushToken.Platform.choices)


class AddressSerializer(ModelSerializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)

    class Meta:
        model = Address
        fields = [
            "id", "label", "address_line1", "address_line2", "city", "state", "pincode",
            "latitude", "longitude", "is_default", "created_at",
        ]
        read_only_fields = fields


class AddressWriteSerializer(StrictSerializer):
    label = serializers.ChoiceField(choices=Address.Label.choices, default=Address.Label.HOME)
    address_line1 = serializers.CharField(max_length=255)
    address_line2 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100)
    pincode = serializers.CharField(max_length=6, validators=[validate_pincode])
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    is_default = serializers.BooleanField(required=False)
