"""The `Idempotency-Key` header (contract Conventions), for POST calls that create something.

A view wraps its work in `idempotent(request=..., call=...)`:

- no header: `call` runs as usual;
- a new key: `call` runs, and its writes and its reply (when 2xx) are committed together, so
  a key either has a stored reply or nothing was written for it;
- the same key and the same request within 24 hours: the stored reply again, with
  `Idempotent-Replayed: true`, and nothing runs;
- the same key with another request (method, path or body): 422 `idempotency_key_reused`;
- the same key while the first request still runs: 409 `idempotency_in_progress`.

Keys belong to one user. A reply that is not 2xx is not stored (the key is released), so a
client may fix its body and retry with the same key. A key whose request died with its worker
is taken over once its lease has passed; its writes were rolled back with it.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from reference.common.exceptions import Conflict
from reference.common.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_LIFETIME = timedelta(hours=24)
# How long a request may hold a key before another request with the key may take it over.
LEASE = timedelta(seconds=60)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any string up to 255 characters. The same key and body again within 24 hours return "
        "the first reply and create nothing; another body gets 422; while the first request "
        "still runs, 409."
    ),
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used with another request. Use a new key for a new "
        "request."
    )
    default_code = "idempotency_key_reused"


class IdempotencyInProgress(Conflict):
    default_detail = (
        "A request with this Idempotency-Key is still running. Retry in a moment to get its "
        "reply."
    )
    default_code = "idempotency_in_progress"


def request_fingerprint(request: Request) -> str:
    """sha256 of the method, the path and the body as canonical JSON (sorted keys)."""
    body = json.dumps(
        request.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def idempotent(*, request: Request, call: Callable[[], Response]) -> Response:
    """Run `call` once per (user, Idempotency-Key); see the module docstring."""
    key = _key_from(request)
    if key is None:
        return call()
    claimed = _key_claim(user=request.user, key=key, fingerprint=request_fingerprint(request))
    if isinstance(claimed, Response):
        return claimed
    try:
        with transaction.atomic():
            response = call()
            if status.is_success(response.status_code):
                _key_complete(record=claimed, response=response)
                return response
    except BaseException:
        _key_release(record=claimed)
        raise
    _key_release(record=claimed)
    return response


def idempotency_keys_purge() -> int:
    """Delete the keys whose 24 hours have passed; return how many. Such a key already counts
    as new when it comes again, so only the table's size changes."""
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lte=timezone.now() - KEY_LIFETIME
    ).delete()
    return deleted


def _key_from(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            {HEADER: [f"Give a non-empty key of at most {MAX_KEY_LENGTH} characters."]}
        )
    return key


@transaction.atomic
def _key_claim(*, user: AbstractBaseUser, key: str, fingerprint: str) -> IdempotencyKey | Response:
    """Take the key for this request, or return the stored reply, or raise 409 / 422."""
    now = timezone.now()
    record, created = IdempotencyKey.objects.select_for_update().get_or_create(
        user=user, key=key, defaults={"fingerprint": fingerprint, "created_at": now}
    )
    if created:
        return record
    if record.created_at <= now - KEY_LIFETIME:
        record.fingerprint = fingerprint
        record.state = IdempotencyKey.State.IN_PROGRESS
        record.response_status = None
        record.response_body = ""
        record.created_at = record.locked_at = now
        record.save()
        return record
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.state == IdempotencyKey.State.COMPLETED:
        body = json.loads(record.response_body, parse_float=Decimal)
        return Response(body, status=record.response_status, headers={REPLAYED_HEADER: "true"})
    if record.locked_at > now - LEASE:
        raise IdempotencyInProgress()
    record.locked_at = now
    record.save(update_fields=["locked_at"])
    return record


def _key_complete(*, record: IdempotencyKey, response: Response) -> None:
    record.state = IdempotencyKey.State.COMPLETED
    record.response_status = response.status_code
    record.response_body = JSONRenderer().render(response.data).decode()
    record.save(update_fields=["state", "response_status", "response_body"])


def _key_release(*, record: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(
        pk=record.pk, state=IdempotencyKey.State.IN_PROGRESS, locked_at=record.locked_at
    ).delete()
