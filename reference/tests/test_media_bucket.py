"""Media in an S3-compatible bucket (the scaled profile): moto's S3 server runs in this process,
the storage is the one settings.py configures from LC_S3_*."""

import copy
import io
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from moto.server import ThreadedMotoServer
from PIL import Image

from reference.config.settings import s3_media_storage
from reference.tests import images

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

BUCKET = "laundryconnect-media"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(settings, s3_endpoint: str) -> Iterator[str]:
    """As `media_root`, but the files go to a fresh bucket of the S3 server."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_media_storage(
            endpoint_url=s3_endpoint, bucket=BUCKET, access_key="testing",
            secret_key="testing", region="ap-south-1",
        ),
    }
    call_command("ensure_bucket", stdout=io.StringIO())
    yield BUCKET
    client = storages["default"].connection.meta.client
    for listed in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=listed["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(bucket: str) -> list[str]:
    client = storages["default"].connection.meta.client
    return sorted(listed["Key"] for listed in client.list_objects_v2(Bucket=bucket)
                  .get("Contents", []))


def fetch(url: str) -> tuple[int, str, bytes]:
    """GET a URL as an image component does: no auth header."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a test's own URL
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read()


def test_ensure_bucket_creates_it_once(bucket):
    out = io.StringIO()

    call_command("ensure_bucket", stdout=out)

    assert "already exists" in out.getvalue()


def test_ensure_bucket_is_a_no_op_for_local_media():
    out = io.StringIO()

    call_command("ensure_bucket", stdout=out)

    assert "no bucket needed" in out.getvalue()


def test_an_upload_is_stored_in_the_bucket_and_served_by_the_backend(customer, bucket):
    file = SimpleUploadedFile("photo.jpg", images.photo((2400, 1200)), "image/jpeg")

    body = customer.post("/api/mobile/upload-image/", {"image": file},
                         format="multipart").json()

    assert [key.split("/")[0] for key in keys(bucket)] == ["images", "thumbs"]
    for url in (body["url"], body["thumbnail_url"]):
        # the bucket stays private: the backend serves its files behind its own signature,
        # with nosniff, which a presigned bucket URL could not add
        assert "/media/" in url
        assert "?s=" in url
        served = Client().get(url.split("testserver", 1)[-1])
        assert served.status_code == HTTPStatus.OK
        assert served["Content-Type"] == "image/jpeg"
        assert served["X-Content-Type-Options"] == "nosniff"
        content = b"".join(served.streaming_content)
        assert Image.open(io.BytesIO(content)).format == "JPEG"
    unsigned = body["url"].split("?")[0].split("testserver", 1)[-1]
    assert Client().get(unsigned).status_code == HTTPStatus.NOT_FOUND

    assert customer.delete(f"/api/mobile/images/{body['id']}/").status_code == 204
    assert keys(bucket) == []


def test_behind_nginx_the_file_is_handed_to_the_proxy_to_fetch(customer, bucket,
                                                              s3_endpoint, settings):
    settings.MEDIA_ACCEL_PREFIX = "/_stored_media/"
    file = SimpleUploadedFile("photo.jpg", images.photo((640, 480)), "image/jpeg")
    url = customer.post("/api/mobile/upload-image/", {"image": file},
                        format="multipart").json()["url"]

    served = Client().get(url.split("testserver", 1)[-1])
    forged = Client().get(url.split("testserver", 1)[-1][:-2] + "xx")

    # the backend checked the signature and names the file's presigned place in the bucket,
    # which nginx fetches from the storage; no byte of it passed through the backend
    assert served.status_code == HTTPStatus.OK
    assert served.content == b""
    assert served["X-Content-Type-Options"] == "nosniff"
    redirect = served["X-Accel-Redirect"]
    assert redirect.startswith(f"/_stored_media/{BUCKET}/images/")
    assert "X-Amz-Signature=" in redirect
    status, content_type, content = fetch(s3_endpoint + redirect[len("/_stored_media"):])
    assert (status, content_type) == (HTTPStatus.OK, "image/jpeg")
    assert Image.open(io.BytesIO(content)).format == "JPEG"
    assert forged.status_code == HTTPStatus.NOT_FOUND
    assert "X-Accel-Redirect" not in forged


def test_one_connection_serves_every_thread_and_their_files_all_land(bucket):
    # Django under ASGI runs each request in a thread of its own: a connection per thread was
    # a boto3 session built per request
    storage = storages["default"]
    names: list[str] = []
    connections: list[object] = []
    failures: list[BaseException] = []

    def save(index: int) -> None:
        try:
            connections.append(storage.connection)
            names.append(storage.save(f"threads/{index}.txt", io.BytesIO(b"x" * index)))
            assert storage.exists(names[-1])
        except BaseException as failure:  # reported by the main thread
            failures.append(failure)

    workers = [threading.Thread(target=save, args=(index,)) for index in range(1, 9)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert failures == []
    assert len({id(connection) for connection in connections}) == 1
    assert connections[0] is storage.connection
    assert keys(bucket) == sorted(names)
    assert [storage.size(f"threads/{index}.txt") for index in range(1, 9)] == list(range(1, 9))


def test_a_copy_of_the_storage_makes_its_own_connection(bucket):
    storage = storages["default"]
    before = storage.connection

    copied = copy.deepcopy(storage)

    assert copied.connection is not before
    assert copied.exists("nothing-here.txt") is False
