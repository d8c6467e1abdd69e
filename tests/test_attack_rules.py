"""The security cases that read the target's own names and headers fail when their rule is
broken and pass when it holds, shown against an in-process stand-in of a staging DRF backend
(User `{id, email, phone, first_name, last_name, user_type, date_joined}`, errors
`{"detail": ...}`); the user's privileges and the positive control's field are read from its
OpenAPI, however it names them."""

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from fixtures.api.base import Session
from fixtures.callers import Caller
from fixtures.cors import ATTACKER_ORIGIN, readable_with_credentials
from fixtures.data import DataBuilder
from fixtures.findings import Blocked
from fixtures.flooding import server_errors, throttled
from fixtures.privileges import UserSchema, verification_flags

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "http://staging.test"


def case(file: str) -> ModuleType:
    """A security suite's module, loaded as pytest would load it (suites are no package)."""
    path = ROOT / "suites" / "security" / file
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def user_document(user: dict, patched: dict | None) -> dict:
    """An OpenAPI document as drf-spectacular writes it for `/api/accounts/me/`."""
    me = {"get": {"responses": {"200": {"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/User"}}}}}}}
    schemas = {"User": {"type": "object", "properties": user},
               "UserTypeEnum": {"enum": ["customer", "staff", "admin"], "type": "string"},
               "NullEnum": {"enum": [None]}}
    if patched is not None:
        me["patch"] = {"requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/PatchedUserRequest"}}}},
            "responses": me["get"]["responses"]}
        schemas["PatchedUserRequest"] = {"type": "object", "properties": patched}
    return {"openapi": "3.0.3", "paths": {"/api/accounts/me/": me},
            "components": {"schemas": schemas}}


READ_ONLY_ID = {"type": "integer", "readOnly": True}
USER_TYPE = {"allOf": [{"$ref": "#/components/schemas/UserTypeEnum"}]}
STAGING_USER = {"id": READ_ONLY_ID, "email": {"type": "string", "format": "email"},
                "phone": {"type": "string"}, "first_name": {"type": "string"},
                "last_name": {"type": "string"}, "user_type": USER_TYPE,
                "date_joined": {"type": "string", "format": "date-time", "readOnly": True}}
STAGING_SCHEMA = UserSchema.of(user_document(STAGING_USER, None))


class Staging:
    """A staging backend in process: `me` and its PATCH, which writes the fields named in
    `writes` and ignores the others, a staff-only user list, the catalog, and CORS that
    echoes any origin with credentials when `echoes_origins`."""

    def __init__(self, *, writes: tuple[str, ...] = ("first_name", "last_name"),
                 echoes_origins: bool = False):
        self.writes = writes
        self.echoes_origins = echoes_origins
        self.user = {"id": 7, "email": "asha@staging.test", "phone": "+919812345678",
                     "first_name": "Asha", "last_name": "Rao", "user_type": "customer",
                     "date_joined": "2026-01-05T10:00:00Z"}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == "/api/accounts/me/" and method == "GET":
            reply = httpx.Response(200, json=self.user)
        elif path == "/api/accounts/me/" and method == "PATCH":
            sent = json.loads(request.content)
            self.user |= {name: value for name, value in sent.items() if name in self.writes}
            reply = httpx.Response(200, json=self.user)
        elif path == "/api/accounts/me/" and method == "OPTIONS":
            reply = httpx.Response(200, json={"name": "Me"})
        elif path == "/api/accounts/users/":
            forbidden = {"detail": "You do not have permission to perform this action."}
            reply = httpx.Response(403, json=forbidden)
        elif path == "/api/services/categories/":
            reply = httpx.Response(200, json={"count": 0, "next": None, "previous": None,
                                              "results": []})
        else:
            reply = httpx.Response(404, html="<h1>Not Found</h1>")
        origin = request.headers.get("origin")
        if self.echoes_origins and origin:
            reply.headers["Access-Control-Allow-Origin"] = origin
            reply.headers["Access-Control-Allow-Credentials"] = "true"
        return reply


@pytest.fixture
def customer_of() -> Callable[[Staging], Caller]:
    """A logged-in customer of a `Staging` backend."""
    sessions: list[Session] = []

    def make(backend: Staging) -> Caller:
        session = Session(BASE_URL, access="a-token", name="customer")
        session.http.close()
        session.http = httpx.Client(base_url=BASE_URL, transport=httpx.MockTransport(backend))
        sessions.append(session)
        return Caller(session)

    yield make
    for session in sessions:
        session.close()


DATA = DataBuilder(seed=2026, run_id="rules", worker="w0", scope="attack-rules")


# --- the privileges and the positive control, as the target names them ---------------------------

def test_a_staging_user_is_probed_by_its_own_type_and_the_contracts_flags():
    me = {"id": 7, "first_name": "Asha", "user_type": "customer", "date_joined": "2026-01-05"}

    probes = STAGING_SCHEMA.probes(me)

    assert set(map(str, probes)) == {
        "user_type='staff'", "user_type='admin'",  # the enum's values but the current one
        "role='staff'", "role='admin'", "is_staff=True", "is_superuser=True"}


def test_the_control_edits_a_field_the_patch_body_documents_as_writable():
    # the reply marks full_name read-only; the PATCH body is where it is writable
    reference = UserSchema.of(user_document(
        {"id": READ_ONLY_ID, "full_name": {"type": "string", "readOnly": True},
         "role": {"allOf": [{"$ref": "#/components/schemas/UserTypeEnum"}], "readOnly": True},
         "is_verified": {"type": "boolean", "readOnly": True}},
        {"full_name": {"type": "string", "maxLength": 150}}))
    me = {"id": 1, "full_name": "Asha Rao", "role": "customer", "is_verified": True}

    assert reference.harmless_edit(me, DATA.faker).field == "full_name"
    # a verified customer's is_verified=True proves nothing: it is the newcomer case's
    assert "is_verified" not in {probe.field for probe in reference.probes(me)}
    assert STAGING_SCHEMA.harmless_edit(
        {"first_name": "Asha", "last_name": "Rao"}, DATA.faker).field == "first_name"


def test_without_a_writable_name_the_case_is_blocked_saying_why():
    frozen = UserSchema.of(user_document(
        {"id": READ_ONLY_ID, "first_name": {"type": "string", "readOnly": True}},
        {"user_type": USER_TYPE}))

    with pytest.raises(Blocked) as caught:
        frozen.harmless_edit({"id": 7, "first_name": "Asha"}, DATA.faker)

    assert caught.value.finding.kind == "schema"
    assert "marks no name field of the user writable (writable: user_type" in str(caught.value)


def test_without_a_schema_the_reply_and_the_contract_name_the_privileges():
    unknown = UserSchema({}, {}, "no OpenAPI")
    me = {"id": 7, "name": "Asha", "groups": [], "is_admin": False, "type": 1}

    probes = set(map(str, unknown.probes(me)))

    assert {"groups=[1]", "is_admin=True", "type=2", "type=3", "role='staff'",
            "is_staff=True", "is_superuser=True"} <= probes
    assert unknown.harmless_edit(me, DATA.faker).field == "name"
    with pytest.raises(Blocked):
        verification_flags(me)


def test_a_nullable_enum_behind_one_of_is_probed_with_its_values():
    document = user_document({"user_type": {"oneOf": [
        {"$ref": "#/components/schemas/NullEnum"},
        {"$ref": "#/components/schemas/UserTypeEnum"}]}}, None)

    probes = UserSchema.of(document).probes({"user_type": None})

    assert [probe.value for probe in probes if probe.field == "user_type"] == [
        "customer", "staff", "admin"]


# --- the cases themselves, against a backend that keeps the rule and one that breaks it ----------

ESCALATION = "test_customer_cannot_escalate_privileges_through_profile.py"


def test_the_privilege_case_passes_when_patch_ignores_the_user_type(customer_of):
    customer = customer_of(Staging())

    case(ESCALATION).test_customer_cannot_grant_themselves_a_privilege(
        customer, DATA, STAGING_SCHEMA)


def test_the_privilege_case_fails_naming_the_user_type_a_customer_set(customer_of):
    customer = customer_of(Staging(writes=("first_name", "last_name", "user_type")))

    with pytest.raises(AssertionError) as caught:
        case(ESCALATION).test_customer_cannot_grant_themselves_a_privilege(
            customer, DATA, STAGING_SCHEMA)

    assert "user_type='staff': user_type: 'customer' -> 'staff'" in str(caught.value)


def test_the_ride_along_case_fails_when_a_privilege_slips_in_with_the_name(customer_of):
    customer = customer_of(Staging(writes=("first_name", "last_name", "user_type")))
    module = case(ESCALATION)
    module.test_forbidden_fields_ride_along_with_a_harmless_edit(
        customer_of(Staging()), DATA, STAGING_SCHEMA)  # positive: only the name changes

    with pytest.raises(AssertionError, match="user_type: 'customer' -> 'staff'"):
        module.test_forbidden_fields_ride_along_with_a_harmless_edit(
            customer, DATA, STAGING_SCHEMA)


CORS = "test_attacker_reads_replies_from_another_site.py"


def test_the_cors_case_passes_when_no_origin_is_echoed(customer_of):
    case(CORS).test_a_page_of_another_site_cannot_read_replies_with_credentials(
        customer_of(Staging()), ATTACKER_ORIGIN)


def test_the_cors_case_fails_naming_each_reply_a_foreign_page_may_read(customer_of):
    customer = customer_of(Staging(echoes_origins=True))

    with pytest.raises(AssertionError) as caught:
        case(CORS).test_a_page_of_another_site_cannot_read_replies_with_credentials(
            customer, ATTACKER_ORIGIN)

    message = str(caught.value)
    for call in ("GET /api/accounts/me/", "GET /api/services/categories/",
                 "OPTIONS /api/accounts/me/ (preflight)"):
        assert f"{call}: Access-Control-Allow-Origin echoes {ATTACKER_ORIGIN}" in message


@pytest.mark.parametrize(("headers", "readable"), [
    ({"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}, True),
    ({"Access-Control-Allow-Origin": ATTACKER_ORIGIN,
      "Access-Control-Allow-Credentials": "True"}, True),
    ({"Access-Control-Allow-Origin": ATTACKER_ORIGIN}, False),  # no credentials
    ({"Access-Control-Allow-Origin": "https://app.example.in",
      "Access-Control-Allow-Credentials": "true"}, False),  # the app's own origin only
    ({}, False),
])
def test_a_reply_is_readable_with_credentials_only_by_origin_and_credentials(headers, readable):
    request = httpx.Request("GET", f"{BASE_URL}/api/accounts/me/",
                            headers={"Origin": ATTACKER_ORIGIN})
    reply = httpx.Response(200, json={}, headers=headers, request=request)

    assert (readable_with_credentials(reply) is not None) is readable


# --- flooding -------------------------------------------------------------------------------------

def replies_of(*statuses: int, body: str = "too many connections") -> list[httpx.Response]:
    request = httpx.Request("POST", f"{BASE_URL}/api/accounts/auth/login/")
    replies = []
    for status in statuses:
        reply = httpx.Response(status, text=body if status >= 500 else "{}", request=request)
        reply.lc_call = "POST /api/accounts/auth/login/"
        replies.append(reply)
    return replies


def test_a_server_error_fails_a_flood_even_when_a_429_ends_it():
    replies = replies_of(401, 401, 500, 500, 500, 401, 500, 429)

    with pytest.raises(AssertionError) as caught:
        throttled(replies, "login")

    assert "POST /api/accounts/auth/login/ -> 500 text/plain: 'too many connections' " \
           "(request 3-5, 7 of 8)" in str(caught.value)


def test_a_flood_refused_with_429_alone_passes():
    assert throttled(replies_of(401, 401, 429), "login").status_code == 429
    assert server_errors(replies_of(401, 503, body="busy")) == [
        "POST /api/accounts/auth/login/ -> 503 text/plain: 'busy' (request 2 of 2)"]
