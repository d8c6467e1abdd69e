"""Media files through Django's default storage: local files under MEDIA_ROOT (`embedded`), or
an S3-compatible bucket through django-storages and boto3 when LC_S3_ENDPOINT_URL is set
(`scaled`, moto's S3 server by default)."""

import logging
from urllib.parse import urlencode, urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile, File
from django.core.files.storage import storages
from django.urls import reverse

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


class MediaUnavailable(Exception):
    """The storage could not take, give or remove a file (disk error, bucket unreachable)."""


# Media URLs carry an expiring signature of the file name: the app's image components send no
# auth header, so the signature (over an unguessable name) is the credential, and it can lapse.
_url_signer = signing.TimestampSigner(salt="reference.media")


def media_save(*, name: str, content: bytes) -> str:
    """Store `content` under `name` and return the name the storage used."""
    try:
        return storages["default"].save(name, ContentFile(content))
    except STORAGE_ERRORS as exc:
        raise MediaUnavailable(f"storing {name} failed: {exc}") from exc


def media_delete(*, name: str) -> None:
    """Remove a file; a file that is already gone is fine."""
    try:
        storages["default"].delete(name)
    except STORAGE_ERRORS as exc:
        raise MediaUnavailable(f"deleting {name} failed: {exc}") from exc


def media_url(*, name: str) -> str:
    """The file's path on this backend, `/media/<name>?s=<signature>`, valid for
    MEDIA_URL_MAX_AGE seconds.

    The backend serves the bytes in every profile (from disk or from the bucket) so that each
    reply carries `X-Content-Type-Options: nosniff`, which a bucket's presigned URL cannot add.
    """
    token = _url_signer.sign(name)[len(name) + 1:]
    return f"{reverse('media', kwargs={'name': name})}?{urlencode({'s': token})}"


def media_url_valid(*, name: str, token: str) -> bool:
    """Whether `token` is this backend's unexpired signature of `name`."""
    try:
        _url_signer.unsign(f"{name}:{token}", max_age=settings.MEDIA_URL_MAX_AGE)
    except signing.BadSignature:
        return False
    return True


def media_open(*, name: str) -> File:
    """Open a stored file for reading; raise FileNotFoundError when there is none.

    Existence is checked first because a bucket opens lazily and would otherwise fail only
    while the reply is already streaming.
    """
    storage = storages["default"]
    try:
        if not storage.exists(name):
            raise FileNotFoundError(name)
        return storage.open(name, "rb")
    except STORAGE_ERRORS as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise MediaUnavailable(f"opening {name} failed: {exc}") from exc


def media_fetch_path(*, name: str) -> str | None:
    """Where a proxy in front fetches a stored file itself: the bucket's path of the file with
    a presigned query (`/<bucket>/<name>?X-Amz-...`, relative to the storage's endpoint), or
    None when the files are local."""
    storage = storages["default"]
    if getattr(storage, "bucket_name", None) is None:
        return None
    try:
        presigned = urlsplit(storage.url(name))
    except STORAGE_ERRORS as exc:
        raise MediaUnavailable(f"signing {name} failed: {exc}") from exc
    return f"{presigned.path}?{presigned.query}"


def bucket_ensure() -> bool | None:
    """Create the media bucket if the storage is S3 and it does not exist yet.

    Returns True when it was created, False when it already existed, None when the storage is
    not a bucket.
    """
    storage = storages["default"]
    bucket_name = getattr(storage, "bucket_name", None)
    if bucket_name is None:
        return None
    client = storage.connection.meta.client
    try:
        client.head_bucket(Bucket=bucket_name)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket"}:
            raise MediaUnavailable(f"checking bucket {bucket_name} failed: {exc}") from exc
    except BotoCoreError as exc:
        raise MediaUnavailable(f"checking bucket {bucket_name} failed: {exc}") from exc
    region = client.meta.region_name
    # us-east-1 is the one region that refuses an explicit location constraint.
    location = {} if region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": region}
    }
    try:
        client.create_bucket(Bucket=bucket_name, **location)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "BucketAlreadyOwnedByYou":
            return False
        raise MediaUnavailable(f"creating bucket {bucket_name} failed: {exc}") from exc
    except BotoCoreError as exc:
        raise MediaUnavailable(f"creating bucket {bucket_name} failed: {exc}") from exc
    logger.info("media bucket %s created in %s", bucket_name, region)
    return True
