"""The push integration: Expo's official SDK against a mocked Expo push API."""

from http import HTTPStatus

import pytest
import requests
import responses
from django.conf import settings

from reference.integrations.push import (
    DEVICE_NOT_REGISTERED,
    PushUnavailable,
    push_send,
)

PHONE = "ExponentPushToken[phone0000000000000000]"
TABLET = "ExponentPushToken[tablet000000000000000]"


def test_push_send_posts_each_token_to_the_configured_host_and_reports_each_outcome(expo):
    expo.unregistered.add(TABLET)

    outcomes = push_send(
        tokens=[PHONE, TABLET], title="Order ready", body="Your order is ready.",
        data={"order_id": "42"},
    )

    [call] = expo.mock.calls
    assert call.request.url == f"{settings.EXPO_BASE_URL}/--/api/v2/push/send"
    assert [(o.token, o.ok, o.device_not_registered) for o in outcomes] == [
        (PHONE, True, False), (TABLET, False, True),
    ]
    assert outcomes[0].receipt_id
    assert outcomes[1].error == DEVICE_NOT_REGISTERED
    assert expo.received_by(PHONE) == [{
        "to": PHONE, "title": "Order ready", "body": "Your order is ready.",
        "data": {"order_id": "42"}, "sound": "default",
    }]


def test_a_token_that_is_not_an_expo_token_is_reported_without_failing_the_others(expo):
    outcomes = push_send(tokens=["not-a-token", PHONE], title="t", body="b", data={})

    assert [(o.token, o.ok, o.device_not_registered) for o in outcomes] == [
        ("not-a-token", False, True), (PHONE, True, False),
    ]
    assert [message["to"] for message in expo.sent] == [PHONE]


def test_no_tokens_make_no_request(expo):
    assert push_send(tokens=[], title="t", body="b", data={}) == []
    assert len(expo.mock.calls) == 0


@pytest.mark.parametrize("status", [HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.BAD_REQUEST])
def test_a_request_refused_whole_raises_push_unavailable(expo, status):
    expo.fail_with(status)

    with pytest.raises(PushUnavailable):
        push_send(tokens=[PHONE], title="t", body="b", data={})


def test_an_unreachable_or_slow_push_service_raises_push_unavailable(expo):
    expo.mock.replace(responses.POST, expo.url, body=requests.ConnectTimeout("slow"))

    with pytest.raises(PushUnavailable):
        push_send(tokens=[PHONE], title="t", body="b", data={})


def test_the_wait_for_the_push_service_is_bounded(expo, monkeypatch):
    seen = {}
    original = requests.Session.post

    def post(self, url, **kwargs):
        seen["timeout"] = kwargs.get("timeout")
        return original(self, url, **kwargs)

    monkeypatch.setattr(requests.Session, "post", post)
    push_send(tokens=[PHONE], title="t", body="b", data={})

    assert seen["timeout"] == settings.EXPO_TIMEOUT_SECONDS
