"""Media files through Django's default storage: local files under MEDIA_ROOT (`embedded`), or
an S3-compatible bucket through django-storages and boto3 when LC_S3_ENDPOINT_URL is set
(`scaled`, moto's S3 server by default)."""

import logging

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, storages

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


class MediaUnavailable(Exception):
    """The storage could not take, give or remove a file (disk error, bucket unreachable)."""


def media_is_local() -> bool:
    """Whether files live on this machine's disk (and the backend itself serves them)."""
    return isinstance(storages["default"], FileSystemStorage)


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
    """The file's URL: `/media/<name>` (local), or a presigned bucket URL valid for an hour.

    Presigning is computed locally: rendering a list of images makes no network call.
    """
    return storages["default"].url(name)


def media_open(*, name: str) -> File:
    """Open a stored file for reading; raise FileNotFoundError when there is none."""
    return storages["default"].open(name, "rb")


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
