"""The payment gateway emulator: Razorpay's wire format, checkout, refunds, card tokens, webhooks
and their faults, through Starlette's TestClient and through the official razorpay SDK against a
real sandbox process that delivers webhooks to a receiver served in this test process."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import pytest
import razorpay
import uvicorn
from razorpay.errors import BadRequestError, ServerError, SignatureVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fixtures.polling import poll
from sandbox.app import create_app
from sandbox.state import SandboxConfig
from tests.sandbox_client import TestClient, add_fault
from tests.stand_in import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
KEY_ID = "rzp_test_UnitTestKey001"
KEY_SECRET = "unit-test-key-secret"
WEBHOOK_SECRET = "unit-test-webhook-secret"
BOOT_DEADLINE_SECONDS = 20
WEBHOOK_WAIT_SECONDS = 15
ID = {prefix: re.compile(rf"{prefix}_[0-9A-Za-z]{{14}}") for prefix in
      ("order", "pay", "rfnd", "token", "cust", "evt", "card")}
SUCCESS_CARD = {"number": "4111 1111 1111 1111", "expiry_month": 12, "expiry_year": 2035,
                "cvv": "123", "name": "Asha Rao"}
FAILING_CARD = {**SUCCESS_CARD, "number": "4000 0000 0000 0002"}
CHECKOUT_EVENTS = ["payment.authorized", "payment.captured", "order.paid"]


def _receipt() -> str:
    return "rcpt_" + uuid.uuid4().hex[:20]


def _sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The sandbox app without a webhook URL: events are logged, nothing is sent."""
    config = SandboxConfig(
        razorpay_key_id=KEY_ID,
        razorpay_key_secret=KEY_SECRET,
        razorpay_webhook_secret=WEBHOOK_SECRET,
    )
    with TestClient(create_app(config)) as test_client:
        test_client.auth = (KEY_ID, KEY_SECRET)
        yield test_client


def create_order(client: TestClient, **overrides: Any) -> dict:
    body = {"amount": 50000, "currency": "INR", "receipt": _receipt(), **overrides}
    response = client.post("/v1/orders", json=body)
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()


def checkout(client: TestClient, order_id: str, **body: Any) -> dict:
    body = {"order_id": order_id, "method": "upi", "vpa": "success@razorpay", **body}
    response = client.post("/_sandbox/checkout/", json=body)
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()


def paid_payment(client: TestClient, amount: int = 50000) -> dict:
    order = create_order(client, amount=amount)
    payment_id = checkout(client, order["id"])["razorpay_payment_id"]
    return client.get(f"/v1/payments/{payment_id}").json()


def deliveries(client: TestClient | httpx.Client, **filters: str) -> list[dict]:
    response = client.get("/_sandbox/gateway/webhooks/", params=filters)
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()["results"]


def error_of(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "description", "field", "source", "step", "reason", "metadata"}
    return error


# --- orders ------------------------------------------------------------------------------------


def test_order_is_created_in_razorpay_shape(client):
    response = client.post("/v1/orders", json={"amount": 50000, "currency": "INR",
                                               "receipt": "rcpt_shape", "notes": {"k": "v"}})

    assert response.status_code == HTTPStatus.OK, response.text
    order = response.json()
    assert ID["order"].fullmatch(order["id"])
    assert abs(order["created_at"] - time.time()) < 60
    assert order | {"id": None, "created_at": None} == {
        "id": None, "entity": "order", "amount": 50000, "amount_paid": 0, "amount_due": 50000,
        "currency": "INR", "receipt": "rcpt_shape", "offer_id": None, "status": "created",
        "attempts": 0, "notes": {"k": "v"}, "created_at": None,
    }
    assert client.get(f"/v1/orders/{order['id']}").json() == order


def test_order_without_notes_shows_an_empty_list_as_razorpay_does(client):
    assert create_order(client)["notes"] == []


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"amount": None}, "amount", "amount field is required"),
        ({"amount": 99}, "amount", "atleast INR 1.00"),
        ({"amount": 100.5}, "amount", "must be an integer"),
        ({"amount": "50000"}, "amount", "must be an integer"),
        ({"amount": True}, "amount", "must be an integer"),
        ({"currency": None}, "currency", "currency field is required"),
        ({"currency": "USD"}, "currency", "not supported"),
        ({"receipt": "r" * 41}, "receipt", "may not be greater than 40 characters"),
        ({"receipt": 12}, "receipt", "must be a string"),
        ({"notes": {f"k{i}": "v" for i in range(16)}}, "notes", "less than or equal to 15"),
        ({"notes": "text"}, "notes", "key-value pairs"),
        ({"notes": {"k": "v" * 257}}, "notes", "256 characters"),
        ({"payment_capture": "later"}, "payment_capture", "0 or 1"),
        ({"coupon": "FREE"}, "coupon", "should not be sent"),
    ],
)
def test_invalid_order_is_refused_naming_the_field(client, changes, field, expected):
    body = {"amount": 50000, "currency": "INR", "receipt": _receipt(), **changes}
    body = {key: value for key, value in body.items() if value is not None}

    error = error_of(client.post("/v1/orders", json=body), HTTPStatus.BAD_REQUEST)

    assert error["code"] == "BAD_REQUEST_ERROR"
    assert error["field"] == field
    assert expected in error["description"]


def test_smallest_order_is_one_rupee(client):
    assert create_order(client, amount=100)["amount_due"] == 100


def test_same_receipt_gets_the_same_order(client):
    first = create_order(client, receipt="rcpt_retry_1")
    again = create_order(client, receipt="rcpt_retry_1")
    other = create_order(client, receipt="rcpt_retry_2")

    assert again == first
    assert other["id"] != first["id"]
    listed = client.get("/v1/orders", params={"receipt": "rcpt_retry_1"}).json()
    assert [order["id"] for order in listed["items"]] == [first["id"]]


def test_same_receipt_with_another_amount_is_refused(client):
    first = create_order(client, receipt="rcpt_retry_3", amount=50000)

    error = error_of(client.post("/v1/orders", json={"amount": 60000, "currency": "INR",
                                                     "receipt": "rcpt_retry_3"}),
                     HTTPStatus.BAD_REQUEST)

    assert error["field"] == "receipt"
    assert first["id"] in error["description"]


def test_lists_are_newest_first_and_paged(client):
    ids = [create_order(client)["id"] for _ in range(3)]

    first_page = client.get("/v1/orders", params={"count": 2}).json()
    second_page = client.get("/v1/orders", params={"count": 2, "skip": 2}).json()

    assert first_page["entity"] == "collection"
    assert [order["id"] for order in first_page["items"]] == [ids[2], ids[1]]
    assert [order["id"] for order in second_page["items"]] == [ids[0]]
    assert second_page["count"] == 1
    error = error_of(client.get("/v1/orders", params={"count": 101}), HTTPStatus.BAD_REQUEST)
    assert error["field"] == "count"


def test_unknown_id_is_a_bad_request_as_on_razorpay(client):
    for path in ("/v1/orders/order_00000000000000", "/v1/payments/pay_00000000000000",
                 "/v1/refunds/rfnd_00000000000000", "/v1/orders/order_00000000000000/payments"):
        error = error_of(client.get(path), HTTPStatus.BAD_REQUEST)
        assert error["description"] == "The id provided does not exist", path


def test_unknown_path_and_method_answer_razorpay_json(client):
    missing = error_of(client.get("/v1/settlements/x"), HTTPStatus.NOT_FOUND)
    wrong_method = error_of(client.delete("/v1/orders"), HTTPStatus.METHOD_NOT_ALLOWED)

    assert missing["code"] == "BAD_REQUEST_ERROR"
    assert "/v1/settlements/x" in missing["description"]
    assert "DELETE" in wrong_method["description"]


def test_body_that_is_not_a_json_object_is_refused(client):
    for content in (b"{nope", b"[1, 2]"):
        error = error_of(client.post("/v1/orders", content=content,
                                     headers={"Content-Type": "application/json"}),
                         HTTPStatus.BAD_REQUEST)
        assert "JSON" in error["description"]


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (None, "provide your api key"),
        ((KEY_ID, "not-the-secret"), "key/secret provided is invalid"),
        (("rzp_test_SomeoneElse0001", KEY_SECRET), "key/secret provided is invalid"),
        (("rzp_live_LooksLikeLive01", KEY_SECRET), "not a test key"),
        (("AKIA_not_razorpay", KEY_SECRET), "not a test key"),
    ],
)
def test_requests_without_the_test_credentials_get_401(client, auth, expected):
    client.auth = None
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()

    error = error_of(client.get("/v1/orders", headers=headers), HTTPStatus.UNAUTHORIZED)

    assert error["code"] == "BAD_REQUEST_ERROR"
    assert expected in error["description"]
    assert "LC_SANDBOX_RAZORPAY_KEY_ID" in error["description"]


def test_the_sandbox_refuses_to_start_with_a_live_key():
    with pytest.raises(ValueError, match="only Razorpay test keys"):
        SandboxConfig(razorpay_key_id="rzp_live_ABCDEFGHIJKLMN")


def test_configuration_comes_from_the_environment():
    config = SandboxConfig.from_env({
        "LC_SANDBOX_RAZORPAY_KEY_ID": "rzp_test_FromEnv000001",
        "LC_SANDBOX_RAZORPAY_KEY_SECRET": "env-secret",
        "LC_SANDBOX_RAZORPAY_WEBHOOK_SECRET": "env-webhook-secret",
        "LC_SANDBOX_WEBHOOK_URL": "http://127.0.0.1:9/hook/",
        "LC_SANDBOX_WEBHOOK_MAX_ATTEMPTS": "3",
        "LC_SANDBOX_WEBHOOK_BACKOFF_SECONDS": "0.1",
        "LC_SANDBOX_WEBHOOK_TIMEOUT_SECONDS": "2",
    })
    defaults = SandboxConfig.from_env({})

    assert (config.razorpay_key_id, config.razorpay_key_secret,
            config.razorpay_webhook_secret) == ("rzp_test_FromEnv000001", "env-secret",
                                                "env-webhook-secret")
    assert (config.webhook_url, config.webhook_max_attempts, config.webhook_backoff_seconds,
            config.webhook_timeout_seconds) == ("http://127.0.0.1:9/hook/", 3, 0.1, 2.0)
    assert defaults.razorpay_key_id == "rzp_test_sandbox0001"
    assert defaults.webhook_url is None
    assert (defaults.webhook_max_attempts, defaults.webhook_timeout_seconds) == (5, 5.0)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LC_SANDBOX_WEBHOOK_URL", "ftp://x/", "absolute http"),
        ("LC_SANDBOX_WEBHOOK_MAX_ATTEMPTS", "many", "must be a number"),
        ("LC_SANDBOX_WEBHOOK_MAX_ATTEMPTS", "0", "from 1 to 20"),
        ("LC_SANDBOX_WEBHOOK_TIMEOUT_SECONDS", "-1", "more than 0"),
    ],
)
def test_bad_webhook_configuration_is_refused(name, value, expected):
    with pytest.raises(ValueError, match=expected):
        SandboxConfig.from_env({name: value})


def test_python_m_sandbox_stops_with_a_clear_message_on_a_live_key():
    env = {**os.environ, "LC_SANDBOX_RAZORPAY_KEY_ID": "rzp_live_ABCDEFGHIJKLMN"}

    finished = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", str(free_port())],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30, check=False,
    )

    assert finished.returncode != 0
    assert "only Razorpay test keys" in finished.stderr
    assert "LC_SANDBOX_RAZORPAY_KEY_ID" in finished.stderr


# --- checkout ----------------------------------------------------------------------------------


def test_checkout_success_captures_and_signs(client):
    order = create_order(client)

    reply = checkout(client, order["id"])

    assert set(reply) == {"razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}
    assert ID["pay"].fullmatch(reply["razorpay_payment_id"])
    assert reply["razorpay_order_id"] == order["id"]
    assert reply["razorpay_signature"] == _sign(
        KEY_SECRET, f"{order['id']}|{reply['razorpay_payment_id']}")
    payment = client.get(f"/v1/payments/{reply['razorpay_payment_id']}").json()
    assert (payment["status"], payment["captured"], payment["amount"], payment["method"],
            payment["vpa"], payment["order_id"]) == ("captured", True, 50000, "upi",
                                                     "success@razorpay", order["id"])
    assert (payment["fee"], payment["tax"]) == (1180, 180)
    assert payment["error_code"] is None
    paid = client.get(f"/v1/orders/{order['id']}").json()
    assert (paid["status"], paid["amount_paid"], paid["amount_due"], paid["attempts"]) == (
        "paid", 50000, 0, 1)
    listed = client.get(f"/v1/orders/{order['id']}/payments").json()
    assert [p["id"] for p in listed["items"]] == [payment["id"]]


def test_checkout_failure_fails_the_payment_and_leaves_the_order_unpaid(client):
    order = create_order(client)

    reply = checkout(client, order["id"], vpa="failure@razorpay")

    assert set(reply) == {"error", "razorpay_payment_id"}
    assert reply["error"]["code"] == "BAD_REQUEST_ERROR"
    assert reply["error"]["reason"] == "payment_failed"
    assert reply["error"]["metadata"] == {"payment_id": reply["razorpay_payment_id"],
                                          "order_id": order["id"]}
    payment = client.get(f"/v1/payments/{reply['razorpay_payment_id']}").json()
    assert (payment["status"], payment["captured"]) == ("failed", False)
    assert payment["error_code"] == "BAD_REQUEST_ERROR"
    assert payment["error_reason"] == "payment_failed"
    assert payment["error_step"] == "payment_authorization"
    assert payment["error_description"]
    unpaid = client.get(f"/v1/orders/{order['id']}").json()
    assert (unpaid["status"], unpaid["attempts"], unpaid["amount_paid"]) == ("attempted", 1, 0)


def test_order_can_be_paid_after_a_failed_attempt_but_not_twice(client):
    order = create_order(client)
    checkout(client, order["id"], vpa="failure@razorpay")
    checkout(client, order["id"])

    again = client.post("/_sandbox/checkout/",
                        json={"order_id": order["id"], "method": "upi", "vpa": "success@razorpay"})

    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert "already paid" in again.json()["error"]
    assert client.get(f"/v1/orders/{order['id']}").json()["attempts"] == 2


def test_card_checkout_shows_network_and_last4_but_never_the_number(client):
    order = create_order(client)

    reply = checkout(client, order["id"], method="card", card=SUCCESS_CARD)

    response = client.get(f"/v1/payments/{reply['razorpay_payment_id']}")
    payment = response.json()
    assert payment["status"] == "captured"
    assert ID["card"].fullmatch(payment["card_id"])
    assert payment["card"]["id"] == payment["card_id"]
    assert (payment["card"]["network"], payment["card"]["last4"],
            payment["card"]["name"]) == ("Visa", "1111", "Asha Rao")
    assert "4111111111111111" not in response.text
    assert '"123"' not in response.text


def test_failing_test_card_is_declined(client):
    order = create_order(client)

    reply = checkout(client, order["id"], method="card", card=FAILING_CARD)

    assert reply["error"]["reason"] == "card_declined"
    assert client.get(f"/v1/payments/{reply['razorpay_payment_id']}").json()["status"] == "failed"


@pytest.mark.parametrize(("method", "field", "value"),
                         [("netbanking", "bank", "SBIN"), ("wallet", "wallet", "mobikwik")])
def test_netbanking_and_wallet_checkouts_succeed(client, method, field, value):
    order = create_order(client)

    reply = checkout(client, order["id"], method=method, **{field: value})

    payment = client.get(f"/v1/payments/{reply['razorpay_payment_id']}").json()
    assert (payment["method"], payment[field], payment["status"]) == (method, value, "captured")


def test_tampered_checkout_amount_makes_a_payment_that_differs_from_the_order(client):
    order = create_order(client, amount=50000)

    reply = checkout(client, order["id"], amount=100)

    assert client.get(f"/v1/payments/{reply['razorpay_payment_id']}").json()["amount"] == 100


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"order_id": "order_00000000000000"}, HTTPStatus.NOT_FOUND, "no gateway order"),
        ({"method": "cheque"}, HTTPStatus.BAD_REQUEST, "allowed: upi, card, netbanking, wallet"),
        ({"vpa": None}, HTTPStatus.BAD_REQUEST, "needs a 'vpa'"),
        ({"vpa": "not a vpa"}, HTTPStatus.BAD_REQUEST, "needs a 'vpa'"),
        ({"method": "card", "card": {**SUCCESS_CARD, "number": "4111111111111112"}},
         HTTPStatus.BAD_REQUEST, "card number is invalid"),
        ({"method": "card", "card": {**SUCCESS_CARD, "expiry_year": 2001}},
         HTTPStatus.BAD_REQUEST, "expired"),
        ({"method": "card", "card": {**SUCCESS_CARD, "cvv": "12"}},
         HTTPStatus.BAD_REQUEST, "cvv"),
        ({"method": "card", "token": "token_00000000000000"}, HTTPStatus.BAD_REQUEST,
         "no active card token"),
        ({"amount": 1}, HTTPStatus.BAD_REQUEST, "'amount' must be"),
        ({"tip": 10}, HTTPStatus.BAD_REQUEST, "unknown field(s) tip"),
    ],
)
def test_checkout_that_cannot_be_played_is_refused(client, body, status, expected):
    order = create_order(client)
    request = {"order_id": order["id"], "method": "upi", "vpa": "success@razorpay", **body}

    response = client.post("/_sandbox/checkout/",
                           json={k: v for k, v in request.items() if v is not None})

    assert response.status_code == status, response.text
    assert expected in response.json()["error"]
    assert client.get(f"/v1/orders/{order['id']}").json()["attempts"] == 0


# --- capture -----------------------------------------------------------------------------------


def test_order_without_auto_capture_leaves_the_payment_authorized_until_captured(client):
    order = create_order(client, payment_capture=0)
    payment_id = checkout(client, order["id"])["razorpay_payment_id"]
    assert client.get(f"/v1/payments/{payment_id}").json()["status"] == "authorized"
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "attempted"

    wrong_amount = error_of(client.post(f"/v1/payments/{payment_id}/capture",
                                        json={"amount": 40000, "currency": "INR"}),
                            HTTPStatus.BAD_REQUEST)
    no_currency = error_of(client.post(f"/v1/payments/{payment_id}/capture",
                                       json={"amount": 50000}), HTTPStatus.BAD_REQUEST)
    captured = client.post(f"/v1/payments/{payment_id}/capture",
                           json={"amount": 50000, "currency": "INR"})
    twice = error_of(client.post(f"/v1/payments/{payment_id}/capture",
                                 json={"amount": 50000, "currency": "INR"}),
                     HTTPStatus.BAD_REQUEST)

    assert wrong_amount["field"] == "amount"
    assert "equal to the amount authorized" in wrong_amount["description"]
    assert no_currency["field"] == "currency"
    assert captured.status_code == HTTPStatus.OK, captured.text
    assert (captured.json()["status"], captured.json()["captured"]) == ("captured", True)
    assert "already been captured" in twice["description"]
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "paid"


def test_failed_payment_cannot_be_captured(client):
    order = create_order(client)
    payment_id = checkout(client, order["id"], vpa="failure@razorpay")["razorpay_payment_id"]

    error = error_of(client.post(f"/v1/payments/{payment_id}/capture",
                                 json={"amount": 50000, "currency": "INR"}),
                     HTTPStatus.BAD_REQUEST)

    assert "is failed" in error["description"]


# --- refunds -----------------------------------------------------------------------------------


def test_partial_then_full_refund_then_nothing_more(client):
    payment = paid_payment(client, amount=50000)

    partial = client.post(f"/v1/payments/{payment['id']}/refund",
                          json={"amount": 20000, "notes": {"why": "damaged shirt"}})
    after_partial = client.get(f"/v1/payments/{payment['id']}").json()
    rest = client.post("/v1/refunds", json={"payment_id": payment["id"]})
    after_full = client.get(f"/v1/payments/{payment['id']}").json()
    more = error_of(client.post(f"/v1/payments/{payment['id']}/refund", json={"amount": 100}),
                    HTTPStatus.BAD_REQUEST)

    assert partial.status_code == HTTPStatus.OK, partial.text
    refund = partial.json()
    assert ID["rfnd"].fullmatch(refund["id"])
    assert refund | {"id": None, "created_at": None} == {
        "id": None, "entity": "refund", "amount": 20000, "currency": "INR",
        "payment_id": payment["id"], "notes": {"why": "damaged shirt"}, "receipt": None,
        "acquirer_data": {"arn": None}, "created_at": None, "batch_id": None,
        "status": "processed", "speed_processed": "normal", "speed_requested": "normal",
    }
    assert (after_partial["status"], after_partial["amount_refunded"],
            after_partial["refund_status"]) == ("captured", 20000, "partial")
    assert rest.status_code == HTTPStatus.OK, rest.text
    assert rest.json()["amount"] == 30000
    assert (after_full["status"], after_full["amount_refunded"],
            after_full["refund_status"]) == ("refunded", 50000, "full")
    assert "fully refunded" in more["description"]
    listed = client.get(f"/v1/payments/{payment['id']}/refunds").json()
    assert {r["id"] for r in listed["items"]} == {refund["id"], rest.json()["id"]}
    assert client.get(f"/v1/refunds/{refund['id']}").json() == refund
    assert client.get(f"/v1/payments/{payment['id']}/refunds/{refund['id']}").json() == refund


def test_refund_above_what_is_left_is_refused(client):
    payment = paid_payment(client, amount=50000)
    client.post(f"/v1/payments/{payment['id']}/refund", json={"amount": 40000})

    error = error_of(client.post(f"/v1/payments/{payment['id']}/refund",
                                 json={"amount": 10001}), HTTPStatus.BAD_REQUEST)

    assert error["field"] == "amount"
    assert "10000 of 50000 left" in error["description"]
    assert client.get(f"/v1/payments/{payment['id']}").json()["amount_refunded"] == 40000


def test_refund_of_an_uncaptured_payment_is_refused(client):
    order = create_order(client)
    failed = checkout(client, order["id"], vpa="failure@razorpay")["razorpay_payment_id"]

    error = error_of(client.post(f"/v1/payments/{failed}/refund", json={}),
                     HTTPStatus.BAD_REQUEST)

    assert "Only captured payments" in error["description"]


def test_refund_is_not_found_under_another_payment(client):
    first, second = paid_payment(client), paid_payment(client)
    refund = client.post(f"/v1/payments/{first['id']}/refund", json={"amount": 100}).json()

    error_of(client.get(f"/v1/payments/{second['id']}/refunds/{refund['id']}"),
             HTTPStatus.BAD_REQUEST)


# --- card tokens and customers -----------------------------------------------------------------


def _tokenize(client: TestClient, card: dict | None = None, **extra: Any) -> httpx.Response:
    return client.post("/v1/tokens", json={"method": "card", "card": card or SUCCESS_CARD,
                                           **extra})


def test_card_is_tokenized_without_its_number_or_cvv(client):
    response = _tokenize(client)

    assert response.status_code == HTTPStatus.OK, response.text
    token = response.json()
    assert ID["token"].fullmatch(token["id"])
    assert (token["entity"], token["method"], token["status"]) == ("token", "card", "active")
    card = token["card"]
    assert (card["network"], card["last4"], card["expiry_month"], card["expiry_year"]) == (
        "Visa", "1111", 12, 2035)
    assert "4111111111111111" not in response.text
    assert "cvv" not in response.text
    assert token["expired_at"] > time.time()


def test_same_card_gives_the_same_token_and_another_card_another(client):
    first = _tokenize(client).json()
    again = _tokenize(client, {**SUCCESS_CARD, "number": "4111111111111111"}).json()
    other = _tokenize(client, {**SUCCESS_CARD, "number": "5267 3181 8797 5449"}).json()

    assert again["id"] == first["id"]
    assert other["id"] != first["id"]
    assert other["card"]["network"] == "MasterCard"


@pytest.mark.parametrize(
    ("card", "field"),
    [
        ({**SUCCESS_CARD, "number": "4111111111111112"}, "card.number"),
        ({**SUCCESS_CARD, "number": "41111111"}, "card.number"),
        ({**SUCCESS_CARD, "expiry_month": 13}, "card.expiry_month"),
        ({**SUCCESS_CARD, "expiry_month": "soon"}, "card.expiry_month"),
        ({**SUCCESS_CARD, "expiry_year": 20}, "card.expiry_year"),
        ({**SUCCESS_CARD, "cvv": "12345"}, "card.cvv"),
        ("4111111111111111", "card"),
    ],
)
def test_invalid_card_is_not_tokenized(client, card, field):
    error = error_of(_tokenize(client, card), HTTPStatus.BAD_REQUEST)

    assert error["field"] == field


def test_token_belongs_to_its_customer(client):
    customer = client.post("/v1/customers", json={"name": "Asha Rao", "contact": "+919812300010",
                                                  "email": "asha@example.com"}).json()
    assert ID["cust"].fullmatch(customer["id"])
    token = _tokenize(client, customer_id=customer["id"]).json()

    listed = client.get(f"/v1/customers/{customer['id']}/tokens").json()
    fetched = client.get(f"/v1/customers/{customer['id']}/tokens/{token['id']}")
    by_id = client.post("/v1/tokens/fetch", json={"id": token["id"]})
    unknown_customer = _tokenize(client, customer_id="cust_00000000000000")
    deleted = client.delete(f"/v1/customers/{customer['id']}/tokens/{token['id']}")

    assert token["customer_id"] == customer["id"]
    assert [t["id"] for t in listed["items"]] == [token["id"]]
    assert fetched.json() == token
    assert by_id.json() == token
    assert error_of(unknown_customer, HTTPStatus.BAD_REQUEST)["field"] == "customer_id"
    assert deleted.json() == {"deleted": True}
    error_of(client.post("/v1/tokens/fetch", json={"id": token["id"]}), HTTPStatus.BAD_REQUEST)


def test_existing_customer_is_refused_or_returned_after_fail_existing(client):
    body = {"name": "Ravi", "contact": "+919812300011", "email": "ravi@example.com"}
    first = client.post("/v1/customers", json=body).json()

    refused = client.post("/v1/customers", json=body)
    returned = client.post("/v1/customers", json={**body, "fail_existing": "0"})

    assert "already exists" in error_of(refused, HTTPStatus.BAD_REQUEST)["description"]
    assert returned.json()["id"] == first["id"]
    assert client.get(f"/v1/customers/{first['id']}").json() == first


def test_saved_card_token_pays_at_checkout(client):
    token = _tokenize(client).json()
    declining = _tokenize(client, FAILING_CARD).json()
    order, other = create_order(client), create_order(client)

    paid = checkout(client, order["id"], method="card", token=token["id"])
    declined = checkout(client, other["id"], method="card", token=declining["id"])

    payment = client.get(f"/v1/payments/{paid['razorpay_payment_id']}").json()
    assert (payment["status"], payment["token_id"]) == ("captured", token["id"])
    assert payment["card"]["last4"] == "1111"
    assert declined["error"]["reason"] == "card_declined"


def test_token_of_another_customer_cannot_pay(client):
    customer = client.post("/v1/customers", json={"name": "A", "contact": "+919812300012"})
    token = _tokenize(client, customer_id=customer.json()["id"]).json()
    order = create_order(client)

    response = client.post("/_sandbox/checkout/", json={
        "order_id": order["id"], "method": "card", "token": token["id"],
        "customer_id": "cust_00000000000000"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "belongs to customer" in response.json()["error"]


def test_deleted_token_cannot_pay(client):
    token = _tokenize(client).json()
    assert client.post("/v1/tokens/delete", json={"id": token["id"]}).json() == []
    order = create_order(client)

    response = client.post("/_sandbox/checkout/", json={"order_id": order["id"],
                                                        "method": "card", "token": token["id"]})

    assert response.status_code == HTTPStatus.BAD_REQUEST


# --- webhooks as logged (no URL configured) ----------------------------------------------------


def test_checkout_logs_signed_events_in_order(client):
    order = create_order(client)
    reply = checkout(client, order["id"])

    logged = deliveries(client, order_id=order["id"])

    assert [d["event"] for d in logged] == CHECKOUT_EVENTS
    assert all(d["state"] == "no_url" and d["attempts"] == [] for d in logged)
    assert len({d["event_id"] for d in logged}) == 3
    for delivery in logged:
        assert ID["evt"].fullmatch(delivery["event_id"])
        assert delivery["signature"] == _sign(WEBHOOK_SECRET, delivery["body"])
        body = json.loads(delivery["body"])
        assert body["entity"] == "event"
        assert body["event"] == delivery["event"]
        assert body["account_id"].startswith("acc_")
        assert body["payload"]["payment"]["entity"]["id"] == reply["razorpay_payment_id"]
    authorized, captured, paid = (json.loads(d["body"]) for d in logged)
    assert authorized["contains"] == ["payment"]
    assert authorized["payload"]["payment"]["entity"]["status"] == "authorized"
    assert captured["payload"]["payment"]["entity"]["status"] == "captured"
    assert paid["contains"] == ["payment", "order"]
    assert paid["payload"]["order"]["entity"]["status"] == "paid"


def test_failure_and_refund_events_are_logged(client):
    order = create_order(client)
    checkout(client, order["id"], vpa="failure@razorpay")
    payment_id = checkout(client, order["id"])["razorpay_payment_id"]
    refund = client.post(f"/v1/payments/{payment_id}/refund", json={"amount": 100}).json()

    logged = deliveries(client, order_id=order["id"])
    refund_events = deliveries(client, refund_id=refund["id"])

    assert [d["event"] for d in logged] == ["payment.failed", *CHECKOUT_EVENTS,
                                            "refund.created", "refund.processed"]
    assert [json.loads(d["body"])["contains"] for d in refund_events] == [["refund", "payment"]] * 2


def test_manual_capture_raises_the_capture_events_then(client):
    order = create_order(client, payment_capture=False)
    payment_id = checkout(client, order["id"])["razorpay_payment_id"]
    assert [d["event"] for d in deliveries(client, order_id=order["id"])] == [
        "payment.authorized"]

    client.post(f"/v1/payments/{payment_id}/capture", json={"amount": 50000, "currency": "INR"})

    assert [d["event"] for d in deliveries(client, order_id=order["id"])] == CHECKOUT_EVENTS


def test_webhook_log_refuses_unknown_filters(client):
    response = client.get("/_sandbox/gateway/webhooks/", params={"colour": "red"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "allowed: order_id" in response.json()["error"]


def test_webhook_settings_can_be_read_and_changed(client):
    assert client.get("/_sandbox/gateway/webhook/").json() == {
        "url": None, "max_attempts": 5, "backoff_seconds": 0.5, "timeout_seconds": 5.0}

    changed = client.put("/_sandbox/gateway/webhook/",
                         json={"url": "http://127.0.0.1:9/hook/", "max_attempts": 2})
    cleared = client.put("/_sandbox/gateway/webhook/", json={"url": None})

    assert changed.json()["url"] == "http://127.0.0.1:9/hook/"
    assert changed.json()["max_attempts"] == 2
    assert cleared.json() == {"url": None, "max_attempts": 2, "backoff_seconds": 0.5,
                              "timeout_seconds": 5.0}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"url": "not a url"}, "absolute http"),
        ({"max_attempts": 0}, "from 1 to 20"),
        ({"backoff_seconds": "1"}, "must be a number"),
        ({"timeout_seconds": 61}, "at most 60"),
        ({"secret": "x"}, "unknown setting(s) secret"),
    ],
)
def test_bad_webhook_settings_are_refused(client, body, expected):
    response = client.put("/_sandbox/gateway/webhook/", json=body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert expected in response.json()["error"]


def test_signature_helper_signs_like_the_gateway(client):
    checkout_signature = client.post("/_sandbox/gateway/signature/",
                                     json={"order_id": "order_x", "payment_id": "pay_y"})
    webhook_signature = client.post("/_sandbox/gateway/signature/",
                                    json={"webhook_body": '{"a":1}'})
    wrong = client.post("/_sandbox/gateway/signature/", json={"order_id": "order_x"})

    assert checkout_signature.json() == {"razorpay_signature": _sign(KEY_SECRET,
                                                                     "order_x|pay_y")}
    assert webhook_signature.json() == {"x_razorpay_signature": _sign(WEBHOOK_SECRET,
                                                                      '{"a":1}')}
    assert wrong.status_code == HTTPStatus.BAD_REQUEST


def test_gateway_state_reads_show_orders_payments_and_refunds(client):
    payment = paid_payment(client)
    refund = client.post(f"/v1/payments/{payment['id']}/refund", json={"amount": 100}).json()

    order_state = client.get(f"/_sandbox/gateway/orders/{payment['order_id']}/").json()
    payment_state = client.get(f"/_sandbox/gateway/payments/{payment['id']}/").json()

    assert order_state["order"]["status"] == "paid"
    assert [p["id"] for p in order_state["payments"]] == [payment["id"]]
    assert [r["id"] for r in order_state["refunds"]] == [refund["id"]]
    assert payment_state["payment"]["amount_refunded"] == 100
    assert client.get("/_sandbox/gateway/orders/order_00000000000000/").status_code == (
        HTTPStatus.NOT_FOUND)


def test_redelivering_an_unknown_event_is_404(client):
    response = client.post("/_sandbox/gateway/webhooks/evt_00000000000000/redeliver/")

    assert response.status_code == HTTPStatus.NOT_FOUND


# --- faults ------------------------------------------------------------------------------------


def test_http_5xx_refuses_the_matched_order_only_and_changes_nothing(client):
    order, other = create_order(client, payment_capture=0), create_order(client)
    payment_id = checkout(client, order["id"])["razorpay_payment_id"]
    add_fault(client, service="gateway", fault="http_5xx", status=503,
              match={"order_id": order["id"]})

    fetch = error_of(client.get(f"/v1/orders/{order['id']}"), HTTPStatus.SERVICE_UNAVAILABLE)
    capture = error_of(client.post(f"/v1/payments/{payment_id}/capture",
                                   json={"amount": 50000, "currency": "INR"}),
                       HTTPStatus.SERVICE_UNAVAILABLE)
    unaffected = client.get(f"/v1/orders/{other['id']}")

    assert fetch["code"] == capture["code"] == "SERVER_ERROR"
    assert unaffected.status_code == HTTPStatus.OK
    client.delete("/_sandbox/faults/")
    assert client.get(f"/v1/payments/{payment_id}").json()["status"] == "authorized"


def test_timeout_on_create_keeps_the_order_so_a_retry_with_the_receipt_finds_it(client):
    receipt = _receipt()
    add_fault(client, service="gateway", fault="timeout", seconds=0.2,
              match={"receipt": receipt}, times=1)

    started = time.monotonic()
    lost = client.post("/v1/orders", json={"amount": 50000, "currency": "INR",
                                           "receipt": receipt})
    held = time.monotonic() - started
    retry = create_order(client, receipt=receipt)

    assert held >= 0.2
    assert error_of(lost, HTTPStatus.GATEWAY_TIMEOUT)["code"] == "SERVER_ERROR"
    listed = client.get("/v1/orders", params={"receipt": receipt}).json()["items"]
    assert [order["id"] for order in listed] == [retry["id"]]


def test_slow_answers_the_matched_payment_late(client):
    payment = paid_payment(client)
    add_fault(client, service="gateway", fault="slow", seconds=0.2,
              match={"payment_id": payment["id"]})

    started = time.monotonic()
    response = client.get(f"/v1/payments/{payment['id']}")

    assert time.monotonic() - started >= 0.2
    assert response.json() == payment


def test_decline_fails_the_matched_order_at_checkout_only(client):
    order, other = create_order(client), create_order(client)
    add_fault(client, service="gateway", fault="decline", match={"order_id": order["id"]})

    declined = checkout(client, order["id"])
    paid = checkout(client, other["id"])

    assert declined["error"]["reason"] == "payment_declined"
    assert "razorpay_signature" in paid
    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "attempted"


def test_key_scoped_fault_touches_every_call_of_that_key(client):
    add_fault(client, service="gateway", fault="http_5xx", match={"key_id": KEY_ID}, times=2)

    assert client.get("/v1/orders/order_00000000000000").status_code == HTTPStatus.BAD_REQUEST
    first = client.post("/v1/orders", json={"amount": 100, "currency": "INR"})
    second = client.post("/v1/orders", json={"amount": 100, "currency": "INR"})
    third = client.post("/v1/orders", json={"amount": 100, "currency": "INR"})

    assert [first.status_code, second.status_code, third.status_code] == [
        HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.OK]


def test_tokenization_that_times_out_gives_the_same_token_on_retry(client):
    add_fault(client, service="gateway", fault="timeout", seconds=0.1,
              match={"key_id": KEY_ID}, times=1)

    lost = _tokenize(client)
    retried = _tokenize(client)

    assert error_of(lost, HTTPStatus.GATEWAY_TIMEOUT)["code"] == "SERVER_ERROR"
    assert retried.status_code == HTTPStatus.OK
    assert client.post("/v1/tokens/fetch", json={"id": retried.json()["id"]}).json() == (
        retried.json())


def test_webhook_faults_shape_the_logged_deliveries(client):
    duplicated, reversed_, badly_signed, control = (create_order(client) for _ in range(4))
    add_fault(client, service="gateway", fault="webhook_duplicate", copies=3,
              match={"order_id": duplicated["id"], "event": "order.paid"})
    add_fault(client, service="gateway", fault="webhook_out_of_order",
              match={"order_id": reversed_["id"]})
    add_fault(client, service="gateway", fault="webhook_bad_signature",
              match={"order_id": badly_signed["id"]})
    for order in (duplicated, reversed_, badly_signed, control):
        checkout(client, order["id"])

    copies = deliveries(client, order_id=duplicated["id"], event="order.paid")
    assert [d["copy"] for d in copies] == [1, 2, 3]
    assert len({d["event_id"] for d in copies}) == 1
    assert len(deliveries(client, order_id=duplicated["id"], event="payment.captured")) == 1
    assert [d["event"] for d in deliveries(client, order_id=reversed_["id"])] == (
        CHECKOUT_EVENTS[::-1])
    for delivery in deliveries(client, order_id=badly_signed["id"]):
        assert delivery["signature"] != _sign(WEBHOOK_SECRET, delivery["body"])
        assert delivery["faults"] == ["webhook_bad_signature"]
    control_deliveries = deliveries(client, order_id=control["id"])
    assert [d["event"] for d in control_deliveries] == CHECKOUT_EVENTS
    assert all(d["faults"] == [] and d["signature"] == _sign(WEBHOOK_SECRET, d["body"])
               for d in control_deliveries)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"fault": "webhook_duplicate", "copies": 1}, "from 2 to 10"),
        ({"fault": "webhook_duplicate", "copies": "3"}, "from 2 to 10"),
        ({"fault": "webhook_delay"}, "needs seconds"),
        ({"fault": "decline", "match": {"to": "+91"}}, "allowed: event, key_id, order_id"),
        ({"fault": "webhook_bad_signature", "copies": 2}, "unknown option(s) copies"),
    ],
)
def test_bad_gateway_faults_are_refused(client, body, expected):
    response = client.post("/_sandbox/faults/", json={"service": "gateway", **body})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert expected in response.json()["error"]


def test_health_lists_every_emulator(client):
    assert client.get("/_sandbox/health/").json() == {"status": "ok",
                                                      "emulated": ["gateway", "push", "sms"]}


# --- the official razorpay SDK against a real sandbox, webhooks to a real receiver -------------


class Receiver:
    """A webhook receiver standing in for the backend: records every POST, fails on request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[dict[str, Any]] = []
        self._failures: dict[str, int] = {}
        self._stalls: dict[str, tuple[float, int]] = {}

    def fail(self, order_id: str, times: int) -> None:
        """Answer 500 to the next `times` webhooks about `order_id`."""
        with self._lock:
            self._failures[order_id] = times

    def stall(self, order_id: str, seconds: float, times: int) -> None:
        """Answer the next `times` webhooks about `order_id` only after `seconds`."""
        with self._lock:
            self._stalls[order_id] = (seconds, times)

    def received(self, order_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for item in self._received if item["order_id"] == order_id]

    async def webhook(self, request: Request) -> Response:
        raw = (await request.body()).decode()
        payload = json.loads(raw)["payload"]
        order_id = payload["payment"]["entity"]["order_id"]
        with self._lock:
            failing = self._failures.get(order_id, 0) > 0
            if failing:
                self._failures[order_id] -= 1
            stall, stalls_left = self._stalls.get(order_id, (0.0, 0))
            if stalls_left:
                self._stalls[order_id] = (stall, stalls_left - 1)
            else:
                stall = 0.0
            self._received.append({
                "order_id": order_id,
                "event": json.loads(raw)["event"],
                "body": raw,
                "signature": request.headers.get("x-razorpay-signature"),
                "event_id": request.headers.get("x-razorpay-event-id"),
                "answered": HTTPStatus.INTERNAL_SERVER_ERROR if failing else HTTPStatus.OK,
                "at": time.monotonic(),
            })
        if stall:
            await asyncio.sleep(stall)  # the receiver answers too late on purpose
        if failing:
            return JSONResponse({"detail": "failing on purpose"},
                                status_code=HTTPStatus.INTERNAL_SERVER_ERROR)
        return JSONResponse({"status": "ok"})


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A receiver served by uvicorn in a thread of this process, and its webhook URL."""
    recorder = Receiver()
    app = Starlette(routes=[Route("/webhooks/razorpay/", recorder.webhook, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", ws="none", access_log=False))
    thread = threading.Thread(target=server.run, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        poll(lambda: server.started, until=bool, timeout=BOOT_DEADLINE_SECONDS,
             what="the webhook receiver to start")
        yield recorder, f"http://127.0.0.1:{port}/webhooks/razorpay/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def sandbox_env(receiver) -> dict[str, str]:
    """The sandbox process takes the test's credentials and sends webhooks to the receiver,
    retrying after a short backoff."""
    return {
        "LC_SANDBOX_RAZORPAY_KEY_ID": KEY_ID,
        "LC_SANDBOX_RAZORPAY_KEY_SECRET": KEY_SECRET,
        "LC_SANDBOX_RAZORPAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LC_SANDBOX_WEBHOOK_URL": receiver[1],
        "LC_SANDBOX_WEBHOOK_BACKOFF_SECONDS": "0.1",
    }


@pytest.fixture
def rzp(sandbox_url) -> Iterator[razorpay.Client]:
    """The official SDK client, pointed at the sandbox the way the backend does it."""
    sdk = razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sandbox_url)
    yield sdk
    sdk.session.close()


@pytest.fixture
def hooks(receiver) -> Receiver:
    return receiver[0]


def sdk_order(rzp: razorpay.Client, **overrides: Any) -> dict:
    return rzp.order.create({"amount": 50000, "currency": "INR", "receipt": _receipt(),
                             **overrides})


def pay(control: httpx.Client, order_id: str, **body: Any) -> dict:
    response = control.post("/_sandbox/checkout/", json={"order_id": order_id, "method": "upi",
                                                         "vpa": "success@razorpay", **body})
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()


def wait_for_webhooks(hooks: Receiver, order_id: str, count: int) -> list[dict]:
    return poll(lambda: hooks.received(order_id), until=lambda got: len(got) >= count,
                timeout=WEBHOOK_WAIT_SECONDS, what=f"{count} webhooks about {order_id}")


def wait_until_delivered(control: httpx.Client, **filters: str) -> list[dict]:
    return poll(lambda: deliveries(control, **filters),
                until=lambda got: bool(got) and all(d["state"] != "pending" for d in got),
                timeout=WEBHOOK_WAIT_SECONDS, what=f"webhooks {filters} to settle")


def test_sdk_creates_fetches_and_lists_orders(rzp):
    receipt = _receipt()

    order = sdk_order(rzp, receipt=receipt, notes={"customer": "42"})
    again = sdk_order(rzp, receipt=receipt)

    assert ID["order"].fullmatch(order["id"])
    assert again["id"] == order["id"]
    assert rzp.order.fetch(order["id"]) == order
    assert [o["id"] for o in rzp.order.all({"receipt": receipt})["items"]] == [order["id"]]


def test_sdk_raises_bad_request_error_for_an_invalid_order(rzp):
    with pytest.raises(BadRequestError, match=r"atleast INR 1\.00"):
        rzp.order.create({"amount": 99, "currency": "INR"})


def test_sdk_with_a_live_key_or_a_wrong_secret_is_refused(sandbox_url):
    for auth, expected in ((("rzp_live_ABCDEFGHIJKLMN", KEY_SECRET), "not a test key"),
                           ((KEY_ID, "wrong"), "key/secret provided is invalid")):
        sdk = razorpay.Client(auth=auth, base_url=sandbox_url)
        try:
            with pytest.raises(BadRequestError, match=expected):
                sdk.order.all()
        finally:
            sdk.session.close()


def test_checkout_signature_verifies_with_the_sdk(rzp, control):
    order = sdk_order(rzp)

    reply = pay(control, order["id"])

    assert rzp.utility.verify_payment_signature(reply) is True
    payment = rzp.payment.fetch(reply["razorpay_payment_id"])
    assert (payment["status"], payment["order_id"], payment["amount"]) == (
        "captured", order["id"], 50000)
    assert rzp.order.fetch(order["id"])["status"] == "paid"
    assert [p["id"] for p in rzp.order.payments(order["id"])["items"]] == [payment["id"]]


def test_a_forged_success_for_a_failed_payment_is_caught_by_the_gateway_status(rzp, control):
    # given a payment the gateway failed
    order = sdk_order(rzp)
    failed = pay(control, order["id"], vpa="failure@razorpay")
    payment_id = failed["razorpay_payment_id"]

    # when a client claims success with a made-up signature, or with a valid one
    forged = {"razorpay_order_id": order["id"], "razorpay_payment_id": payment_id,
              "razorpay_signature": "0" * 64}
    signed = control.post("/_sandbox/gateway/signature/",
                          json={"order_id": order["id"], "payment_id": payment_id}).json()

    # then the made-up signature fails and the valid one still names a failed payment
    with pytest.raises(SignatureVerificationError):
        rzp.utility.verify_payment_signature(forged)
    assert rzp.utility.verify_payment_signature({**forged, **signed}) is True
    assert rzp.payment.fetch(payment_id)["status"] == "failed"
    assert rzp.order.fetch(order["id"])["status"] == "attempted"


def test_sdk_captures_an_authorized_payment(rzp, control):
    order = sdk_order(rzp, payment_capture=0)
    payment_id = pay(control, order["id"])["razorpay_payment_id"]

    with pytest.raises(BadRequestError, match="equal to the amount authorized"):
        rzp.payment.capture(payment_id, 49900, {"currency": "INR"})
    captured = rzp.payment.capture(payment_id, 50000, {"currency": "INR"})

    assert (captured["status"], captured["captured"]) == ("captured", True)
    assert rzp.order.fetch(order["id"])["status"] == "paid"


def test_sdk_refunds_partly_then_fully_and_is_refused_more(rzp, control):
    order = sdk_order(rzp, amount=50000)
    payment_id = pay(control, order["id"])["razorpay_payment_id"]

    partial = rzp.payment.refund(payment_id, {"amount": 20000})
    with pytest.raises(BadRequestError, match="greater than amount captured"):
        rzp.refund.create({"payment_id": payment_id, "amount": 30001})
    rest = rzp.refund.create({"payment_id": payment_id, "amount": 30000})
    with pytest.raises(BadRequestError, match="fully refunded"):
        rzp.payment.refund(payment_id, {"amount": 100})

    payment = rzp.payment.fetch(payment_id)
    assert (payment["status"], payment["amount_refunded"], payment["refund_status"]) == (
        "refunded", 50000, "full")
    assert rzp.refund.fetch(partial["id"])["amount"] == 20000
    assert rzp.payment.fetch_refund_id(payment_id, rest["id"])["amount"] == 30000
    assert rzp.payment.fetch_multiple_refund(payment_id)["count"] == 2


def test_concurrent_partial_refunds_never_exceed_what_was_captured(rzp, control, sandbox_url):
    # given a captured payment of 500 rupees
    order = sdk_order(rzp, amount=50000)
    payment_id = pay(control, order["id"])["razorpay_payment_id"]

    # when twenty refunds of 100 rupees race each other
    with httpx.Client(base_url=sandbox_url, auth=(KEY_ID, KEY_SECRET), trust_env=False,
                      timeout=10) as http:

        def refund(_: int) -> int:
            return http.post(f"/v1/payments/{payment_id}/refund",
                             json={"amount": 10000}).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(refund, range(20)))

    # then exactly five went through and the payment is fully refunded, no more
    assert statuses.count(HTTPStatus.OK) == 5
    assert statuses.count(HTTPStatus.BAD_REQUEST) == 15
    assert rzp.payment.fetch(payment_id)["amount_refunded"] == 50000


def test_sdk_tokenizes_a_card_for_a_customer(rzp):
    customer = rzp.customer.create({"name": "Meera", "contact": "+919812300020",
                                    "email": f"meera-{uuid.uuid4().hex[:8]}@example.com"})

    token = rzp.token.create({"customer_id": customer["id"], "method": "card",
                              "card": {"number": "4111111111111111", "expiry_month": "12",
                                       "expiry_year": "35", "cvv": "123", "name": "Meera"}})

    assert ID["token"].fullmatch(token["id"])
    assert (token["card"]["network"], token["card"]["last4"], token["card"]["expiry_year"]) == (
        "Visa", "1111", 2035)
    assert "4111111111111111" not in json.dumps(token)
    assert rzp.token.fetch(customer["id"], token["id"]) == token
    assert [t["id"] for t in rzp.token.all(customer["id"])["items"]] == [token["id"]]
    assert rzp.token.delete(customer["id"], token["id"]) == {"deleted": True}
    assert rzp.token.all(customer["id"])["count"] == 0


def test_webhooks_reach_the_receiver_signed_and_in_order(rzp, control, hooks):
    order = sdk_order(rzp)

    pay(control, order["id"])

    received = wait_for_webhooks(hooks, order["id"], 3)
    assert [r["event"] for r in received] == CHECKOUT_EVENTS
    for item in received:
        assert rzp.utility.verify_webhook_signature(item["body"], item["signature"],
                                                    WEBHOOK_SECRET) is True
    assert len({r["event_id"] for r in received}) == 3
    logged = wait_until_delivered(control, order_id=order["id"])
    assert [d["state"] for d in logged] == ["delivered"] * 3
    assert all([a["status_code"] for a in d["attempts"]] == [200] for d in logged)
    assert all(d["delivered_at"] for d in logged)


def test_refund_webhooks_reach_the_receiver(rzp, control, hooks):
    order = sdk_order(rzp)
    payment_id = pay(control, order["id"])["razorpay_payment_id"]

    refund = rzp.payment.refund(payment_id, {"amount": 100})

    received = wait_for_webhooks(hooks, order["id"], 5)
    refund_events = [r for r in received if r["event"].startswith("refund.")]
    assert [r["event"] for r in refund_events] == ["refund.created", "refund.processed"]
    for item in refund_events:
        payload = json.loads(item["body"])["payload"]
        assert payload["refund"]["entity"]["id"] == refund["id"]
        assert payload["payment"]["entity"]["refund_status"] == "partial"


def test_a_webhook_the_receiver_fails_is_delivered_again_with_the_same_event_id(
        rzp, control, hooks):
    # given a receiver that answers 500 to the first webhook of this order
    order = sdk_order(rzp)
    hooks.fail(order["id"], times=1)

    # when the customer pays
    pay(control, order["id"])

    # then the first event came twice, 500 then 200, with one event id; the others once
    received = wait_for_webhooks(hooks, order["id"], 4)
    first, retried = (r for r in received if r["event"] == "payment.authorized")
    assert (first["answered"], retried["answered"]) == (500, 200)
    assert first["event_id"] == retried["event_id"]
    assert first["body"] == retried["body"]
    [logged] = wait_until_delivered(control, order_id=order["id"], event="payment.authorized")
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in logged["attempts"]] == [
        (1, 500, "failed"), (2, 200, "delivered")]


def test_a_webhook_answered_too_late_is_delivered_again(rzp, control, hooks):
    # given a receiver that answers the first webhook of this order after the sandbox gave up
    order = sdk_order(rzp)
    hooks.stall(order["id"], seconds=1.0, times=1)
    control.put("/_sandbox/gateway/webhook/", json={"timeout_seconds": 0.3})
    try:
        # when the customer pays
        pay(control, order["id"])

        # then the late attempt counts as failed and the next one delivers
        [logged] = wait_until_delivered(control, order_id=order["id"],
                                        event="payment.authorized")
    finally:
        control.put("/_sandbox/gateway/webhook/", json={"timeout_seconds": 5})

    first, second = logged["attempts"]
    assert (first["status_code"], first["outcome"]) == (None, "failed")
    assert "Timeout" in first["error"]
    assert (second["status_code"], second["outcome"]) == (200, "delivered")


def test_webhook_fail_once_redelivers_an_event_the_receiver_answered(rzp, control, hooks):
    order, other = sdk_order(rzp), sdk_order(rzp)
    add_fault(control, service="gateway", fault="webhook_fail_once",
              match={"order_id": order["id"], "event": "payment.captured"})

    pay(control, order["id"])
    pay(control, other["id"])

    received = wait_for_webhooks(hooks, order["id"], 4)
    captured = [r for r in received if r["event"] == "payment.captured"]
    assert len(captured) == 2
    assert all(r["answered"] == 200 for r in captured)
    assert captured[0]["event_id"] == captured[1]["event_id"]
    [logged] = wait_until_delivered(control, order_id=order["id"], event="payment.captured")
    assert [a["outcome"] for a in logged["attempts"]] == ["reply_lost", "delivered"]
    assert len(wait_for_webhooks(hooks, other["id"], 3)) == 3


def test_webhook_duplicate_sends_each_event_several_times_at_once(rzp, control, hooks):
    order, other = sdk_order(rzp), sdk_order(rzp)
    add_fault(control, service="gateway", fault="webhook_duplicate", copies=3,
              match={"order_id": order["id"]})

    pay(control, order["id"])
    pay(control, other["id"])

    received = wait_for_webhooks(hooks, order["id"], 9)
    for event in CHECKOUT_EVENTS:
        copies = [r for r in received if r["event"] == event]
        assert len(copies) == 3
        assert len({(r["event_id"], r["body"]) for r in copies}) == 1
    wait_until_delivered(control, order_id=other["id"])
    assert len(hooks.received(other["id"])) == 3


def test_webhook_out_of_order_reverses_a_checkouts_events(rzp, control, hooks):
    order = sdk_order(rzp)
    add_fault(control, service="gateway", fault="webhook_out_of_order",
              match={"order_id": order["id"]})

    pay(control, order["id"])

    received = wait_for_webhooks(hooks, order["id"], 3)
    assert [r["event"] for r in received] == CHECKOUT_EVENTS[::-1]


def test_webhook_delay_lets_later_events_overtake(rzp, control, hooks):
    order = sdk_order(rzp)
    add_fault(control, service="gateway", fault="webhook_delay", seconds=0.5,
              match={"order_id": order["id"], "event": "payment.authorized"})

    started = time.monotonic()
    pay(control, order["id"])

    received = wait_for_webhooks(hooks, order["id"], 3)
    assert [r["event"] for r in received] == ["payment.captured", "order.paid",
                                              "payment.authorized"]
    assert received[2]["at"] - started >= 0.5


def test_webhook_bad_signature_fails_verification_for_the_matched_order_only(
        rzp, control, hooks):
    order, other = sdk_order(rzp), sdk_order(rzp)
    add_fault(control, service="gateway", fault="webhook_bad_signature",
              match={"order_id": order["id"], "event": "order.paid"})

    pay(control, order["id"])
    pay(control, other["id"])

    bad = wait_for_webhooks(hooks, order["id"], 3)
    good = wait_for_webhooks(hooks, other["id"], 3)

    [forged] = [r for r in bad if r["event"] == "order.paid"]
    with pytest.raises(SignatureVerificationError):
        rzp.utility.verify_webhook_signature(forged["body"], forged["signature"], WEBHOOK_SECRET)
    for item in good:
        assert rzp.utility.verify_webhook_signature(item["body"], item["signature"],
                                                    WEBHOOK_SECRET) is True


def test_an_event_can_be_replayed_byte_for_byte(rzp, control, hooks):
    order = sdk_order(rzp)
    pay(control, order["id"])
    [original] = [r for r in wait_for_webhooks(hooks, order["id"], 3)
                  if r["event"] == "order.paid"]

    response = control.post(f"/_sandbox/gateway/webhooks/{original['event_id']}/redeliver/")

    assert response.status_code == HTTPStatus.ACCEPTED, response.text
    assert response.json()["reason"] == "replay"
    replay = wait_for_webhooks(hooks, order["id"], 4)[3]
    assert (replay["event_id"], replay["body"], replay["signature"]) == (
        original["event_id"], original["body"], original["signature"])


def test_sdk_raises_server_error_for_the_5xx_order_while_another_works(rzp, control):
    order, other = sdk_order(rzp), sdk_order(rzp)
    fault = add_fault(control, service="gateway", fault="http_5xx",
                      match={"order_id": order["id"]})
    try:
        with pytest.raises(ServerError, match="sandbox fault http_5xx"):
            rzp.order.fetch(order["id"])
        assert rzp.order.fetch(other["id"])["id"] == other["id"]
    finally:
        control.delete(f"/_sandbox/faults/{fault['id']}/")


def test_sdk_create_that_times_out_is_found_again_by_its_receipt(rzp, control):
    receipt = _receipt()
    add_fault(control, service="gateway", fault="timeout", seconds=0.3,
              match={"receipt": receipt}, times=1)

    with pytest.raises(ServerError, match="Gateway Timeout"):
        sdk_order(rzp, receipt=receipt)
    retried = sdk_order(rzp, receipt=receipt)

    assert [o["id"] for o in rzp.order.all({"receipt": receipt})["items"]] == [retried["id"]]


def test_decline_at_checkout_through_the_real_process(rzp, control):
    order, other = sdk_order(rzp), sdk_order(rzp)
    add_fault(control, service="gateway", fault="decline", match={"order_id": order["id"]})

    declined = pay(control, order["id"])
    paid = pay(control, other["id"])

    assert rzp.payment.fetch(declined["razorpay_payment_id"])["status"] == "failed"
    assert rzp.utility.verify_payment_signature(paid) is True
