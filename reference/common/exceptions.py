"""The error envelope: every error reply is `{"message", "code", "errors"?}`, never HTML.

DRF errors pass through `exception_handler`; errors raised outside DRF (unknown paths, Django's
own 400/403/404/500) are rendered by `reference.common.handlers` and by
`reference.common.middleware.JsonErrorMiddleware` with the same envelope.
"""

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

NON_FIELD_ERRORS = "non_field_errors"
WWW_AUTHENTICATE = 'Bearer realm="api"'


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class DependencyUnavailable(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "A service we depend on failed. Try again in a moment."
    default_code = "dependency_unavailable"


class DatabaseBusy(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "We are busy right now. Try again in a moment."
    default_code = "service_unavailable"


# What the databases say when a request waited its turn too long: SQLite's write lock after its
# busy timeout (embedded), the connection pool's wait and PostgreSQL's connection limit (scaled).
# A burst larger than the backend can take meets these; the client is told to come back
# (503, the contract's "a dependency failed", with Retry-After) instead of a 500.
BUSY_DATABASE_MESSAGES = ("database is locked", "database table is locked",
                          "couldn't get a connection", "too many clients")
BUSY_RETRY_AFTER_SECONDS = "1"


def database_busy(exc: BaseException) -> bool:
    """Whether `exc` is the database refusing for now (see BUSY_DATABASE_MESSAGES); a missing
    table or a broken query stays the server's error."""
    return isinstance(exc, OperationalError) and any(
        text in str(exc) for text in BUSY_DATABASE_MESSAGES)


def error_body(*, message: str, code: str, errors: dict[str, list[str]] | None = None) -> dict:
    """Return the envelope; `errors` appears only for validation failures."""
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return body


def error_response(
    *, status_code: int, message: str, code: str, headers: dict[str, str] | None = None
) -> JsonResponse:
    """Return a plain Django JSON reply with the envelope (for errors raised outside DRF)."""
    response = JsonResponse(error_body(message=message, code=code), status=status_code)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _flatten(detail: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list | tuple):
                yield from _flatten(item, f"{prefix}.{index}" if prefix else str(index))
            else:
                yield prefix or NON_FIELD_ERRORS, str(item)
    else:
        yield prefix or NON_FIELD_ERRORS, str(detail)


def validation_errors(detail: Any) -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into `{"field" or "items.0.quantity": [problems]}`."""
    errors: dict[str, list[str]] = {}
    for field, problem in _flatten(detail):
        errors.setdefault(field, []).append(problem)
    return errors


def _message_and_code(exc: exceptions.APIException) -> tuple[str, str]:
    detail = exc.detail
    if isinstance(detail, dict):
        message = detail.get("detail", exc.default_detail)
        code = detail.get("code", exc.default_code)
    elif isinstance(detail, list):
        message = detail[0] if detail else exc.default_detail
        code = getattr(message, "code", None) or exc.default_code
    else:
        message = detail
        code = getattr(detail, "code", None) or exc.default_code
    return str(message), str(code)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Render every DRF-handled error as the envelope; keep DRF's headers (Retry-After...)."""
    # Imported here: rest_framework.views loads the parser classes, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args[:1])
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args[:1])
    elif database_busy(exc):
        exc = DatabaseBusy()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = validation_errors(exc.detail)
        first_field, problems = next(iter(errors.items()))
        prefix = "" if first_field == NON_FIELD_ERRORS else f"{first_field}: "
        response.data = error_body(
            message=f"{prefix}{problems[0]}", code="validation_error", errors=errors
        )
    else:
        message, code = _message_and_code(exc)
        response.data = error_body(message=message, code=code)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response.headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    if isinstance(exc, DatabaseBusy):
        response.headers.setdefault("Retry-After", BUSY_RETRY_AFTER_SECONDS)
    return response
