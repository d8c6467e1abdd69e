"""Replaces any error reply that is not JSON with the envelope.

Django answers some errors before any view runs (a 405 from a plain view, the technical 404 and
500 pages when LC_DEBUG is on, a disallowed Host): the app and the harness must never see HTML.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from reference.common.handlers import envelope_for_status

KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class JsonErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        return envelope_for_status(response.status_code, headers=headers)
