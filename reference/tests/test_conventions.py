"""Contract conventions: JSON errors everywhere, body limits, throttling, health, schema."""

import json
from http import HTTPStatus

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.management import call_command
from django.db import DatabaseError, OperationalError
from django.test import Client, RequestFactory
from drf_spectacular.generators import SchemaGenerator
from rest_framework.views import APIView

from reference.common import handlers
from reference.common.middleware import JsonErrorMiddleware
from reference.tests.conftest import STRONG_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/accounts/auth/login/"


def assert_envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["code"], str)
    if code is not None:
        assert body["code"] == code
    return body


@pytest.mark.parametrize("path", ["/", "/nope/", "/api/health", "/api/accounts/addresses/x/"])
def test_unknown_paths_are_json_404(path):
    assert_envelope(Client().get(path), HTTPStatus.NOT_FOUND, "not_found")


def test_wrong_verb_is_json_405_with_allow():
    response = Client().delete("/api/services/categories/")

    assert_envelope(response, HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_unsupported_media_is_415(api):
    form = "application/x-www-form-urlencoded"
    response = api.post(LOGIN, "email=a&password=b", content_type=form)

    assert_envelope(response, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")


def test_malformed_json_is_400(api):
    response = api.post(LOGIN, "{not json", content_type="application/json")

    body = assert_envelope(response, HTTPStatus.BAD_REQUEST, "parse_error")
    assert "errors" not in body


def test_an_oversized_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    payload = json.dumps({"email": "x" * 2000, "password": "y"})

    response = api.post(LOGIN, payload, content_type="application/json")

    assert_envelope(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request_too_large")


def test_validation_errors_name_the_fields(api):
    body = assert_envelope(api.post(LOGIN, {}, format="json"), HTTPStatus.BAD_REQUEST)

    assert body["code"] == "validation_error"
    assert set(body["errors"]) == {"email", "password"}
    assert all(isinstance(problem, str) for problem in body["errors"]["email"])


def test_django_level_errors_are_json():
    request = RequestFactory().get("/")

    assert_envelope(handlers.server_error(request), 500, "server_error")
    assert_envelope(handlers.bad_request(request, RequestDataTooBig()), 413, "request_too_large")
    assert_envelope(handlers.bad_request(request, ValueError()), 400, "bad_request")
    assert_envelope(handlers.permission_denied(request, None), 403, "permission_denied")


def test_html_error_pages_become_json():
    from django.http import HttpResponse

    def html_error(request):
        response = HttpResponse("<h1>Server Error</h1>", status=500, content_type="text/html")
        response["Retry-After"] = "3"
        return response

    response = JsonErrorMiddleware(html_error)(RequestFactory().get("/"))

    assert_envelope(response, 500, "server_error")
    assert response["Retry-After"] == "3"


def test_a_disallowed_host_is_json_400():
    response = Client().get("/api/health/", HTTP_HOST="evil.example")

    assert_envelope(response, HTTPStatus.BAD_REQUEST, "bad_request")


def test_login_is_throttled_per_account_with_retry_after(api, make_user, settings):
    make_user(email="target@example.com")
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    attempt = {"email": "target@example.com", "password": "Wrong-Pass-93"}

    statuses = [api.post(LOGIN, attempt, format="json").status_code for _ in range(limit)]
    throttled = api.post(LOGIN, {**attempt, "password": STRONG_PASSWORD}, format="json")

    assert statuses == [HTTPStatus.UNAUTHORIZED] * limit
    assert_envelope(throttled, HTTPStatus.TOO_MANY_REQUESTS, "throttled")
    assert 1 <= int(throttled["Retry-After"]) <= 60
    other = api.post(LOGIN, {"email": "someone@example.com", "password": "x"}, format="json")
    assert other.status_code == HTTPStatus.UNAUTHORIZED


def test_the_per_ip_limit_applies_across_accounts(api, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ip": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    statuses = [
        api.post(LOGIN, {"email": f"u{n}@example.com", "password": "x"}, format="json").status_code
        for n in range(4)
    ]

    assert statuses == [HTTPStatus.UNAUTHORIZED] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]


def test_health_reports_the_profile_and_the_database(api, settings):
    assert api.get("/api/health/").json() == {
        "status": "ok", "profile": settings.PROFILE, "database": "ok",
    }


def test_health_is_503_when_the_database_fails(api, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr("reference.common.apis.connection.cursor", broken)

    assert_envelope(api.get("/api/health/"), 503, "database_unavailable")


def test_schema_documents_bodies_and_the_error_envelope():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    register = schema["paths"]["/api/accounts/auth/register/"]["post"]
    assert "requestBody" in register
    error = {"$ref": "#/components/schemas/Error"}
    assert register["responses"]["400"]["content"]["application/json"]["schema"] == error
    users = schema["paths"]["/api/accounts/users/"]["get"]
    assert {"401", "403"} <= set(users["responses"])
    assert "operator" in users["tags"]
    assert "errors" not in schema["components"]["schemas"]["Error"]["required"]


def test_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


def test_swagger_ui_is_served_offline():
    client = Client()

    page = client.get("/api/docs/")
    script = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")

    script.close()  # a file response keeps its file open until closed
    assert page.status_code == HTTPStatus.OK
    assert b"drf_spectacular_sidecar" in page.content
    assert script.status_code == HTTPStatus.OK


class FailingQuery(APIView):
    authentication_classes = ()
    permission_classes = ()
    failure = OperationalError("database is locked")

    def get(self, request):
        raise self.failure


@pytest.mark.parametrize("message", ["database is locked",
                                     "couldn't get a connection after 10.00 sec",
                                     "FATAL:  sorry, too many clients already"])
def test_a_database_that_is_busy_answers_503_with_retry_after(message):
    FailingQuery.failure = OperationalError(message)

    response = FailingQuery.as_view()(RequestFactory().get("/busy/"))
    response.render()

    assert_envelope(response, HTTPStatus.SERVICE_UNAVAILABLE, "service_unavailable")
    assert response["Retry-After"] == "1"


def test_any_other_database_error_stays_the_server_error():
    # control: a missing table is a fault of the backend, not a wait; DRF re-raises it (500)
    FailingQuery.failure = OperationalError("no such table: orders_order")

    with pytest.raises(OperationalError):
        FailingQuery.as_view()(RequestFactory().get("/busy/"))
