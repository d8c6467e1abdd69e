"""The laundry catalog: categories of service and the items priced in them."""

import uuid

from django.core.validators import MinValueValidator
from django.db import models


class Category(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    icon = models.CharField(max_length=64, blank=True, help_text="An icon name the app knows.")
    display_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("display_order", "name")
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ServiceItem(models.Model):
    class Unit(models.TextChoices):
        PIECE = "piece", "Piece"
        KG = "kg", "Kilogram"
        PAIR = "pair", "Pair"
        SET = "set", "Set"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    base_price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(0)],
        help_text="Rupees per unit.",
    )
    unit = models.CharField(max_length=8, choices=Unit.choices)
    image = models.URLField(blank=True)
    processing_time = models.PositiveSmallIntegerField(help_text="Hours.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("category__display_order", "name")
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="unique_item_per_category"),
        ]

    def __str__(self) -> str:
        return self.name
