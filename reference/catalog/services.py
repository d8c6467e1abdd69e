"""Writes of the catalog domain."""

import uuid

from django.db import transaction

from reference.catalog.data import catalog_rows
from reference.catalog.models import Category, ServiceItem

# Ids derive from names, so every fresh database of the reference has the same catalog ids.
CATALOG_NAMESPACE = uuid.UUID("6f1c1a52-3d4e-4f7a-9b61-1c0de1a0d2b7")


@transaction.atomic
def catalog_load() -> tuple[int, int]:
    """Install or refresh the default catalog (idempotent); return (categories, items)."""
    categories = items = 0
    for row in catalog_rows():
        category, _ = Category.objects.update_or_create(
            id=uuid.uuid5(CATALOG_NAMESPACE, row["name"]),
            defaults={
                "name": row["name"],
                "description": row["description"],
                "icon": row["icon"],
                "display_order": row["display_order"],
                "is_active": True,
            },
        )
        categories += 1
        for item in row["items"]:
            ServiceItem.objects.update_or_create(
                id=uuid.uuid5(CATALOG_NAMESPACE, f"{row['name']}/{item['name']}"),
                defaults={**item, "category": category, "is_active": True},
            )
            items += 1
    return categories, items
