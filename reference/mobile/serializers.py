"""Output shapes of the app's home screen and configuration."""

from rest_framework import serializers

from reference.accounts.serializers import UserSerializer
from reference.catalog.serializers import CategorySerializer
from reference.orders.serializers import OrderSummarySerializer


class DashboardSerializer(serializers.Serializer):
    user = UserSerializer()
    active_orders = serializers.IntegerField(help_text="Orders not delivered nor cancelled.")
    recent_orders = OrderSummarySerializer(many=True, help_text="The 5 newest orders.")
    wallet_balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    unread_notifications = serializers.IntegerField()
    categories = CategorySerializer(many=True)


class UploadLimitsSerializer(serializers.Serializer):
    max_bytes = serializers.IntegerField()
    formats = serializers.ListField(child=serializers.CharField())


class AppConfigSerializer(serializers.Serializer):
    min_supported_version = serializers.CharField()
    force_update = serializers.BooleanField()
    maintenance_mode = serializers.BooleanField()
    pickup_time_slots = serializers.ListField(child=serializers.CharField())
    payment_methods = serializers.ListField(child=serializers.CharField())
    upload = UploadLimitsSerializer()
