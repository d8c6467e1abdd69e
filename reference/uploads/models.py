"""Uploaded images: the re-encoded photo and its thumbnail, stored under server-made names."""

import uuid

from django.conf import settings
from django.db import models


class UploadedImage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    image_name = models.CharField(max_length=255, help_text="Storage name of the image.")
    thumbnail_name = models.CharField(max_length=255, help_text="Storage name of the thumbnail.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    content_type = models.CharField(max_length=32, default="image/jpeg")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # An order shows its photos in the order they were taken (uploaded).
        ordering = ("created_at", "id")
