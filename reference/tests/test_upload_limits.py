"""The body limit: oversized uploads are refused before Django reads (or spools) them, under
ASGI and under WSGI."""

import asyncio
import io
import json
from collections.abc import Iterable
from http import HTTPStatus

from django.conf import settings as django_settings
from django.core.files.uploadedfile import InMemoryUploadedFile, TemporaryUploadedFile
from django.core.files.uploadhandler import load_handler
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from reference.config.asgi import application
from reference.tests.conftest import ORDERS
from reference.uploads.limits import BodyLimitMiddleware, BodyLimitWsgiMiddleware

UPLOAD = "/api/mobile/upload-image/"
CHUNK = 64 * 1024
FIFTY_MB = 50 * 1024 * 1024


class FakeClient:
    """The server's side of one request: a receive that counts the chunks the app pulled and
    a send that records what the app answered."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = iter(chunks)
        self.next_chunk = next(self.chunks, None)
        self.pulled = 0
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        chunk, self.next_chunk = self.next_chunk, next(self.chunks, None)
        if chunk is None:
            # The body is all in and the client still waits for the reply, as a real one does
            # (Django listens for a disconnect while its view runs).
            await asyncio.Event().wait()
        self.pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": self.next_chunk is not None}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    @property
    def statuses(self) -> list[int]:
        return [m["status"] for m in self.sent if m["type"] == "http.response.start"]

    @property
    def body(self) -> dict:
        return json.loads(b"".join(m.get("body", b"") for m in self.sent
                                   if m["type"] == "http.response.body"))


def scope(path: str = UPLOAD, content_length: int | None = None) -> dict:
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"multipart/form-data; boundary=x")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


def fifty_mb() -> Iterable[bytes]:
    return (b"\x00" * CHUNK for _ in range(FIFTY_MB // CHUNK))


async def reading_app(scope: dict, receive, send) -> None:
    """Reads the whole body like Django's handler, then answers 200 (or stops on disconnect)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def run(app, request_scope: dict, client: FakeClient) -> None:
    asyncio.run(asyncio.wait_for(app(request_scope, client.receive, client.send), timeout=30))


def test_a_declared_oversized_body_is_refused_without_reading_it():
    called = []

    async def app(*args) -> None:
        called.append(args)

    client = FakeClient(fifty_mb())

    run(BodyLimitMiddleware(app), scope(content_length=FIFTY_MB), client)

    assert client.pulled == 0
    assert called == []
    assert client.statuses == [HTTPStatus.REQUEST_ENTITY_TOO_LARGE]
    assert client.body["code"] == "request_too_large"
    assert "5 MB" in client.body["message"]


def test_the_limit_is_the_upload_limit_plus_the_multipart_allowance(settings):
    limit = settings.UPLOAD_MAX_BYTES + settings.UPLOAD_MULTIPART_ALLOWANCE
    at_limit, over = FakeClient([b"x" * limit]), FakeClient([])

    run(BodyLimitMiddleware(reading_app), scope(content_length=limit), at_limit)
    run(BodyLimitMiddleware(reading_app), scope(content_length=limit + 1), over)

    assert at_limit.statuses == [HTTPStatus.OK]
    assert over.statuses == [HTTPStatus.REQUEST_ENTITY_TOO_LARGE]


def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit(settings):
    limit = settings.UPLOAD_MAX_BYTES + settings.UPLOAD_MULTIPART_ALLOWANCE
    client = FakeClient(fifty_mb())

    run(BodyLimitMiddleware(reading_app), scope(content_length=None), client)

    assert client.pulled == limit // CHUNK + 1
    assert client.statuses == [HTTPStatus.REQUEST_ENTITY_TOO_LARGE]


def test_other_paths_are_limited_to_what_the_json_parser_takes(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = FakeClient([b"{}"])

    run(BodyLimitMiddleware(reading_app), scope(ORDERS, 1001), client)

    assert client.pulled == 0
    assert client.statuses == [HTTPStatus.REQUEST_ENTITY_TOO_LARGE]
    assert client.body["message"] == "The request body is too large."


def test_websockets_pass_through():
    seen = []

    async def app(request_scope, receive, send) -> None:
        seen.append(request_scope["type"])

    run(BodyLimitMiddleware(app), {"type": "websocket", "path": "/ws/x/"}, FakeClient([]))

    assert seen == ["websocket"]


def test_the_backend_application_refuses_before_django_reads():
    declared = FakeClient(fifty_mb())
    streamed = FakeClient(fifty_mb())

    run(application, scope(content_length=FIFTY_MB), declared)
    run(application, scope(content_length=None), streamed)

    assert (declared.pulled, declared.statuses) == (0, [HTTPStatus.REQUEST_ENTITY_TOO_LARGE])
    assert streamed.pulled < FIFTY_MB // CHUNK // 8
    assert streamed.statuses == [HTTPStatus.REQUEST_ENTITY_TOO_LARGE]


def test_the_backend_application_passes_a_small_upload_to_django():
    client = FakeClient([b"--x--\r\n"])

    run(application, scope(content_length=7), client)

    # Django's view answered: no token, so 401
    assert client.statuses == [HTTPStatus.UNAUTHORIZED]


def wsgi_call(path: str, content_length: str | None, body: bytes = b"") -> tuple[str, bytes, list]:
    """One request through the WSGI guard around an app that reads the whole body; the status,
    the reply and the bodies the app read."""
    read: list[bytes] = []

    def app(environ: dict, start_response) -> list[bytes]:
        read.append(environ["wsgi.input"].read())
        start_response("200 OK", [("content-type", "application/json")])
        return [b"{}"]

    environ = {"PATH_INFO": path, "REQUEST_METHOD": "POST", "wsgi.input": io.BytesIO(body)}
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    started: list[str] = []
    reply = b"".join(BodyLimitWsgiMiddleware(app)(
        environ, lambda status, headers: started.append(status)))
    return started[0], reply, read


def test_under_wsgi_a_declared_oversized_body_is_refused_without_reading_it(settings):
    limit = settings.UPLOAD_MAX_BYTES + settings.UPLOAD_MULTIPART_ALLOWANCE

    status, reply, read = wsgi_call(UPLOAD, str(limit + 1))
    at_limit = wsgi_call(UPLOAD, str(limit), b"x")

    assert status.startswith("413")
    assert read == []
    assert json.loads(reply)["code"] == "request_too_large"
    assert "5 MB" in json.loads(reply)["message"]
    assert at_limit[0].startswith("200")


def test_under_wsgi_other_paths_are_limited_to_what_the_json_parser_takes(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    refused = wsgi_call(ORDERS, "1001")
    taken = wsgi_call(ORDERS, "2", b"{}")
    undeclared = wsgi_call(ORDERS, None)

    assert refused[0].startswith("413")
    assert json.loads(refused[1])["message"] == "The request body is too large."
    assert taken[0].startswith("200")
    assert taken[2] == [b"{}"]
    assert undeclared[0].startswith("200")


def _parsed_upload(size: int):
    photo = io.BytesIO(b"\xff\xd8\xff" + b"\0" * (size - 3))
    photo.name = "photo.jpg"
    body = encode_multipart(BOUNDARY, {"image": photo})
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    handlers = [load_handler(path) for path in django_settings.FILE_UPLOAD_HANDLERS]
    _, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()
    return files["image"]


def test_a_photo_up_to_the_limit_is_read_into_memory_not_spooled_to_disk(settings):
    near_the_limit = settings.UPLOAD_MAX_BYTES - 4096
    assert isinstance(_parsed_upload(near_the_limit), InMemoryUploadedFile)
    # control: under Django's default threshold (2.5 MB) the same photo goes to a temporary file
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    spooled = _parsed_upload(near_the_limit)
    assert isinstance(spooled, TemporaryUploadedFile)
    spooled.close()
