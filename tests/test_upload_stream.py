"""The upload client streams a multipart body a server parses, with an exact Content-Length,
and records its progress chunk by chunk, over real HTTP to a stand-in target."""

import email.parser
import email.policy
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fixtures.api.base import Session
from fixtures.api.uploads import CHUNK_BYTES, UploadsApi
from tests.stand_in import serving


def build_receiver(received: list[dict]) -> Starlette:
    async def upload(request: Request) -> JSONResponse:
        received.append({"headers": dict(request.headers), "body": await request.body()})
        return JSONResponse({"message": "stored", "code": "ok"}, status_code=201)

    async def refuse(request: Request) -> JSONResponse:
        # answers at once from the declared length, reading nothing, as a size limit does
        return JSONResponse({"message": "too large", "code": "request_too_large"},
                            status_code=413)

    return Starlette(routes=[Route("/api/mobile/upload-image/", upload, methods=["POST"]),
                             Route("/api/chat/upload/", refuse, methods=["POST"])])


@pytest.fixture(scope="module")
def received() -> list[dict]:
    return []


@pytest.fixture(scope="module")
def receiver(received) -> Iterator[str]:
    with serving(build_receiver(received)) as url:
        yield url


@pytest.fixture
def uploads(receiver) -> Iterator[UploadsApi]:
    session = Session(receiver)
    yield UploadsApi(session)
    session.close()


def parts(headers: dict, body: bytes) -> list:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {headers['content-type']}\r\n\r\n".encode() + body)
    return list(message.iter_parts())


def test_the_streamed_body_is_the_multipart_form_a_server_parses(uploads, received):
    photo = bytes(range(256)) * 1000
    reply = uploads.raw_upload_image(photo, filename="garment.jpg", order_id="o-1")

    assert reply.status_code == 201
    sent = received[-1]
    assert int(sent["headers"]["content-length"]) == len(sent["body"])
    assert "transfer-encoding" not in sent["headers"]
    order_field, image = parts(sent["headers"], sent["body"])
    assert order_field.get_param("name", header="content-disposition") == "order_id"
    assert order_field.get_content() == "o-1"
    assert image.get_param("name", header="content-disposition") == "image"
    assert image.get_filename() == "garment.jpg"
    assert image.get_content_type() == "image/jpeg"
    assert image.get_payload(decode=True) == photo


def test_progress_is_recorded_per_chunk_and_reaches_the_body_size(uploads, received):
    photo = b"\xff" * (3 * CHUNK_BYTES + 10)
    uploads.raw_upload_image(photo)

    progress = uploads.last_progress
    assert len(progress.points) == 1 + 4 + 1  # part headers, four chunks of the file, the end
    assert progress.monotonic
    assert progress.complete
    assert progress.total == len(received[-1]["body"])
    assert progress.file_bytes == len(photo)
    assert f"sent {len(received[-1]['body'])} of" in progress.summary()
    assert "MB/s" in progress.summary()


def test_a_hostile_filename_goes_out_as_given(uploads, received):
    uploads.raw_upload_bytes(b"GIF89a", 'x.php\x00"\u202e.jpg', "image/jpeg")

    body = received[-1]["body"]
    assert 'filename="x.php\x00%22\u202e.jpg"'.encode() in body


def test_a_server_that_refuses_early_is_heard(uploads):
    reply = uploads.raw_chat_upload(b"\x00" * (20 * 1024 * 1024))

    assert reply.status_code == 413
    assert uploads.last_progress.monotonic
