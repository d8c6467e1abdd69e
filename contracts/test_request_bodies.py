"""Every operation that takes a body refuses one that is too large (413) or of a media type it
does not take (415), where its OpenAPI documents those refusals.

For every operation of the live schema with a request body:
- the positive control first: the call with a small body of the media type the operation
  declares (an empty JSON object; for a multipart upload, a small real photo in its file part),
  which must answer neither 413 nor 415, so that the refusals below are about the body alone;
- where the operation documents 413: the same call with a body of `OVERSIZED_BYTES` in that
  media type (for an upload, a real JPEG of that size), which must answer 413. The size is more
  than the largest body the contract lets a client send at all (a 5 MB photo), so that no
  honest limit lets it through;
- where the operation documents 415: the same call with the small body sent as `text/plain`, a
  media type no operation of the contract takes, which must answer 415.

The calls are made as the operation's caller: no token for a public one, the contract
customer's token otherwise, and staff's where customers get 403 for the control (a staff-only
call). Path ids are of a real resource of that customer where the tier can make one of the
kind (`fixtures.contract.makers.RealIds`; a view may look its resource up before it reads the body),
random otherwise. Another answer than the documented refusal is a `status` deviation; a control
that answers the refusal itself blocks the case (the call refuses every body: the refusal
proves nothing), and so does a staff-only call without staff credentials. One subtest per
(operation, status).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import allure

from fixtures.api.base import Call, Response, TransportError, describe
from fixtures.api.uploads import MultipartStream
from fixtures.contract.makers import RealIds
from fixtures.contract.schema import needs_bearer, operations, resolve
from fixtures.findings import DEVIATES, NOTES, Blocked, Finding, note
from fixtures.images import jpeg_of_size

MEGABYTE = 1024 * 1024
# more than the contract's largest body (a 5 MB photo and its multipart framing)
OVERSIZED_BYTES = 6 * MEGABYTE
UNSUPPORTED_MEDIA = "text/plain"
PREFERRED_MEDIA = ("application/json", "multipart/form-data",
                   "application/x-www-form-urlencoded")
TOO_LARGE = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
UNSUPPORTED = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


@dataclass
class Body:
    """One request body: what it is, and a maker of its httpx arguments (a streamed body can
    be sent once, so each call makes it anew)."""

    what: str
    make: Callable[[], dict[str, Any]]


def request_content(document: dict, operation: dict) -> dict:
    return resolve(document, operation.get("requestBody", {})).get("content", {}) or {}


def media_of(content: dict) -> str:
    """The media type the calls send: JSON where the operation takes it."""
    return next((media for media in PREFERRED_MEDIA if media in content), next(iter(content)))


def file_field(schema: dict) -> str | None:
    """The first part of a multipart schema that is a file (`format: binary`)."""
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("format") == "binary":
            return name
    return None


def json_body(size: int | None) -> bytes:
    if size is None:
        return b"{}"
    head, tail = b'{"padding":"', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def body_in(media: str, schema: dict, *, size: int | None, photos) -> Body:
    """A body of `media`: small (`size` None) or of `size` bytes."""
    if media == "multipart/form-data":
        field = file_field(schema)
        if field is not None:
            photo = photos.jpeg(64, 48) if size is None else jpeg_of_size(size)
            return Body(f"a {len(photo)}-byte JPEG in the multipart part `{field}`",
                        lambda: multipart(field, photo))
        text = b"" if size is None else b"x" * size
        return Body(f"a {len(text)}-byte multipart part `padding`",
                    lambda: multipart("padding", text, filename=None))
    if media == "application/x-www-form-urlencoded":
        content = b"" if size is None else b"padding=" + b"x" * (size - len(b"padding="))
    elif "json" in media:
        content = json_body(size)
    else:
        content = b"" if size is None else b"x" * size
    return Body(f"a {len(content)}-byte {media} body",
                lambda: {"content": content, "headers": {"Content-Type": media}})


def multipart(field: str, content: bytes, *, filename: str | None = "photo.jpg"
              ) -> dict[str, Any]:
    if filename is None:
        boundary = f"lc-harness-{uuid.uuid4().hex}"
        data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n"
                ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return {"content": data,
                "headers": {"Content-Type": f"multipart/form-data; boundary={boundary}"}}
    stream = MultipartStream(field_name=field, filename=filename, content_type="image/jpeg",
                             content=content)
    return {"content": stream.chunks(), "headers": stream.headers}


def send(session, call: Call, ids: dict[str, str], body: Body, credentials: dict[str, Any]
         ) -> Response | str:
    """The reply, or what happened instead when the target dropped the connection."""
    arguments = body.make()
    headers = arguments.pop("headers")
    try:
        return session.request(call, ids=ids, headers=headers, **credentials, **arguments)
    except TransportError as error:
        return f"no reply: {type(error).__name__}: {error}"


def shown(reply: Response | str) -> str:
    return reply if isinstance(reply, str) else describe(reply)


def status_of(reply: Response | str) -> int | None:
    return None if isinstance(reply, str) else reply.status_code


def refused_as(label: str, wanted: HTTPStatus, body: Body, reply: Response | str) -> None:
    """Notes a deviation unless `reply` is the documented refusal."""
    if status_of(reply) == wanted:
        return
    got = reply.split(":", 1)[0] if isinstance(reply, str) else str(reply.status_code)
    note(Finding("status", label, f"{int(wanted)} for {body.what}", f"{got} for {body.what}",
                 shown(reply)), DEVIATES)


@dataclass
class Operation:
    method: str
    path: str
    media: str
    schema: dict
    documented: set[str]
    bearer: bool

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def with_bodies(document: dict) -> Iterator[Operation]:
    """The operations that take a body and document 413 or 415."""
    for method, path, operation in operations(document):
        content = request_content(document, operation)
        documented = {str(status) for status in operation.get("responses", {})}
        if not content or not documented & {"413", "415"}:
            continue
        media = media_of(content)
        yield Operation(method, path, media, resolve(document, content[media].get("schema")) or
                        {}, documented, needs_bearer(document, operation))


@allure.feature("Contract")
@allure.story("Every operation refuses a body too large or of another media type")
def test_operations_refuse_bodies_too_large_or_of_another_media_type(
        openapi_document, contract_customer, contract_tokens, workshop, photos, subtests,
        request):
    # given the operations that take a body and document refusing one, and real resources
    found = list(with_bodies(openapi_document))
    assert found, "the schema has no operation that takes a body and documents 413 or 415"
    resources = RealIds(openapi_document, workshop)
    session = contract_customer.session

    for operation in found:
        label = operation.label
        call = Call(operation.method, operation.path)
        small = body_in(operation.media, operation.schema, size=None, photos=photos)
        checks = [(status, name) for status, name in (("413", "too large"),
                                                      ("415", "another media type"))
                  if status in operation.documented]
        ids = resources.ids(operation.path)
        # the control, as the operation's caller: staff where customers may not make it
        credentials: dict[str, Any] = {"token": contract_tokens.access()} \
            if operation.bearer else {"auth": False}
        with allure.step(f"{label} with {small.what} (positive control)"):
            control = send(session, call, ids, small, credentials)
        staff_only = operation.bearer and status_of(control) == HTTPStatus.FORBIDDEN
        if staff_only and workshop.staff is not None:
            credentials = {"token": workshop.staff.access}
            with allure.step(f"{label} with {small.what}, as staff (positive control)"):
                control = send(session, call, ids, small, credentials)

        for status, name in checks:
            case = f"{label} {status}"
            with NOTES.scoped(f"{request.node.nodeid}[{case}]"), \
                    subtests.test(msg=case), allure.step(f"{case}: {name}"):
                if staff_only and workshop.staff is None:
                    raise Blocked(f"{label} is for staff (403 for a customer) and no staff "
                                  "credentials were given", call=label)
                if status_of(control) in (TOO_LARGE, UNSUPPORTED):
                    raise Blocked(f"{label} refuses {small.what} too ({status_of(control)}): "
                                  f"the refusal would prove nothing\n{shown(control)}",
                                  call=label)
                # when the body is too large, or sent as another media type
                if status == "413":
                    body = body_in(operation.media, operation.schema, size=OVERSIZED_BYTES,
                                   photos=photos)
                    wanted = TOO_LARGE
                else:
                    content = small.make().get("content")
                    sent = content if isinstance(content, bytes) else b"{}"
                    body = Body(f"a {len(sent)}-byte {UNSUPPORTED_MEDIA} body",
                                lambda sent=sent: {"content": sent, "headers": {
                                    "Content-Type": UNSUPPORTED_MEDIA}})
                    wanted = UNSUPPORTED
                reply = send(session, call, ids, body, credentials)
                # then the target refuses it with the documented status
                refused_as(label, wanted, body, reply)
