"""Reads of uploaded images, scoped to the asking user."""

from uuid import UUID

from django.http import Http404

from reference.accounts.models import User
from reference.uploads.models import UploadedImage


def image_get(*, user: User, image_id: UUID) -> UploadedImage:
    """One of the user's images; another user's id is 404 like an unknown one."""
    image = UploadedImage.objects.filter(user=user, pk=image_id).first()
    if image is None:
        raise Http404("No such image.")
    return image


def images_attachable(*, user: User, image_ids: list[UUID]) -> bool:
    """Whether every one of `image_ids` is the user's own upload and on no order yet."""
    unattached = UploadedImage.objects.filter(user=user, pk__in=image_ids, order__isnull=True)
    return unattached.count() == len(image_ids)
