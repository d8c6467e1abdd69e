"""Saved payment methods: a card tokenized at the gateway, a UPI id, a bank, a wallet; one
default per user, the same instrument saved once."""

import hashlib
import hmac
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from reference.accounts.models import User
from reference.integrations import gateway
from reference.payments.exceptions import DuplicateMethod
from reference.payments.models import GatewayCustomer, SavedMethod
from reference.payments.services.gateway_calls import gateway_errors

logger = logging.getLogger(__name__)

CARD_PROVIDER = "razorpay"


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
    with gateway_errors():
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
    with gateway_errors():
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
