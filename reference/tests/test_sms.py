"""The SMS integration: the official Twilio SDK against a mocked Twilio HTTP API."""

import base64
from http import HTTPStatus

import pytest
import requests
import responses
from django.conf import settings

from reference.integrations.sms import BaseUrlHttpClient, SmsUnavailable, sms_send


def test_sms_send_posts_to_the_configured_base_url_and_returns_the_sid(sms):
    sid = sms_send(to="+919812345678", body="Your LaundryConnect verification code is 123456.")

    assert sid.startswith("SM")
    [call] = sms.mock.calls
    assert call.request.url.startswith(settings.TWILIO_BASE_URL)
    expected = f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}".encode()
    assert call.request.headers["Authorization"] == f"Basic {base64.b64encode(expected).decode()}"
    assert sms.sent == [
        {
            "To": "+919812345678",
            "From": settings.TWILIO_FROM,
            "Body": "Your LaundryConnect verification code is 123456.",
        }
    ]


@pytest.mark.parametrize("status", [HTTPStatus.BAD_REQUEST, HTTPStatus.INTERNAL_SERVER_ERROR])
def test_a_refusing_provider_raises_sms_unavailable(sms, status):
    sms.fail_with(status)

    with pytest.raises(SmsUnavailable):
        sms_send(to="+919812345678", body="hello")


def test_an_unreachable_provider_raises_sms_unavailable(sms):
    sms.mock.replace(responses.POST, sms.url, body=requests.ConnectionError("refused"))

    with pytest.raises(SmsUnavailable):
        sms_send(to="+919812345678", body="hello")


def test_a_reply_that_is_not_json_raises_sms_unavailable(sms):
    sms.mock.replace(responses.POST, sms.url, body="<html>oops</html>", status=201)

    with pytest.raises(SmsUnavailable):
        sms_send(to="+919812345678", body="hello")


def test_a_regional_twilio_host_is_rewritten_too(sms):
    client = BaseUrlHttpClient(base_url=settings.TWILIO_BASE_URL, timeout=1)
    regional = sms.url.replace(settings.TWILIO_BASE_URL, "https://api.dublin.ie1.twilio.com")

    try:
        response = client.request("POST", regional, data={"To": "+919812345678", "Body": "x"})
    finally:
        client.session.close()

    assert response.status_code == HTTPStatus.CREATED
    assert sms.sent[-1]["To"] == "+919812345678"
