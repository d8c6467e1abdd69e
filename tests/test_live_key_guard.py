"""Never touch live money: a payments reply naming a gateway key that is not a test key stops
the whole run (pytest.exit with the interrupted status, which xdist spreads to every worker)."""

from collections.abc import Iterator

import httpx
import pytest

from fixtures.api.base import Session
from fixtures.api.payments import PaymentsApi, WalletApi, key_ids

TOP_UP = {"transaction_id": "t1", "payment_id": "p1", "amount": 500, "currency": "INR",
          "gateway_order_id": "order_Q1", "payment_url": "http://gateway.test/checkout"}


def serving(reply: dict, status: int = 201) -> Session:
    session = Session("http://target.test", access="token", name="customer")
    session.http.close()
    session.http = httpx.Client(base_url="http://target.test", transport=httpx.MockTransport(
        lambda request: httpx.Response(status, json=reply)))
    return session


@pytest.fixture
def closing() -> Iterator[list[Session]]:
    sessions: list[Session] = []
    yield sessions
    for session in sessions:
        session.close()


def test_a_test_key_passes(closing):
    session = serving(TOP_UP | {"key_id": "rzp_test_sandbox0001"})
    closing.append(session)
    assert WalletApi(session).add_money(amount=500)["key_id"] == "rzp_test_sandbox0001"


@pytest.mark.parametrize("key", ["rzp_live_AbCdEf012345", "", "RZP_TEST_x", 42])
def test_a_live_key_stops_the_run(closing, key):
    session = serving(TOP_UP | {"key_id": key})
    closing.append(session)
    with pytest.raises(pytest.exit.Exception) as stopped:
        WalletApi(session).raw_add_money(amount=500)
    assert stopped.value.returncode == pytest.ExitCode.INTERRUPTED
    assert "NEVER TOUCH LIVE MONEY" in stopped.value.msg


def test_a_live_key_deep_in_a_page_stops_the_run(closing):
    page = {"count": 2, "next": None, "previous": None, "results": [
        {"id": "a", "key_id": None}, {"id": "b", "key_id": "rzp_live_AbCdEf012345"}]}
    session = serving(page, status=200)
    closing.append(session)
    with pytest.raises(pytest.exit.Exception):
        PaymentsApi(session).raw_list()


def test_null_keys_are_not_keys():
    assert list(key_ids({"key_id": None, "results": [{"key_id": None}]})) == []
