"""The gateway integration: the official Razorpay SDK against a mocked Razorpay HTTP API, its
bounded waits, its error mapping and the signature checks."""

import base64
import json
import socket
from collections.abc import Iterator

import pytest
import requests
from django.conf import settings

from reference.integrations.gateway import (
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    gateway_card_tokenize,
    gateway_order_create,
    gateway_payment_fetch,
    gateway_signature_valid,
    gateway_webhook_signature_valid,
)
from reference.tests.gateway import sign


def test_order_create_sends_paise_with_basic_auth_and_a_bounded_timeout(gateway):
    order = gateway_order_create(amount_paise=49950, receipt="w_1", notes={"purpose": "test"})

    assert order["id"].startswith("order_")
    [request] = gateway.calls_to("POST", "/v1/orders")
    assert json.loads(request.body) == {
        "amount": 49950, "currency": "INR", "receipt": "w_1", "notes": {"purpose": "test"},
    }
    expected = f"{settings.RAZORPAY_KEY_ID}:{settings.RAZORPAY_KEY_SECRET}".encode()
    assert request.headers["Authorization"] == f"Basic {base64.b64encode(expected).decode()}"
    assert request.url.startswith(settings.RAZORPAY_BASE_URL + "/v1/")
    assert request.req_kwargs["timeout"] == settings.GATEWAY_TIMEOUT_SECONDS


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (500, "SERVER_ERROR", GatewayUnavailable),
        (503, "SERVER_ERROR", GatewayUnavailable),
        (502, "GATEWAY_ERROR", GatewayUnavailable),
        (504, "SERVER_ERROR", GatewayTimeout),
        (400, "BAD_REQUEST_ERROR", GatewayRejected),
    ],
)
def test_gateway_errors_map_to_the_modules_exceptions(gateway, status, code, error):
    gateway.fail("GET", r"/v1/payments/.*", status=status, code=code, description="nope")

    with pytest.raises(error):
        gateway_payment_fetch(payment_id="pay_X")


def test_a_rejection_carries_the_gateways_description(gateway):
    with pytest.raises(GatewayRejected, match="does not exist"):
        gateway_payment_fetch(payment_id="pay_Unknown")


@pytest.mark.parametrize(
    ("exception", "error"),
    [
        (requests.ConnectionError("refused"), GatewayUnavailable),
        (requests.ReadTimeout("slow"), GatewayTimeout),
    ],
)
def test_network_failures_map_to_unavailable_or_timeout(gateway, exception, error):
    gateway.fail("GET", r"/v1/payments/.*", exception=exception)

    with pytest.raises(error):
        gateway_payment_fetch(payment_id="pay_X")


def test_a_reply_that_is_not_json_is_unavailable(gateway):
    gateway.fail("GET", r"/v1/payments/.*", status=502, body="<html>bad gateway</html>")

    with pytest.raises(GatewayUnavailable):
        gateway_payment_fetch(payment_id="pay_Html")


@pytest.fixture
def silent_server(sms) -> Iterator[str]:
    """A TCP server that accepts connections and never answers (a hung gateway)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    sms.mock.add_passthru(url)
    try:
        yield url
    finally:
        listener.close()


def test_a_silent_gateway_times_out_within_the_configured_bound(settings, silent_server):
    settings.RAZORPAY_BASE_URL = silent_server
    settings.GATEWAY_TIMEOUT_SECONDS = 0.3

    with pytest.raises(GatewayTimeout, match=r"0\.3 s"):
        gateway_payment_fetch(payment_id="pay_X")


def test_card_tokenize_sends_the_card_and_returns_only_the_token(gateway):
    token = gateway_card_tokenize(
        customer_id="cust_1", number="4111111111111111", expiry_month=3, expiry_year=2031,
        cvv="123", name="Asha",
    )

    assert token["id"].startswith("token_")
    assert token["card"]["last4"] == "1111"
    assert "4111111111111111" not in json.dumps(token)
    [request] = gateway.calls_to("POST", "/v1/tokens")
    assert json.loads(request.body)["card"]["expiry_month"] == "03"


def test_payment_signature_is_checked_with_the_key_secret():
    good = sign(settings.RAZORPAY_KEY_SECRET, "order_A|pay_B")

    assert gateway_signature_valid(order_id="order_A", payment_id="pay_B", signature=good)
    assert not gateway_signature_valid(order_id="order_X", payment_id="pay_B", signature=good)
    assert not gateway_signature_valid(order_id="order_A", payment_id="pay_B", signature="0" * 64)
    assert not gateway_signature_valid(order_id="order_A", payment_id="pay_B", signature="\u00e9")


def test_webhook_signature_covers_the_exact_raw_body():
    body = '{"event":"payment.captured","payload":{}}'
    signature = sign(settings.RAZORPAY_WEBHOOK_SECRET, body)
    reserialised = json.dumps(json.loads(body))

    assert gateway_webhook_signature_valid(body=body, signature=signature)
    assert not gateway_webhook_signature_valid(body=reserialised, signature=signature)
    assert not gateway_webhook_signature_valid(
        body=body, signature=sign(settings.RAZORPAY_KEY_SECRET, body)
    )
