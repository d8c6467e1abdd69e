"""In-app notifications and what each user wants pushed to their devices."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Notification(models.Model):
    class Type(models.TextChoices):
        ORDER_UPDATE = "order_update", "Order update"
        PAYMENT = "payment", "Payment"
        WALLET = "wallet", "Wallet"
        CHAT = "chat", "Chat"
        SYSTEM = "system", "System"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    type = models.CharField(max_length=16, choices=Type.choices)
    title = models.CharField(max_length=200)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_newest"),
            models.Index(
                fields=["user"], condition=models.Q(is_read=False), name="notification_unread"
            ),
        ]


class NotificationPreference(models.Model):
    """A user's switches, made with the defaults on first use.

    `sms_enabled` and `promotions` are stored for the app's settings screen; no event of the
    contract sends an SMS notification or a promotion yet.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    push_enabled = models.BooleanField(default=True)
    sms_enabled = models.BooleanField(default=True)
    order_updates = models.BooleanField(default=True)
    payment_updates = models.BooleanField(default=True)
    chat_messages = models.BooleanField(default=True)
    # Marketing is opt-in.
    promotions = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
