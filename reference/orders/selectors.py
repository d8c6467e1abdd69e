"""Reads of the orders domain, scoped to the asking user."""

from uuid import UUID

from django.db.models import Count, QuerySet
from django.http import Http404

from reference.accounts.models import User
from reference.orders.models import Order


def _summaries(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.annotate(item_count=Count("items")).order_by("-created_at", "-id")


def order_list(*, user: User, status: str | None = None) -> QuerySet[Order]:
    """The user's orders, newest first, with `item_count` (the number of lines)."""
    orders = Order.objects.filter(user=user)
    if status is not None:
        orders = orders.filter(status=status)
    return _summaries(orders)


def order_history_list(*, user: User) -> QuerySet[Order]:
    """The user's finished orders (delivered or cancelled), newest first."""
    return _summaries(Order.objects.filter(user=user, status__in=Order.FINISHED))


def order_recent_list(*, user: User, limit: int = 5) -> list[Order]:
    return list(order_list(user=user)[:limit])


def order_active_count(*, user: User) -> int:
    """How many of the user's orders are neither delivered nor cancelled."""
    return Order.objects.filter(user=user).exclude(status__in=Order.FINISHED).count()


def _detailed(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.prefetch_related("items", "status_history", "images")


def order_get(*, user: User, order_id: UUID) -> Order:
    """One of the user's orders; staff may read any order. Another user's id is 404."""
    orders = Order.objects.all() if user.is_staff else Order.objects.filter(user=user)
    order = _detailed(orders).filter(pk=order_id).first()
    if order is None:
        raise Http404("No such order.")
    return order


def order_get_owned(*, user: User, order_id: UUID) -> Order:
    """One of the user's own orders, for what only its customer may do (cancel)."""
    order = _detailed(Order.objects.filter(user=user)).filter(pk=order_id).first()
    if order is None:
        raise Http404("No such order.")
    return order
