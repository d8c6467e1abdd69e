"""Image upload (`/api/mobile/upload-image/`, `/api/chat/upload/`), the caller's images
(`/api/mobile/images/{id}/`) and, for local media, the files themselves (`/media/...`)."""

import re
from collections.abc import Callable

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.common.schema import ErrorSerializer
from reference.integrations.media import (
    MediaUnavailable,
    media_fetch_path,
    media_open,
    media_url_valid,
)
from reference.uploads import selectors, services
from reference.uploads.serializers import ImageSerializer, ImageUploadSerializer
from reference.uploads.throttles import UploadThrottle

MOBILE = ["mobile"]
# Only names the upload pipeline makes are served: nothing else under MEDIA_ROOT, no traversal.
MEDIA_NAME = re.compile(r"^(images|thumbs)/[0-9a-f]{32}\.jpg$")

UPLOAD_RESPONSES = {
    201: ImageSerializer,
    400: OpenApiResponse(
        ErrorSerializer,
        "No `image` part, or an empty, damaged or truncated image (`invalid_image`), or one "
        "with too many pixels (`image_too_large`).",
    ),
    413: OpenApiResponse(
        ErrorSerializer,
        "The body (`request_too_large`) or the file (`file_too_large`) is over the limit.",
    ),
    415: OpenApiResponse(
        ErrorSerializer,
        "Not multipart, or the file does not decode as JPEG, PNG or WebP "
        "(`unsupported_media_type`).",
    ),
    503: OpenApiResponse(ErrorSerializer, "The media storage failed (`storage_unavailable`)."),
}
UPLOAD_DESCRIPTION = (
    "Upload a photo as the multipart part `image` (at most 5 MB). Its format is decided by "
    "decoding it (JPEG, PNG or WebP); the stored image is re-encoded as JPEG (quality 85, "
    "longest side at most 1920 px, orientation applied, all metadata removed) with a 300 px "
    "thumbnail. The URLs are absolute and load without an auth header."
)


class ImageUploadApi(APIView):
    permission_classes = (IsAuthenticated,)
    parser_classes = (MultiPartParser,)
    throttle_classes = (UploadThrottle,)
    # What an `order_id` names, given (user, order_id) where the view is routed
    # (`reference.config.urls`): the orders app rules on its orders, and uploads imports no app
    # above it.
    photo_order: Callable[..., services.PhotoOrder] | None = None

    @extend_schema(
        operation_id="images_upload",
        tags=MOBILE,
        request={"multipart/form-data": ImageUploadSerializer},
        responses=UPLOAD_RESPONSES,
        description=UPLOAD_DESCRIPTION,
    )
    def post(self, request: Request) -> Response:
        serializer = ImageUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_id = serializer.validated_data.get("order_id")
        onto = None if order_id is None else self.photo_order(user=request.user, order_id=order_id)
        image = services.image_upload(
            user=request.user, file=serializer.validated_data["image"], onto=onto
        )
        body = ImageSerializer(image, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ChatImageUploadApi(ImageUploadApi):
    """The chat's photo upload: the same upload under the chat's path."""

    @extend_schema(
        operation_id="chat_upload",
        tags=["chat"],
        request={"multipart/form-data": ImageUploadSerializer},
        responses=UPLOAD_RESPONSES,
        description=UPLOAD_DESCRIPTION,
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class ImageDetailApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(operation_id="images_retrieve", tags=MOBILE, responses={200: ImageSerializer})
    def get(self, request: Request, image_id: str) -> Response:
        """One of your uploaded images: signed, expiring URLs of the image and its thumbnail,
        and its size. Another account's image is 404 like an unknown id."""
        image = selectors.image_get(user=request.user, image_id=image_id)
        return Response(ImageSerializer(image, context={"request": request}).data)

    @extend_schema(
        operation_id="images_destroy",
        tags=MOBILE,
        responses={
            204: OpenApiResponse(description="The image and its files are gone."),
            503: OpenApiResponse(ErrorSerializer, "The media storage failed; try again."),
        },
    )
    def delete(self, request: Request, image_id: str) -> Response:
        """Delete one of your images and both its files. If the media storage fails (503)
        the image stays, and deleting it again finishes the job."""
        image = selectors.image_get(user=request.user, image_id=image_id)
        services.image_delete(image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)


@require_safe
def media_serve(request: HttpRequest, name: str) -> HttpResponse:
    """A stored image or thumbnail, from disk or from the bucket.

    No auth header: the app's image components cannot send one; the URL's expiring signature
    over an unguessable name (a random UUID) is the credential. An unsigned, forged or expired
    URL is as absent as a missing file.

    Behind the scaled profile's nginx (MEDIA_ACCEL_PREFIX set) the bytes do not pass through
    this worker: the reply names the file's presigned place in the bucket under that internal
    location (`X-Accel-Redirect`), nginx fetches it from the storage and answers with it (a
    file the bucket does not have is nginx's JSON 404; `stack/proxy.py`).
    """
    token = request.GET.get("s", "")
    if not MEDIA_NAME.match(name) or not media_url_valid(name=name, token=token):
        raise Http404("No such file.")
    response = _media_redirect(name) if settings.MEDIA_ACCEL_PREFIX else None
    if response is None:
        try:
            file = media_open(name=name)
        except (FileNotFoundError, MediaUnavailable) as exc:
            raise Http404("No such file.") from exc
        response = FileResponse(file, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _media_redirect(name: str) -> HttpResponse | None:
    """The reply that hands the file's fetch to nginx, or None when the files are local."""
    try:
        fetch_path = media_fetch_path(name=name)
    except MediaUnavailable as exc:
        raise Http404("No such file.") from exc
    if fetch_path is None:
        return None
    response = HttpResponse(content_type="image/jpeg")
    response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_PREFIX.rstrip("/") + fetch_path
    return response
