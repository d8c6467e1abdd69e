"""OpenAPI generation: documents the error envelope on the error statuses of each operation,
and links the calls on one resource (`add_links`)."""

import json
import re
from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from reference.common.permissions import IsStaff

BODY_METHODS = {"POST", "PUT", "PATCH"}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input (`errors` names the fields).",
    "401": "No token, or an invalid, expired or revoked one.",
    "403": "Not allowed for this account.",
    "404": "Absent, not yours, or a page past the end.",
    "409": "Conflicts with the current state.",
    "413": "Body too large.",
    "415": "Unsupported media type.",
    "422": "The Idempotency-Key was used with another request.",
    "429": "Throttled: retry after the `Retry-After` header's seconds.",
    "502": "A service we depend on failed.",
    "503": "The backend cannot serve now.",
}


class ErrorSerializer(serializers.Serializer):
    """The envelope of every error reply."""

    message = serializers.CharField(help_text="A sentence the app can show to the user.")
    code = serializers.CharField(help_text="A machine-readable code, e.g. `validation_error`.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation problems by field (dotted paths for nested fields).",
    )


class AutoSchema(openapi.AutoSchema):
    """Adds an `Error` reply for each status an operation can fail with.

    Statuses an operation declares itself (login's 401, resend-otp's 502...) are kept; the
    generic ones follow from the view: a body (400, 413, 415), a path id or a page (404), a
    page size that is not a number (400), authentication (401), the staff permission (403),
    throttles (429).
    """

    def _error_statuses(self) -> set[str]:
        statuses: set[str] = set()
        if self.method in BODY_METHODS and self.get_request_serializer() is not None:
            statuses |= {"400", "413", "415"}
        if "{" in self.path or (self.method == "GET" and self._is_list_view()):
            statuses.add("404")
        if self.method == "GET" and self._is_list_view() and self._get_paginator() is not None:
            statuses.add("400")  # a page_size that is not a whole number
        permissions = self.view.get_permissions()
        public = all(isinstance(permission, AllowAny) for permission in permissions)
        if self.view.get_authenticators() and not public:
            statuses.add("401")
        if any(isinstance(permission, IsStaff) for permission in permissions):
            statuses.add("403")
        if self.view.get_throttles():
            statuses.add("429")
        return statuses

    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        for status_code in self._error_statuses() - set(responses):
            error = OpenApiResponse(ErrorSerializer, ERROR_DESCRIPTIONS.get(status_code, ""))
            responses[status_code] = self._get_response_for_code(
                error, status_code, direction=direction
            )
        for status_code, response in responses.items():
            if status_code >= "400" and not response.get("description"):
                response["description"] = ERROR_DESCRIPTIONS.get(status_code, "")
        return dict(sorted(responses.items()))


# --- OpenAPI links ---------------------------------------------------------------------------

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
PATH_PARAMETER = re.compile(r"\{([^}]+)\}")
# Where a resource's own path lives when the call that makes it is elsewhere (a photo is
# uploaded to one path and read and deleted at another).
MADE_ELSEWHERE = {
    "/api/mobile/upload-image/": "/api/mobile/images/",
    "/api/chat/upload/": "/api/mobile/images/",
}
def _component(result: dict, schema: dict | None) -> dict:
    """A schema with its top-level `$ref` followed."""
    schema = schema or {}
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        return result["components"]["schemas"].get(reference.rsplit("/", 1)[1], {})
    return schema


def _json_schema(result: dict, response: dict) -> dict:
    return _component(result, response.get("content", {}).get("application/json", {})
                      .get("schema"))


def _made_id(result: dict, operation: dict) -> list[tuple[str, str]]:
    """(status, expression) of each success reply of a POST that holds the made thing's id."""
    return [(status, "$response.body#/id")
            for status, response in operation.get("responses", {}).items()
            if status in ("200", "201") and "id" in _json_schema(result, response).get(
                "properties", {})]


def _listed_id(result: dict, operation: dict) -> list[tuple[str, str]]:
    """(status, expression) of a page's first row id, for a paginated GET."""
    page = _json_schema(result, operation.get("responses", {}).get("200", {}))
    rows = _component(result, page.get("properties", {}).get("results", {}).get("items"))
    return [("200", "$response.body#/results/0/id")] if "id" in rows.get("properties", {}) \
        else []


def add_links(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular postprocessing hook: OpenAPI links between the calls on one resource.

    A POST that makes something (its reply holds an `id`) links to every call on a path under
    its own with an id in it (`addresses/` -> `addresses/{address_id}/`, its PUT, PATCH and
    DELETE; `orders/` -> `orders/{order_id}/cancel/`...); a paginated GET links its first row
    to the same calls. The links are what a client may do next with what it got, and what
    Schemathesis's stateful phase follows to chain create -> read -> update -> delete on real
    resources. Only path parameters are linked: Schemathesis merges a linked request-body field
    into a body it generated (possibly invalid on purpose in that very field) and then judges
    the now valid request as an invalid one that was accepted.
    """
    paths = result.get("paths", {})
    operations = [(path, method, operation) for path, item in paths.items()
                  for method, operation in item.items() if method in HTTP_METHODS]
    for path, method, operation in operations:
        if "{" in path or method not in ("get", "post"):
            continue
        sources = _made_id(result, operation) if method == "post" \
            else _listed_id(result, operation)
        if not sources:
            continue
        prefix = MADE_ELSEWHERE.get(path, path)
        links: dict[str, dict] = {}
        for target_path, target_method, target in operations:
            match = PATH_PARAMETER.search(target_path)
            if match is None or target_path[:match.start()] != prefix:
                continue
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": {f"path.{match.group(1)}": "{expression}"},
                "description": f"{target_method.upper()} {target_path} on it.",
            }
        if not links:
            continue
        for status, expression in sources:
            rendered = json.loads(json.dumps(links).replace('"{expression}"',
                                                            json.dumps(expression)))
            operation["responses"][status].setdefault("links", {}).update(rendered)
    return result
