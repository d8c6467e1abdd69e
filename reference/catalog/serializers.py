"""Output shapes of the catalog API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reference.catalog.models import Category, ServiceItem
from reference.common.serializers import ModelSerializer, StrictSerializer


class CategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "description", "icon", "display_order", "is_active"]
        read_only_fields = fields


class ServiceItemSerializer(ModelSerializer):
    image = serializers.SerializerMethodField()

    class Meta:
        model = ServiceItem
        fields = [
            "id", "category", "name", "description", "base_price", "unit", "image",
            "processing_time", "is_active",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image(self, item: ServiceItem) -> str | None:
        return item.image or None


class ServiceItemFilterSerializer(StrictSerializer):
    category = serializers.UUIDField(required=False, help_text="A category id.")
