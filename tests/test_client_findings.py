"""The clients turn what a target lacks into findings, over real HTTP to a stand-in target."""

from collections.abc import Iterator
from http import HTTPStatus

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fixtures.api import UnexpectedReply, expect_error
from fixtures.api.accounts import REGISTER, AccountsApi
from fixtures.api.addresses import AddressesApi
from fixtures.api.base import Absent, Call, Reply, Session, elsewhere_hint, shape_differences
from fixtures.api.catalog import CatalogApi
from fixtures.api.defects import defects
from fixtures.api.notifications import NotificationsApi
from fixtures.api.shapes import USER
from fixtures.findings import ContractFinding
from tests.stand_in import build_app, serving


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    with serving(build_app()) as url:
        yield url


@pytest.fixture
def session(stand_in: str) -> Iterator[Session]:
    session = Session(stand_in)
    yield session
    session.close()


def test_a_served_call_returns_its_body(session):
    body = AccountsApi(session).register(
        full_name="Asha Rao", email="asha@laundryconnect.test", phone_number="+919812345678",
        password="x", password_confirm="x")
    assert body["user"]["phone_number"] == "+919812345678"


def test_a_call_answered_by_an_html_404_is_a_missing_finding(session):
    with pytest.raises(ContractFinding) as caught:
        AccountsApi(session).verify_otp("+919812345678", "123456")
    finding = caught.value.finding
    assert finding.kind == "missing"
    assert finding.call == "POST /api/accounts/verify-otp/"
    assert "text/html" in finding.got


def test_a_reply_lacking_what_the_next_step_needs_blocks_naming_the_fields(session):
    # login needs `access`; the stand-in nests it under `token`
    with pytest.raises(ContractFinding) as caught:
        AccountsApi(session).login("asha@laundryconnect.test", "x")
    finding = caught.value.finding
    assert finding.kind == "shape"
    assert finding.expected.startswith("access")
    assert finding.got == "(top): lacks access, refresh, user (has instead: token)"
    assert '{"token"' in finding.sample


def test_a_page_of_the_wrong_shape_goes_on_and_blocks_only_on_a_field_read(session):
    # the rows lack most fields: the page still comes back (a deviation, not a block)
    page = CatalogApi(session).categories()
    row = page["results"][0]
    assert row["id"] == 1  # positive control: a field the row has reads as usual

    # reading a field the row lacks blocks, naming the field and what the row has instead
    with pytest.raises(Absent) as caught:
        row["name"]
    assert isinstance(caught.value, ContractFinding)
    assert isinstance(caught.value, KeyError)
    assert caught.value.finding.call == "GET /api/services/categories/"
    assert caught.value.finding.got == "absent; the reply has id, title"


def test_shape_differences_are_the_same_whichever_account_or_row_showed_them():
    renamed = {"id": 7, "email": "a@b.in", "phone": "+9198", "first_name": "Asha",
               "last_name": "Rao", "user_type": "customer", "date_joined": "2026-01-01"}
    other = {**renamed, "id": 8, "email": "c@d.in", "first_name": "Ravi"}

    differences = shape_differences(renamed, USER)

    assert differences == shape_differences(other, USER)
    assert differences == [
        "(top): lacks created_at, full_name, is_verified, phone_number, role, updated_at "
        "(has instead: date_joined, first_name, last_name, phone, user_type)"]
    # positive control: a user of the contract's shape differs in nothing
    assert shape_differences({
        "id": 1, "email": "a@b.in", "phone_number": "+91", "full_name": "A", "role": "staff",
        "is_verified": True, "created_at": "2026-01-01T00:00", "updated_at": "2026-01-01T00:00",
    }, USER) == []


def test_a_reply_reads_like_the_dict_it_came_as():
    reply = Reply({"id": 1, "nested": Reply({"a": 2}, call="x")}, call="GET /x/")
    assert reply == {"id": 1, "nested": {"a": 2}}
    assert reply.get("absent") is None
    assert "absent" not in reply
    with pytest.raises(KeyError):
        reply["absent"]


def test_a_json_404_of_a_served_route_is_not_a_missing_call(session):
    # the stand-in's unknown routes answer an HTML 404; this route answers a JSON one
    response = NotificationsApi(session).raw_list(page=9)
    with pytest.raises(UnexpectedReply) as caught:
        session.expect(Call("GET", "/api/notifications/notifications/"), response)
    assert caught.value.finding.kind == "status"
    assert "Invalid page." in caught.value.finding.got

    # positive control: a route the stand-in lacks is missing
    with pytest.raises(ContractFinding) as missing:
        AccountsApi(session).verify_otp("+919812345678", "123456")
    assert missing.value.finding.kind == "missing"


def test_every_reply_is_checked_for_what_is_always_a_defect(stand_in):
    with httpx.Client(base_url=stand_in) as client:
        server_error = client.get("/api/services/items/")
        debug = client.get("/api/debug-me/")
        cors = client.get("/api/cors/", headers={"Origin": "https://attacker.example"})
        fine = client.get("/api/services/categories/",
                          headers={"Origin": "https://attacker.example"})

    assert [f.kind for f in defects("GET /api/services/items/", server_error, "")] \
        == ["server_error"]
    debug_page = defects("GET /api/debug-me/", debug, "")
    assert [f.kind for f in debug_page] == ["debug_page"]
    assert debug_page[0].call == "unknown routes"
    assert "Django's URL patterns" in debug_page[0].got
    assert [f.kind for f in defects("GET /api/cors/", cors, "")] == ["cors"]
    # positive control: a JSON 200 without credentials for every origin is no defect
    assert defects("GET /api/services/categories/", fine, "") == []


def test_an_html_server_error_fails_the_step_instead_of_blocking_it(session):
    # a 500 is the target's defect (noted by the client core), not a call it lacks
    with pytest.raises(UnexpectedReply) as caught:
        CatalogApi(session).items()
    assert caught.value.finding.kind == "status"
    assert caught.value.finding.got.startswith("500")


def test_an_unexpected_json_status_is_an_assertion_with_the_exchange(stand_in):
    session = Session(stand_in)
    try:
        response = AccountsApi(session).raw_register(full_name="x")
        with pytest.raises(UnexpectedReply) as caught:
            session.expect(REGISTER, response, HTTPStatus.OK)
    finally:
        session.close()
    assert "expected status 200, got 201" in str(caught.value)
    assert "--> POST" in str(caught.value)


def test_expect_error_checks_the_status_of_an_error_body_that_is_not_the_envelope(session):
    response = NotificationsApi(session).raw_list(page=9)
    body = expect_error(response, HTTPStatus.NOT_FOUND, "not_found")
    assert body["detail"] == "Invalid page."
    with pytest.raises(AssertionError, match="expected status 400"):
        expect_error(response, HTTPStatus.BAD_REQUEST)


def test_expect_error_refuses_an_html_error(session):
    response = AccountsApi(session).raw_verify_otp("+919812345678", "000000")
    with pytest.raises(AssertionError, match="must be JSON"):
        expect_error(response, HTTPStatus.NOT_FOUND)


def dialect_app() -> Starlette:
    """A target that logs in at SimpleJWT's default path, by `username`, and lists its
    addresses unpaginated."""
    async def token(request: Request) -> JSONResponse:
        body = await request.json()
        if "username" not in body:
            return JSONResponse({"username": ["This field is required."]}, status_code=400)
        if body != {"username": "asha@laundryconnect.test", "password": "pw"}:
            return JSONResponse({"detail": "No active account"}, status_code=401)
        return JSONResponse({"access": "a.b.c", "refresh": "r"})

    async def schema(request: Request) -> JSONResponse:
        return JSONResponse({"openapi": "3.0.3", "paths": {
            "/api/token/refresh/": {"post": {}}, "/api/token/": {"post": {}}}})

    async def addresses(request: Request) -> JSONResponse:
        return JSONResponse([{"id": 1, "label": "home"}])

    return Starlette(routes=[Route("/api/token/", token, methods=["POST"]),
                             Route("/api/schema/", schema),
                             Route("/api/accounts/addresses/", addresses)])


def test_a_login_at_another_path_by_another_field_is_followed_and_noted(monkeypatch):
    noted = []
    monkeypatch.setattr("fixtures.api.accounts.note", lambda f, effect: noted.append(f))
    with serving(dialect_app()) as url:
        session = Session(url)
        try:
            reply = AccountsApi(session).login("asha@laundryconnect.test", "pw")
            # the target's login is remembered: a wrong password is refused there, as it should
            refused = AccountsApi(session).raw_login("asha@laundryconnect.test", "wrong")
        finally:
            session.close()

    assert reply["access"] == "a.b.c"
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.request.url.path == "/api/token/"
    assert sorted((f.kind, f.got) for f in noted) == [
        ("missing", "not served; the target logs in at POST /api/token/"),
        ("shape", "the target asks for `username` instead")]


def test_an_unpaginated_list_is_one_page_and_a_deviation(monkeypatch):
    noted = []
    monkeypatch.setattr("fixtures.api.base.note", lambda f, effect: noted.append(f))
    with serving(dialect_app()) as url:
        session = Session(url)
        try:
            page = AddressesApi(session).list()
        finally:
            session.close()

    assert page["count"] == 1
    assert page["results"][0]["id"] == 1
    assert noted[0].got == "a bare list (not paginated)"


def test_a_token_under_another_name_is_read_and_noted(monkeypatch):
    noted = []
    monkeypatch.setattr("fixtures.api.base.note", lambda f, effect: noted.append(f))

    async def login(request: Request) -> JSONResponse:
        return JSONResponse({"access_token": "a.b.c", "refresh_token": "r", "user": {}})

    app = Starlette(routes=[Route("/api/accounts/auth/login/", login, methods=["POST"])])
    with serving(app) as url:
        session = Session(url)
        try:
            reply = AccountsApi(session).login("asha@laundryconnect.test", "pw")
        finally:
            session.close()

    assert (reply["access"], reply["refresh"]) == ("a.b.c", "r")
    assert noted[0].got == "named `access_token`, `refresh_token`"


@pytest.mark.parametrize(("call", "hint"), [
    ("POST /api/accounts/notification-token/", "POST /api/accounts/push-token/"),
    ("GET /api/orders/{id}/", "GET /api/orders/orders/{pk}/"),
    ("GET /api/services/categories/", "GET /api/catalog/categories/"),
    ("GET /api/accounts/addresses/", "GET /api/addresses/"),
    # positive controls: another call of the same place is not offered as this one
    ("POST /api/accounts/auth/logout/", None),
    ("GET /api/orders/", None),
    ("GET /api/accounts/me/", None),
])
def test_a_missing_call_names_where_the_targets_openapi_may_have_it(call, hint):
    documented = {
        "/api/accounts/push-token/": {"post": {}}, "/api/accounts/auth/login/": {"post": {}},
        "/api/orders/orders/{pk}/": {"get": {}}, "/api/orders/history/": {"get": {}},
        "/api/catalog/categories/": {"get": {}}, "/api/addresses/": {"get": {}},
        "/api/notifications/preferences/me/": {"get": {}}}

    found = elsewhere_hint(call, documented)

    assert found == (f"; the target's OpenAPI has {hint} (the same call elsewhere?)"
                     if hint else "")
