"""OpenAPI generation: documents the error envelope on the error statuses of each operation."""

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
    generic ones follow from the view: a body (400, 413, 415), a path id or a page (404),
    authentication (401), the staff permission (403), throttles (429).
    """

    def _error_statuses(self) -> set[str]:
        statuses: set[str] = set()
        if self.method in BODY_METHODS and self.get_request_serializer() is not None:
            statuses |= {"400", "413", "415"}
        if "{" in self.path or (self.method == "GET" and self._is_list_view()):
            statuses.add("404")
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
