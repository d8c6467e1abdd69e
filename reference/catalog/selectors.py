"""Reads of the catalog domain (public: only active rows are shown)."""

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from reference.catalog.models import Category, ServiceItem


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("display_order", "name", "id")


def service_item_list(*, category_id: UUID | None = None) -> QuerySet[ServiceItem]:
    items = ServiceItem.objects.filter(is_active=True, category__is_active=True)
    if category_id is not None:
        items = items.filter(category_id=category_id)
    return items.order_by("category__display_order", "name", "id")


def service_item_get(*, item_id: UUID) -> ServiceItem:
    item = service_item_list().filter(pk=item_id).first()
    if item is None:
        raise Http404("No such service item.")
    return item
