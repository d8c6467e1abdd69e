"""Reads of the accounts domain, scoped to the asking user."""

from django.db.models import QuerySet
from django.http import Http404

from reference.accounts.models import Address, User
from reference.accounts.validators import E164, identifier_normalize


def user_get_by_identifier(*, identifier: str) -> User | None:
    """Return the user whose email or phone number is `identifier` (typed into one field)."""
    value = identifier_normalize(identifier)
    if "@" in value:
        return User.objects.filter(email=value).first()
    if E164.match(value):
        return User.objects.filter(phone_number=value).first()
    return None


def user_list() -> QuerySet[User]:
    """Every account, newest first (operator endpoint: the view admits staff only)."""
    return User.objects.order_by("-created_at", "-id")


def user_get(*, user_id: str) -> User:
    """Return any account by id (operator endpoint) or raise 404."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user.")
    return user


def address_list(*, user: User) -> QuerySet[Address]:
    """The user's addresses, newest first."""
    return Address.objects.filter(user=user).order_by("-created_at", "-id")


def address_get(*, user: User, address_id: str) -> Address:
    """Return one of the user's addresses; another user's id is 404 like an unknown one."""
    address = Address.objects.filter(user=user, pk=address_id).first()
    if address is None:
        raise Http404("No such address.")
    return address
