"""Django's error views (handler400/403/404/500), answering with the JSON envelope."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from reference.common.exceptions import error_response

MESSAGES = {
    400: ("The request could not be understood.", "bad_request"),
    401: ("Authentication credentials were not provided.", "not_authenticated"),
    403: ("You are not allowed to do this.", "permission_denied"),
    404: ("Nothing lives at this path. Every API path ends in '/'.", "not_found"),
    405: ("This method is not allowed on this path.", "method_not_allowed"),
    406: ("The requested reply format is not available; ask for application/json.",
          "not_acceptable"),
    413: ("The request body is too large.", "request_too_large"),
    415: ("Unsupported media type; send application/json.", "unsupported_media_type"),
    429: ("Too many requests. Wait and try again.", "throttled"),
    500: ("Something went wrong on our side. Try again later.", "server_error"),
    502: ("A service we depend on failed. Try again in a moment.", "bad_gateway"),
    503: ("The service is unavailable. Try again in a moment.", "service_unavailable"),
    504: ("A service we depend on timed out. Try again in a moment.", "gateway_timeout"),
}


def envelope_for_status(status_code: int, headers: dict[str, str] | None = None) -> JsonResponse:
    """Return the envelope that stands for a bare status code."""
    message, code = MESSAGES.get(status_code, ("The request failed.", f"http_{status_code}"))
    return error_response(status_code=status_code, message=message, code=code, headers=headers)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return envelope_for_status(413)
    return envelope_for_status(400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return envelope_for_status(403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return envelope_for_status(404)


def server_error(request: HttpRequest) -> JsonResponse:
    return envelope_for_status(500)
