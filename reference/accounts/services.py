"""Writes of the accounts domain.

Argon2 hashing (about a tenth of a second) and SMS calls (up to the provider timeout) run
outside database transactions on purpose: in the embedded profile a transaction holds SQLite's
one write lock, and every other writer would queue behind the hash or the network call.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework.exceptions import APIException, AuthenticationFailed, ValidationError
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from reference.accounts.exceptions import (
    InvalidCredentials,
    OtpAttemptsExceeded,
    OtpExpired,
    OtpInvalid,
    SelfDeactivation,
    SmsUnavailableError,
)
from reference.accounts.models import Address, OneTimeCode, PushToken, User
from reference.accounts.selectors import user_get_by_identifier
from reference.common.websocket import sessions_revoke
from reference.integrations.sms import SmsUnavailable, sms_send

logger = logging.getLogger(__name__)

SMS_WHAT = {
    OneTimeCode.Purpose.VERIFY_PHONE: "verification code",
    OneTimeCode.Purpose.RESET_PASSWORD: "password reset code",
}


@dataclass(frozen=True)
class SignedIn:
    """A user with a fresh token pair."""

    user: User
    access: str
    refresh: str


def _signed_in(user: User) -> SignedIn:
    refresh = RefreshToken.for_user(user)
    return SignedIn(user=user, access=str(refresh.access_token), refresh=str(refresh))


def _code_hash(*, user: User, purpose: str, code: str) -> str:
    # A keyed hash: a stolen table alone does not let anyone try the million codes offline.
    return salted_hmac("reference.accounts.code", f"{purpose}:{user.pk}:{code}").hexdigest()


def _code_issue(*, user: User, purpose: str) -> str:
    """Store a new code for (user, purpose), replacing the old one; return it in clear."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    OneTimeCode.objects.update_or_create(
        user=user,
        purpose=purpose,
        defaults={
            "code_hash": _code_hash(user=user, purpose=purpose, code=code),
            "expires_at": timezone.now() + timedelta(seconds=settings.OTP_TTL_SECONDS),
            "failed_attempts": 0,
            "used_at": None,
        },
    )
    return code


def _code_redeem(*, user: User | None, purpose: str, code: str) -> APIException | None:
    """Use up the live code if `code` matches; return the error to raise otherwise.

    The caller runs this in a transaction and raises the error after it commits, so that a
    wrong guess is counted even though the request fails.
    """
    if user is None:
        return OtpInvalid()
    row = (
        OneTimeCode.objects.select_for_update()
        .filter(user=user, purpose=purpose, used_at__isnull=True)
        .first()
    )
    if row is None:
        return OtpInvalid()
    if row.failed_attempts >= settings.OTP_MAX_ATTEMPTS:
        return OtpAttemptsExceeded()
    if row.expires_at <= timezone.now():
        return OtpExpired()
    if not constant_time_compare(row.code_hash, _code_hash(user=user, purpose=purpose, code=code)):
        row.failed_attempts += 1
        row.save(update_fields=["failed_attempts"])
        return OtpInvalid()
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    return None


def _sms_text(*, purpose: str, code: str) -> str:
    ttl = settings.OTP_TTL_SECONDS
    if ttl % 60 == 0:
        lifetime = "1 minute" if ttl == 60 else f"{ttl // 60} minutes"
    else:
        lifetime = f"{ttl} seconds"
    return f"Your LaundryConnect {SMS_WHAT[purpose]} is {code}. It expires in {lifetime}."


def _code_send(*, user: User, purpose: str) -> None:
    code = _code_issue(user=user, purpose=purpose)
    sms_send(to=user.phone_number, body=_sms_text(purpose=purpose, code=code))


def _refresh_tokens_blacklist(*, user: User) -> None:
    """Kill every refresh token of the user that is still alive."""
    alive = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in alive], ignore_conflicts=True
    )


# One reply whichever of the two is taken, so that registration does not tell an attacker
# whether a given email or a given phone number has an account.
ACCOUNT_EXISTS = {
    "non_field_errors": ["An account with this email or phone number already exists."]
}


def _taken(*, email: str, phone_number: str) -> bool:
    return User.objects.filter(Q(email=email) | Q(phone_number=phone_number)).exists()


def user_register(*, full_name: str, email: str, phone_number: str, password: str) -> SignedIn:
    """Create a customer, text them a verification code and sign them in.

    A failing SMS provider does not fail the registration: the account exists, the failure is
    logged, and the customer can ask for a new code.
    """
    email = email.strip().lower()
    if _taken(email=email, phone_number=phone_number):
        raise ValidationError(ACCOUNT_EXISTS)
    user = User(email=email, phone_number=phone_number, full_name=full_name.strip())
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            code = _code_issue(user=user, purpose=OneTimeCode.Purpose.VERIFY_PHONE)
    except IntegrityError as exc:
        # two registrations raced past the check; the loser gets the same reply
        raise ValidationError(ACCOUNT_EXISTS) from exc
    try:
        sms_send(
            to=user.phone_number,
            body=_sms_text(purpose=OneTimeCode.Purpose.VERIFY_PHONE, code=code),
        )
    except SmsUnavailable:
        logger.warning("verification SMS for new user %s failed", user.pk, exc_info=True)
    return _signed_in(user)


def user_login(*, identifier: str, password: str) -> SignedIn:
    """Sign in by email or phone number; every failure raises the same InvalidCredentials."""
    user = user_get_by_identifier(identifier=identifier)
    if user is None:
        # Hash anyway so that an unknown account takes as long as a wrong password.
        make_password(password)
        raise InvalidCredentials()
    if not user.check_password(password) or not user.is_active:
        raise InvalidCredentials()
    return _signed_in(user)


@transaction.atomic
def token_refresh(*, refresh: str) -> SignedIn:
    """Trade a live refresh token for a new pair; the old refresh token dies.

    The outstanding row is locked so that two concurrent refreshes of one token cannot both
    succeed (PostgreSQL; SQLite's IMMEDIATE transactions serialize them anyway).
    """
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    outstanding = (
        OutstandingToken.objects.select_for_update(of=("self",))
        .filter(jti=token["jti"])
        .order_by("pk")
        .first()
    )
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise InvalidToken("Token is blacklisted")
    user = User.objects.filter(pk=token.get("user_id")).first()
    if user is None or not user.is_active:
        raise AuthenticationFailed("No active account found for the given token.", "user_inactive")
    BlacklistedToken.objects.create(token=outstanding)
    return _signed_in(user)


def token_logout(*, refresh: str) -> None:
    """Kill one refresh token; a dead or invalid one raises InvalidToken (401)."""
    try:
        RefreshToken(refresh).blacklist()
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc


def otp_verify(*, phone_number: str, code: str) -> User:
    """Mark the phone as verified with the code sent to it."""
    user = User.objects.filter(phone_number=phone_number, is_active=True).first()
    with transaction.atomic():
        error = _code_redeem(user=user, purpose=OneTimeCode.Purpose.VERIFY_PHONE, code=code)
        if error is None:
            user.is_verified = True
            user.save(update_fields=["is_verified", "updated_at"])
    if error is not None:
        raise error
    return user


def otp_resend(*, phone_number: str) -> None:
    """Send a new verification code (replacing the old one) to an unverified account's phone;
    do nothing for an unknown or verified number so that the reply tells nothing."""
    user = User.objects.filter(
        phone_number=phone_number, is_active=True, is_verified=False
    ).first()
    if user is None:
        return
    try:
        _code_send(user=user, purpose=OneTimeCode.Purpose.VERIFY_PHONE)
    except SmsUnavailable as exc:
        logger.warning("verification SMS for user %s failed", user.pk, exc_info=True)
        raise SmsUnavailableError() from exc


def password_reset_request(*, identifier: str) -> None:
    """Text a reset code to the account's registered phone; silent for an unknown account."""
    user = user_get_by_identifier(identifier=identifier)
    if user is None or not user.is_active:
        return
    try:
        _code_send(user=user, purpose=OneTimeCode.Purpose.RESET_PASSWORD)
    except SmsUnavailable:
        # The reply must not depend on the account existing, so the failure is only logged.
        logger.warning("password reset SMS for user %s failed", user.pk, exc_info=True)


def password_reset_confirm(*, identifier: str, code: str, new_password: str) -> None:
    """Set a new password with the reset code and kill every token issued before (refresh
    tokens blacklisted, access tokens by their password version) and every socket open."""
    user = user_get_by_identifier(identifier=identifier)
    if user is not None and not user.is_active:
        user = None
    try:
        validate_password(new_password, user=user)
    except DjangoValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    password_hash = make_password(new_password)
    with transaction.atomic():
        error = _code_redeem(user=user, purpose=OneTimeCode.Purpose.RESET_PASSWORD, code=code)
        if error is None:
            user.password = password_hash
            user.save(update_fields=["password", "updated_at"])
            _refresh_tokens_blacklist(user=user)
            user_id = user.pk
            transaction.on_commit(lambda: sessions_revoke(user_id=user_id))
    if error is not None:
        raise error


@transaction.atomic
def user_update(*, user: User, full_name: str | None = None) -> User:
    """Change what a user may change about themselves: only the name."""
    if full_name is not None:
        user.full_name = full_name.strip()
        user.save(update_fields=["full_name", "updated_at"])
    return user


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> User:
    """Deactivate an account (operator action): its tokens and its logins stop working, and
    the sockets it has open close."""
    if user.pk == by.pk:
        raise SelfDeactivation()
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
    _refresh_tokens_blacklist(user=user)
    user_id = user.pk
    transaction.on_commit(lambda: sessions_revoke(user_id=user_id))
    return user


def staff_ensure(
    *, email: str, password: str, full_name: str, phone_number: str
) -> tuple[User, bool]:
    """Create or update the operator account; return it and whether it was created.

    The password is only re-hashed when it changed: a new hash would revoke the tokens the
    harness already holds for this account.
    """
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    created = user is None
    if user is None:
        user = User(email=email, phone_number=phone_number)
    if created or not user.check_password(password):
        user.set_password(password)
    user.full_name = full_name
    user.role = User.Role.STAFF
    user.is_staff = True
    user.is_verified = True
    user.is_active = True
    with transaction.atomic():
        user.save()
    return user, created


@transaction.atomic
def push_token_register(*, user: User, token: str, platform: str) -> PushToken:
    """Store an Expo push token for the caller; a token known for another user moves over."""
    push_token, _ = PushToken.objects.update_or_create(
        token=token, defaults={"user": user, "platform": platform}
    )
    return push_token


def _owner_lock(*, user_id: Any) -> None:
    # One user's address writes queue on their user row, so that two concurrent
    # "set default" calls cannot leave two defaults or none.
    User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).first()


@transaction.atomic
def address_create(
    *,
    user: User,
    label: str,
    address_line1: str,
    city: str,
    state: str,
    pincode: str,
    address_line2: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    is_default: bool = False,
) -> Address:
    """Add an address; the first one, or one asked to be default, becomes the default."""
    _owner_lock(user_id=user.pk)
    defaults = Address.objects.filter(user=user, is_default=True)
    make_default = is_default or not defaults.exists()
    if make_default:
        defaults.update(is_default=False)
    return Address.objects.create(
        user=user,
        label=label,
        address_line1=address_line1,
        address_line2=address_line2,
        city=city,
        state=state,
        pincode=pincode,
        latitude=latitude,
        longitude=longitude,
        is_default=make_default,
    )


@transaction.atomic
def address_update(*, address: Address, data: dict[str, Any]) -> Address:
    """Change an address. `is_default: true` moves the default here; `is_default: false` on
    the default is ignored, because exactly one default must remain."""
    _owner_lock(user_id=address.user_id)
    changes = dict(data)
    make_default = changes.pop("is_default", False)
    for field, value in changes.items():
        setattr(address, field, value)
    if make_default and not address.is_default:
        Address.objects.filter(user_id=address.user_id, is_default=True).update(is_default=False)
        address.is_default = True
    address.save()
    return address


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Delete an address; if it was the default, the newest remaining one becomes default."""
    _owner_lock(user_id=address.user_id)
    was_default = address.is_default
    user_id = address.user_id
    address.delete()
    if was_default:
        newest = Address.objects.filter(user_id=user_id).order_by("-created_at", "-id").first()
        if newest is not None:
            newest.is_default = True
            newest.save(update_fields=["is_default", "updated_at"])
