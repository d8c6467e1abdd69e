"""Input parsing and output shapes of the orders API (no business rules here)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reference.accounts.serializers import AddressSerializer
from reference.common.serializers import ModelSerializer, StrictSerializer
from reference.orders.models import PICKUP_TIME_SLOTS, Order, OrderItem, OrderStatusChange
from reference.uploads.serializers import ImageRefSerializer

MAX_LINES = 50
MAX_QUANTITY = 100
MAX_IMAGES = 10


class OrderLineWriteSerializer(StrictSerializer):
    service_item = serializers.UUIDField(help_text="A service item id from the catalog.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    notes = serializers.CharField(max_length=500, allow_blank=True, default="")


class OrderCreateSerializer(StrictSerializer):
    """What the customer chooses; prices, totals and statuses sent along are ignored."""

    pickup_address = serializers.UUIDField(help_text="One of your address ids.")
    delivery_address = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of your address ids; default: pickup."
    )
    pickup_date = serializers.DateField(help_text="Today or later (Asia/Kolkata).")
    pickup_time_slot = serializers.ChoiceField(choices=PICKUP_TIME_SLOTS)
    items = serializers.ListField(
        child=OrderLineWriteSerializer(), min_length=1, max_length=MAX_LINES
    )
    image_ids = serializers.ListField(
        child=serializers.UUIDField(),
        default=list,
        max_length=MAX_IMAGES,
        help_text="Your uploads that are on no other order.",
    )
    special_instructions = serializers.CharField(
        max_length=1000, allow_blank=True, default=""
    )
    payment_method = serializers.ChoiceField(choices=Order.PaymentMethod.choices)


class OrderFilterSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)


class OrderCancelSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, default="")


class OrderStatusChangeWriteSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Order.Status.choices)
    note = serializers.CharField(max_length=500, allow_blank=True, default="")


class OrderLineSerializer(ModelSerializer):
    class Meta:
        model = OrderItem
        fields = [
            "id", "service_item", "service_item_name", "quantity", "unit_price", "total_price",
            "notes",
        ]
        read_only_fields = fields


class StatusChangeSerializer(ModelSerializer):
    class Meta:
        model = OrderStatusChange
        fields = ["status", "note", "at"]
        read_only_fields = fields


class OrderSerializer(ModelSerializer):
    items = OrderLineSerializer(many=True, read_only=True)
    images = ImageRefSerializer(many=True, read_only=True)
    # The order keeps copies of its addresses (as they were when it was placed).
    pickup_address = AddressSerializer(read_only=True)
    delivery_address = AddressSerializer(read_only=True)
    status_history = StatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id", "order_number", "status", "payment_status", "payment_method", "items",
            "images", "pickup_address", "delivery_address", "pickup_date", "pickup_time_slot",
            "special_instructions", "subtotal", "tax", "delivery_fee", "discount", "total",
            "status_history", "created_at", "updated_at",
        ]
        read_only_fields = fields


class OrderSummarySerializer(ModelSerializer):
    item_count = serializers.IntegerField(read_only=True, help_text="The number of lines.")

    class Meta:
        model = Order
        fields = [
            "id", "order_number", "status", "payment_status", "total", "item_count",
            "created_at",
        ]
        read_only_fields = fields


class TrackSerializer(ModelSerializer):
    order_id = serializers.UUIDField(source="id", read_only=True)
    status_history = StatusChangeSerializer(many=True, read_only=True)
    estimated_delivery = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["order_id", "status", "status_history", "estimated_delivery"]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_estimated_delivery(self, order: Order) -> str | None:
        """The estimate made when the order was placed; none once it is cancelled."""
        if order.status == Order.Status.CANCELLED:
            return None
        return serializers.DateTimeField().to_representation(order.estimated_delivery)
