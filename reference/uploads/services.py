"""Image upload: check, decode, clean, re-encode and store a photo, and delete it again.

The pipeline trusts nothing the client said about the file: not its name, not its declared
type. The format is what Pillow decodes, from an explicit allowlist; the pixel count is read
from the header and checked before any pixel is decoded; the whole image is decoded (a
truncated file fails here, not later); then a new image is built from the pixels alone, so no
EXIF, GPS, ICC, XMP or comment (nor anything hidden after the image data) reaches the stored
JPEG. Files are stored under names made here, never the client's.

The ASGI middleware in `reference.uploads.limits` has already refused bodies far over the size
limit before Django read them; `image_upload` checks the file's own size exactly.
"""

import io
import logging
import threading
import uuid
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Protocol
from uuid import UUID

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from PIL import Image, ImageFile, ImageOps, PngImagePlugin, UnidentifiedImageError
from rest_framework.exceptions import APIException, ValidationError

from reference.accounts.models import User
from reference.integrations.media import MediaUnavailable, media_delete, media_save
from reference.uploads.exceptions import (
    FileTooLarge,
    ImageTooLarge,
    InvalidImage,
    MediaStorageUnavailable,
    UnsupportedImage,
)
from reference.uploads.models import UploadedImage

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
ALLOWED_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
STORED_CONTENT_TYPE = "image/jpeg"
MAX_SIDE = 1920
THUMBNAIL_SIDE = 300
JPEG_QUALITY = 85
NOT_ATTACHABLE = "Attach only your own uploads that are on no other order."
WHITE = (255, 255, 255)

# Pillow's process-wide guards: a truncated file is an error, not a grey bottom half; PNG text
# chunks (zTXt/iTXt bombs) may not inflate past 256 KB each nor 1 MB in all; and Pillow's own
# decompression-bomb check uses our pixel budget (refusing at 2x, warning above 1x).
ImageFile.LOAD_TRUNCATED_IMAGES = False
PngImagePlugin.MAX_TEXT_CHUNK = 256 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 1024 * 1024
Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS
# Pillow warns (rather than refusing) between 1x and 2x the budget; `_decode` refuses every
# image over the budget from its header, so the warning would only add a line to the log.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

_decode_slots = threading.BoundedSemaphore(settings.UPLOAD_DECODE_CONCURRENCY)

# Leading bytes of the allowed formats. They never decide that a file is accepted (decoding
# does); they tell a damaged JPEG/PNG/WebP (400) from a file of another kind (415).
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


@dataclass(frozen=True)
class ProcessedImage:
    """The re-encoded photo and thumbnail (JPEG bytes) and the photo's size in pixels."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int


class PhotoOrder(Protocol):
    """The order an uploaded photo goes onto, as the orders app rules on it (uploads imports no
    app above it): `check` before the photo is decoded, `claim` inside the transaction that
    records the photo (it may lock the order's row and count its photos). Both raise the
    client's error."""

    order_id: UUID

    def check(self) -> None: ...

    def claim(self) -> None: ...


def _claims_allowed_format(head: bytes) -> bool:
    return head.startswith(SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _pixels_to_rgb(image: Image.Image) -> Image.Image:
    """Orientation applied, transparency flattened onto white, RGB."""
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # 16-bit and float greyscale: scale to 8 bits first, Pillow's RGB conversion clips.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _stored_size(width: int, height: int) -> tuple[int, int]:
    """The size a photo of `width` x `height` is stored at: at most MAX_SIDE on its longest
    side, its proportions kept (as `Image.thumbnail` makes it)."""
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decode(fp: IO[bytes]) -> Image.Image:
    """Decode the whole image and return a clean RGB copy at most MAX_SIDE on its longest
    side; Pillow's exceptions pass through for `image_process` to classify."""
    with Image.open(fp, formats=ALLOWED_FORMATS) as source:
        width, height = source.size
        if width * height > settings.UPLOAD_MAX_PIXELS:
            raise ImageTooLarge(
                f"The image is {width} x {height} pixels; the most we take is "
                f"{settings.UPLOAD_MAX_PIXELS // 1_000_000} megapixels."
            )
        if source.format == "JPEG":
            # libjpeg decodes at 1/2, 1/4 or 1/8 scale when that still covers the size the
            # photo is stored at: a 4000 x 3000 photo decodes as 2000 x 1500, a quarter of the
            # pixels, memory and time. (Asking for MAX_SIDE on both sides would never scale a
            # landscape photo: its short side is under MAX_SIDE once stored.)
            source.draft("RGB", _stored_size(width, height))
        source.load()
        image = _pixels_to_rgb(source)
    # Pillow's own filter for thumbnails: a JPEG drafted at 1/2 scale is only a few percent over
    # MAX_SIDE, where Lanczos costs a third more than bicubic (56 vs 42 ms for 2000 x 1500 here)
    # for no difference that shows.
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BICUBIC)
    # A new image made of the pixels alone: no info, EXIF, ICC profile, XMP or comment of the
    # upload can be carried into what we store.
    return Image.frombytes("RGB", image.size, image.tobytes())


def image_process(*, fp: IO[bytes]) -> ProcessedImage:
    """Decode an uploaded file and re-encode it (JPEG, quality 85) with its thumbnail.

    Raises UnsupportedImage (415) for anything not decodable as JPEG, PNG or WebP,
    InvalidImage (400) for an empty, damaged, truncated or header-only one, ImageTooLarge (400)
    above the pixel budget.
    """
    fp.seek(0)
    head = fp.read(16)
    if not head:
        raise InvalidImage("The file is empty.")
    fp.seek(0)
    with _decode_slots:
        return _process(fp, head)


def _process(fp: IO[bytes], head: bytes) -> ProcessedImage:
    """`image_process` once a decode slot is free."""
    try:
        clean = _decode(fp)
    except APIException:
        raise
    except UnidentifiedImageError as exc:
        if _claims_allowed_format(head):
            raise InvalidImage() from exc
        raise UnsupportedImage() from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(
            f"The image has too many pixels; the most we take is "
            f"{settings.UPLOAD_MAX_PIXELS // 1_000_000} megapixels."
        ) from exc
    except Exception as exc:
        # Decoders of hostile input fail in many ways (OSError for truncation, ValueError for
        # text-chunk bombs, SyntaxError, struct.error, EOFError...): each one is the client's
        # broken file, never a 500.
        logger.info("upload refused as invalid image: %s: %s", type(exc).__name__, exc)
        raise InvalidImage() from exc
    thumbnail = clean.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return ProcessedImage(
        image=_jpeg(clean), thumbnail=_jpeg(thumbnail), width=clean.width, height=clean.height
    )


def image_upload(
    *, user: User, file: UploadedFile, onto: PhotoOrder | None = None
) -> UploadedImage:
    """Check, re-encode and store an uploaded photo (and attach it to the order `onto` names,
    when one is given)."""
    limit = settings.UPLOAD_MAX_BYTES
    if file.size > limit:
        raise FileTooLarge(
            f"The photo is {file.size} bytes; the most we take is {limit} bytes "
            f"({limit / 1024 / 1024:g} MB)."
        )
    if onto is not None:
        onto.check()
    processed = image_process(fp=file)

    # The files are written outside the transaction (a bucket is a network call) and removed
    # again if the row cannot be written.
    stored: list[str] = []
    try:
        stored.append(media_save(name=f"images/{uuid.uuid4().hex}.jpg", content=processed.image))
        stored.append(
            media_save(name=f"thumbs/{uuid.uuid4().hex}.jpg", content=processed.thumbnail)
        )
        return _image_record(
            user=user,
            onto=onto,
            image_name=stored[0],
            thumbnail_name=stored[1],
            processed=processed,
        )
    except BaseException as exc:
        for name in stored:
            try:
                media_delete(name=name)
            except MediaUnavailable:
                logger.warning("could not remove orphan upload %s", name, exc_info=True)
        if isinstance(exc, MediaUnavailable):
            logger.warning("media storage failed", exc_info=True)
            raise MediaStorageUnavailable() from exc
        raise


@transaction.atomic
def _image_record(
    *,
    user: User,
    onto: PhotoOrder | None,
    image_name: str,
    thumbnail_name: str,
    processed: ProcessedImage,
) -> UploadedImage:
    if onto is not None:
        onto.claim()
    return UploadedImage.objects.create(
        user=user,
        order_id=None if onto is None else onto.order_id,
        image_name=image_name,
        thumbnail_name=thumbnail_name,
        width=processed.width,
        height=processed.height,
        size_bytes=len(processed.image),
        content_type=STORED_CONTENT_TYPE,
    )


def images_attach(*, user: User, image_ids: list[UUID], order_id: UUID) -> None:
    """Attach the user's `image_ids` to an order, each only while it is on no order yet: of two
    orders racing for one image, one attaches it and the other is refused (400), which rolls
    back the caller's transaction whole."""
    attached = UploadedImage.objects.filter(
        user=user, pk__in=image_ids, order__isnull=True
    ).update(order_id=order_id)
    if attached != len(image_ids):
        raise ValidationError({"image_ids": [NOT_ATTACHABLE]})


def image_delete(*, image: UploadedImage) -> None:
    """Delete an image and both its files. The files go first: if the storage fails, the
    image is still there (503) and deleting it again finishes the job."""
    try:
        media_delete(name=image.image_name)
        media_delete(name=image.thumbnail_name)
    except MediaUnavailable as exc:
        logger.warning("media storage failed", exc_info=True)
        raise MediaStorageUnavailable() from exc
    image.delete()


def _referring(relation: models.ForeignObjectRel) -> models.QuerySet:
    """The ids of the photos the rows on the other side of `relation` refer to."""
    field = relation.field
    return relation.related_model._default_manager.filter(
        **{f"{field.name}__isnull": False}
    ).values(field.attname)


def images_orphaned_purge(*, older_than: timedelta) -> int:
    """Delete the photos that no order and no other row (a chat message) uses, uploaded more
    than `older_than` ago, with their files; return how many.

    The app uploads garment photos before it places the order, so a customer who gives up
    leaves them behind. The row goes first, and only while no order has taken the photo
    meanwhile; a file the storage cannot remove then is logged (it is unreachable without its
    row) and the purge goes on.
    """
    cutoff = timezone.now() - older_than
    candidates = UploadedImage.objects.filter(order__isnull=True, created_at__lt=cutoff)
    # Who refers to a photo (chat's messages) is read from the foreign keys Django knows, so
    # that uploads names no app built on it.
    for relation in UploadedImage._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and relation.one_to_many:
            candidates = candidates.exclude(pk__in=_referring(relation))
    purged = 0
    for image in candidates.iterator():
        deleted, _ = UploadedImage.objects.filter(pk=image.pk, order__isnull=True).delete()
        if not deleted:
            continue
        purged += 1
        for name in (image.image_name, image.thumbnail_name):
            try:
                media_delete(name=name)
            except MediaUnavailable:
                logger.warning("could not remove the file %s of a purged photo", name,
                               exc_info=True)
    return purged
