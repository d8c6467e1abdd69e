"""Input parsing and output shapes of image upload."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reference.common.serializers import ModelSerializer, StrictSerializer
from reference.integrations.media import media_url
from reference.uploads.models import UploadedImage


class ImageUploadSerializer(StrictSerializer):
    # A FileField, not an ImageField: what the file is gets decided by the pipeline (415 for
    # another format, 400 for a broken image), and an empty file is the pipeline's 400 too.
    image = serializers.FileField(
        allow_empty_file=True, help_text="A JPEG, PNG or WebP photo of at most 5 MB."
    )
    order_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of your orders to attach the photo to."
    )


class ImageRefSerializer(ModelSerializer):
    """An image as an order shows it: absolute URLs that need no auth header."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = UploadedImage
        fields = ["id", "url", "thumbnail_url"]
        read_only_fields = fields

    def _absolute(self, name: str) -> str:
        url = media_url(name=name)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(serializers.URLField())
    def get_url(self, image: UploadedImage) -> str:
        return self._absolute(image.image_name)

    @extend_schema_field(serializers.URLField())
    def get_thumbnail_url(self, image: UploadedImage) -> str:
        return self._absolute(image.thumbnail_name)


class ImageSerializer(ImageRefSerializer):
    """The stored image: the re-encoded JPEG's pixel size and byte size."""

    class Meta:
        model = UploadedImage
        fields = ["id", "url", "thumbnail_url", "width", "height", "size_bytes", "content_type"]
        read_only_fields = fields
