"""The clients turn what a target lacks into findings, over real HTTP to a stand-in target."""

from collections.abc import Iterator
from http import HTTPStatus

import pytest

from fixtures.api import UnexpectedReply, expect_error
from fixtures.api.accounts import REGISTER, AccountsApi
from fixtures.api.base import Session
from fixtures.api.catalog import CatalogApi
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


def test_a_reply_of_the_wrong_shape_is_a_shape_finding_naming_the_fields(session):
    with pytest.raises(ContractFinding) as caught:
        AccountsApi(session).login("asha@laundryconnect.test", "x")
    finding = caught.value.finding
    assert finding.kind == "shape"
    assert "'user' is a required property" in finding.got


def test_rows_of_a_page_are_checked_too(session):
    with pytest.raises(ContractFinding) as caught:
        CatalogApi(session).categories()
    assert caught.value.finding.kind == "shape"
    assert caught.value.finding.got.startswith("results/0")


def test_an_html_server_error_is_an_html_finding(session):
    with pytest.raises(ContractFinding) as caught:
        CatalogApi(session).items()
    assert caught.value.finding.kind == "html"
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


def test_expect_error_refuses_an_html_error(session):
    response = AccountsApi(session).raw_verify_otp("+919812345678", "000000")
    with pytest.raises(AssertionError, match="must be JSON"):
        expect_error(response, HTTPStatus.NOT_FOUND)
