"""Orders, their lines and their status history."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from reference.catalog.models import ServiceItem

# The pickup windows the app offers (`/api/mobile/config/`), in local time (Asia/Kolkata).
PICKUP_TIME_SLOTS = (
    "08:00-10:00",
    "10:00-12:00",
    "12:00-14:00",
    "14:00-16:00",
    "16:00-18:00",
    "18:00-20:00",
)


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        PICKED_UP = "picked_up", "Picked up"
        IN_PROCESS = "in_process", "In process"
        READY = "ready", "Ready"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", "Unpaid"
        PAID = "paid", "Paid"
        REFUNDED = "refunded", "Refunded"

    class PaymentMethod(models.TextChoices):
        ONLINE = "online", "Online"
        WALLET = "wallet", "Wallet"
        CASH = "cash", "Cash"

    FINISHED = (Status.DELIVERED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_number = models.CharField(max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="orders"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    payment_status = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    payment_method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    # Copies of the addresses as they were when the order was placed (the Address shape): the
    # customer may edit or delete an address later, the order keeps where it goes.
    pickup_address = models.JSONField(encoder=DjangoJSONEncoder)
    delivery_address = models.JSONField(encoder=DjangoJSONEncoder)
    pickup_date = models.DateField()
    pickup_time_slot = models.CharField(max_length=11)
    special_instructions = models.TextField(blank=True)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    delivery_fee = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    estimated_delivery = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "status"], name="order_user_status")]

    def __str__(self) -> str:
        return self.order_number


class OrderItem(models.Model):
    """One line of an order, priced from the catalog when the order was placed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    service_item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    service_item_name = models.CharField(max_length=120)
    quantity = models.PositiveSmallIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    total_price = models.DecimalField(max_digits=12, decimal_places=2)
    processing_time = models.PositiveSmallIntegerField(help_text="Hours, from the catalog.")
    notes = models.CharField(max_length=500, blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ("order", "position")


class OrderStatusChange(models.Model):
    """One entry of an order's status history; every status an order took has one."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_history")
    status = models.CharField(max_length=20, choices=Order.Status.choices)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ("at", "id")
