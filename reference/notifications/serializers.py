"""Input parsing and output shapes of the notifications API and frames."""

from rest_framework import serializers

from reference.common.serializers import ModelSerializer, StrictInput
from reference.notifications.models import Notification, NotificationPreference
from reference.orders.models import Order


class NotificationSerializer(ModelSerializer):
    data = serializers.JSONField(help_text="What the notification is about, e.g. `order_id`.")

    class Meta:
        model = Notification
        fields = ["id", "type", "title", "message", "data", "is_read", "created_at"]
        read_only_fields = fields


class NotificationCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0)


class NotificationPreferenceSerializer(StrictInput, ModelSerializer):
    """Every switch; a PATCH may send any of them (other fields are ignored)."""

    class Meta:
        model = NotificationPreference
        fields = [
            "push_enabled", "sms_enabled", "order_updates", "payment_updates", "chat_messages",
            "promotions",
        ]


class OrderUpdateSerializer(ModelSerializer):
    """The order as an `order_update` frame carries it."""

    class Meta:
        model = Order
        fields = ["id", "order_number", "status", "payment_status", "updated_at"]
        read_only_fields = fields
