"""The SMS emulator and the sandbox control API: Twilio's wire format, fault scoping, and the
official twilio SDK against a real sandbox process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from sandbox.app import create_app
from sandbox.sms import num_segments
from sandbox.state import SandboxConfig
from tests.sandbox_client import TestClient, add_fault

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "unit-test-token"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
FROM = "+15005550006"


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = create_app(SandboxConfig(twilio_account_sid=SID, twilio_auth_token=TOKEN))
    with TestClient(app) as test_client:
        test_client.auth = (SID, TOKEN)
        yield test_client


def send(client: TestClient, to: str, body: str = "Your OTP is 123456") -> httpx.Response:
    return client.post(MESSAGES, data={"To": to, "From": FROM, "Body": body})


def inbox(client: TestClient, to: str) -> list[dict]:
    response = client.get("/_sandbox/sms/", params={"to": to})
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()["results"]


# --- wire format -------------------------------------------------------------------------------


def test_health(client):
    response = client.get("/_sandbox/health/")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "ok"


def test_send_returns_twilio_message_resource_and_reaches_inbox(client):
    response = send(client, "+919812345678")

    assert response.status_code == HTTPStatus.CREATED, response.text
    message = response.json()
    assert message["sid"].startswith("SM")
    assert len(message["sid"]) == 34
    int(message["sid"][2:], 16)
    assert message | {"sid": None, "date_created": None, "date_updated": None} == {
        "account_sid": SID,
        "api_version": "2010-04-01",
        "body": "Your OTP is 123456",
        "date_created": None,
        "date_sent": None,
        "date_updated": None,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": FROM,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": None,
        "status": "queued",
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{SID}/Messages/{message['sid']}/Media.json",
            "feedback": f"/2010-04-01/Accounts/{SID}/Messages/{message['sid']}/Feedback.json",
        },
        "to": "+919812345678",
        "uri": f"/2010-04-01/Accounts/{SID}/Messages/{message['sid']}.json",
    }
    assert parsedate_to_datetime(message["date_created"]).utcoffset().total_seconds() == 0
    [received] = inbox(client, "+919812345678")
    assert received["body"] == "Your OTP is 123456"
    assert received["from"] == FROM
    assert received["to"] == "+919812345678"
    assert received["created_at"]


def test_inbox_is_oldest_first_and_per_number(client):
    for text in ("first", "second"):
        assert send(client, "+919800000001", text).status_code == HTTPStatus.CREATED
    assert send(client, "+919800000002", "other").status_code == HTTPStatus.CREATED

    assert [m["body"] for m in inbox(client, "+919800000001")] == ["first", "second"]
    assert inbox(client, "+919800000003") == []


def test_inbox_accepts_plus_decoded_as_space(client):
    assert send(client, "+919800000004").status_code == HTTPStatus.CREATED

    response = client.get("/_sandbox/sms/?to=+919800000004")

    assert [m["to"] for m in response.json()["results"]] == ["+919800000004"]


def test_fetch_message_shows_it_delivered(client):
    sid = send(client, "+919800000005").json()["sid"]

    response = client.get(f"/2010-04-01/Accounts/{SID}/Messages/{sid}.json")

    assert response.status_code == HTTPStatus.OK, response.text
    assert response.json()["sid"] == sid
    assert response.json()["status"] == "delivered"


def test_fetch_unknown_message_is_twilio_404(client):
    response = client.get(f"/2010-04-01/Accounts/{SID}/Messages/SM{'0' * 32}.json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == 20404


@pytest.mark.parametrize(
    "auth",
    [(SID, "wrong-token"), ("AC" + "f" * 32, TOKEN), None],
    ids=["wrong-token", "wrong-sid", "no-auth"],
)
def test_wrong_credentials_are_refused_like_twilio(client, auth):
    response = client.post(
        MESSAGES, data={"To": "+919812345678", "From": FROM, "Body": "x"}, auth=auth
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == 20003
    assert response.json()["status"] == HTTPStatus.UNAUTHORIZED


def test_account_in_path_must_be_the_authenticated_one(client):
    other = "AC" + "1" * 32

    response = client.post(
        f"/2010-04-01/Accounts/{other}/Messages.json",
        data={"To": "+919812345678", "From": FROM, "Body": "x"},
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == 20003


@pytest.mark.parametrize("to", ["9812345678", "+0123", "+91 98123 45678", "+91981234567890123"])
def test_non_e164_recipient_is_error_21211(client, to):
    response = send(client, to)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {
        "code": 21211,
        "message": f"The 'To' number {to} is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211",
        "status": 400,
    }


def test_missing_body_is_error_21602(client):
    response = client.post(MESSAGES, data={"To": "+919812345678", "From": FROM})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == 21602
    assert inbox(client, "+919812345678") == []


def test_missing_from_is_error_21603(client):
    response = client.post(MESSAGES, data={"To": "+919812345678", "Body": "x"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == 21603


@pytest.mark.parametrize(
    ("body", "segments"),
    [("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3), ("€" * 80, 1),
     ("₹" * 70, 1), ("₹" * 71, 2)],
)
def test_segments_follow_gsm7_and_ucs2_limits(body, segments):
    assert num_segments(body) == segments


# --- control API: faults -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"service": "fax", "fault": "slow"}, "allowed: gateway, push, sms"),
        ({"service": "sms", "fault": "explode"}, "allowed: decline, http_5xx, slow, timeout"),
        ({"service": "sms", "fault": "slow"}, "needs seconds"),
        ({"service": "sms", "fault": "slow", "seconds": -1}, "'seconds' must be more than 0"),
        ({"service": "sms", "fault": "slow", "seconds": "2"}, "'seconds' must be a number"),
        ({"service": "sms", "fault": "decline", "seconds": 1}, "unknown option(s) seconds"),
        ({"service": "sms", "fault": "decline", "times": 0}, "'times' must be a positive"),
        ({"service": "sms", "fault": "decline", "match": {"token": "x"}}, "allowed: to"),
        ({"service": "sms", "fault": "decline", "match": "+91"}, "'match' must be an object"),
        ({"service": "sms", "fault": "http_5xx", "status": 404}, "from 500 to 599"),
        (["sms"], "must be a JSON object"),
    ],
)
def test_bad_fault_requests_are_refused_with_what_is_allowed(client, body, expected):
    response = client.post("/_sandbox/faults/", json=body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert expected in response.json()["error"]


def test_fault_body_that_is_not_json_is_refused(client):
    response = client.post("/_sandbox/faults/", content=b"{nope")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "not JSON" in response.json()["error"]


def test_decline_touches_only_the_matched_number(client):
    add_fault(client, service="sms", fault="decline", match={"to": "+919811111111"})

    declined = send(client, "+919811111111")
    other = send(client, "+919822222222")

    assert declined.status_code == HTTPStatus.BAD_REQUEST
    assert declined.json()["code"] == 21610
    assert inbox(client, "+919811111111") == []
    assert other.status_code == HTTPStatus.CREATED
    assert len(inbox(client, "+919822222222")) == 1


def test_unscoped_fault_touches_every_number(client):
    add_fault(client, service="sms", fault="http_5xx", status=503)

    for to in ("+919833333331", "+919833333332"):
        response = send(client, to)
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert response.json()["status"] == HTTPStatus.SERVICE_UNAVAILABLE


def test_fault_expires_after_its_times(client):
    fault = add_fault(client, service="sms", fault="http_5xx", match={"to": "+919844444444"},
                      times=1)
    assert fault["remaining"] == 1

    first = send(client, "+919844444444")
    second = send(client, "+919844444444")

    assert first.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert first.json()["code"] == 20500
    assert second.status_code == HTTPStatus.CREATED
    assert client.get("/_sandbox/faults/").json()["results"] == []


def test_listed_fault_counts_its_applications(client):
    fault = add_fault(client, service="sms", fault="http_5xx", match={"to": "+919844444445"},
                      times=3)
    send(client, "+919844444445")

    [listed] = client.get("/_sandbox/faults/").json()["results"]

    assert listed["id"] == fault["id"]
    assert (listed["applied"], listed["remaining"], listed["times"]) == (1, 2, 3)


def test_slow_answers_normally_after_the_delay(client):
    add_fault(client, service="sms", fault="slow", seconds=0.3, match={"to": "+919855555555"})

    started = time.monotonic()
    response = send(client, "+919855555555")

    assert time.monotonic() - started >= 0.3
    assert response.status_code == HTTPStatus.CREATED
    assert len(inbox(client, "+919855555555")) == 1


def test_timeout_holds_then_answers_504_without_delivering(client):
    add_fault(client, service="sms", fault="timeout", seconds=0.2, match={"to": "+919866666666"})

    started = time.monotonic()
    response = send(client, "+919866666666")

    assert time.monotonic() - started >= 0.2
    assert response.status_code == HTTPStatus.GATEWAY_TIMEOUT
    assert inbox(client, "+919866666666") == []


def test_timeout_defaults_to_thirty_seconds(client):
    fault = add_fault(client, service="sms", fault="timeout")

    assert fault["seconds"] == 30


def test_delete_one_fault_and_then_all(client):
    first = add_fault(client, service="sms", fault="decline", match={"to": "+919877777771"})
    add_fault(client, service="sms", fault="decline", match={"to": "+919877777772"})

    assert client.delete(f"/_sandbox/faults/{first['id']}/").status_code == HTTPStatus.OK
    assert client.delete(f"/_sandbox/faults/{first['id']}/").status_code == HTTPStatus.NOT_FOUND
    assert send(client, "+919877777771").status_code == HTTPStatus.CREATED
    assert client.delete("/_sandbox/faults/").json() == {"deleted": 1}
    assert send(client, "+919877777772").status_code == HTTPStatus.CREATED


def test_faults_of_other_services_leave_sms_alone(client):
    fault = add_fault(client, service="gateway", fault="webhook_fail_once",
                      match={"order_id": "order_123"})
    push = add_fault(client, service="push", fault="slow", seconds=1,
                     match={"token": "ExponentPushToken[x]"})

    assert fault["times"] == 1
    assert push["seconds"] == 1
    assert send(client, "+919888888888").status_code == HTTPStatus.CREATED


def test_unknown_path_is_json(client):
    response = client.get("/_sandbox/nothing/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "error" in response.json()


# --- the official twilio SDK against a real sandbox process ------------------------------------


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    """The sandbox process takes the test's Twilio account."""
    return {"LC_SANDBOX_TWILIO_ACCOUNT_SID": SID, "LC_SANDBOX_TWILIO_AUTH_TOKEN": TOKEN}


@pytest.fixture
def twilio(sandbox_url) -> Iterator[Client]:
    """The official SDK client, pointed at the sandbox the way the reference backend does it."""
    sdk = Client(SID, TOKEN)
    sdk.api.base_url = sandbox_url
    yield sdk
    sdk.http_client.session.close()


def test_sdk_sends_and_the_phone_receives(twilio, control):
    message = twilio.messages.create(to="+919812300001", from_=FROM, body="Your OTP is 654321")

    assert message.sid.startswith("SM")
    assert message.status == "queued"
    assert message.direction == "outbound-api"
    assert message.account_sid == SID
    assert message.date_created.tzinfo is not None
    assert message.num_segments == "1"
    assert message.error_code is None
    received = control.get("/_sandbox/sms/", params={"to": "+919812300001"}).json()["results"]
    assert [m["body"] for m in received] == ["Your OTP is 654321"]


def test_sdk_fetches_a_sent_message(twilio):
    sid = twilio.messages.create(to="+919812300002", from_=FROM, body="hello").sid

    fetched = twilio.messages(sid).fetch()

    assert fetched.sid == sid
    assert fetched.status == "delivered"


def test_sdk_raises_on_faulted_number_while_another_still_works(twilio, control):
    response = control.post(
        "/_sandbox/faults/",
        json={"service": "sms", "fault": "decline", "match": {"to": "+919812300003"}},
    )
    assert response.status_code == HTTPStatus.CREATED, response.text

    with pytest.raises(TwilioRestException) as declined:
        twilio.messages.create(to="+919812300003", from_=FROM, body="never arrives")
    delivered = twilio.messages.create(to="+919812300004", from_=FROM, body="arrives")

    assert declined.value.status == HTTPStatus.BAD_REQUEST
    assert declined.value.code == 21610
    assert delivered.status == "queued"
    assert control.get("/_sandbox/sms/", params={"to": "+919812300003"}).json()["results"] == []
    control.delete(f"/_sandbox/faults/{response.json()['id']}/")


def test_sdk_raises_on_5xx_fault(twilio, control):
    control.post(
        "/_sandbox/faults/",
        json={"service": "sms", "fault": "http_5xx", "match": {"to": "+919812300005"}, "times": 1},
    )

    with pytest.raises(TwilioRestException) as failed:
        twilio.messages.create(to="+919812300005", from_=FROM, body="x")

    assert failed.value.status == HTTPStatus.INTERNAL_SERVER_ERROR
    assert failed.value.code == 20500


def test_sdk_raises_on_invalid_number(twilio):
    with pytest.raises(TwilioRestException) as invalid:
        twilio.messages.create(to="12345", from_=FROM, body="x")

    assert invalid.value.code == 21211
    assert "The 'To' number 12345 is not a valid phone number." in invalid.value.msg


def test_sdk_with_wrong_token_gets_20003(sandbox_url):
    sdk = Client(SID, "not-the-token")
    sdk.api.base_url = sandbox_url
    try:
        with pytest.raises(TwilioRestException) as refused:
            sdk.messages.create(to="+919812300006", from_=FROM, body="x")
    finally:
        sdk.http_client.session.close()

    assert refused.value.status == HTTPStatus.UNAUTHORIZED
    assert refused.value.code == 20003


def test_times_holds_under_concurrent_requests(sandbox_url, control):
    # given a fault for five sends of one number
    control.post(
        "/_sandbox/faults/",
        json={"service": "sms", "fault": "decline", "match": {"to": "+919812300007"}, "times": 5},
    )

    # when twenty sends race each other
    def send_one(index: int) -> int:
        response = control.post(
            f"/2010-04-01/Accounts/{SID}/Messages.json",
            data={"To": "+919812300007", "From": FROM, "Body": f"message {index}"},
            auth=(SID, TOKEN),
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(send_one, range(20)))

    # then exactly five were declined and the other fifteen delivered
    assert statuses.count(HTTPStatus.BAD_REQUEST) == 5
    assert statuses.count(HTTPStatus.CREATED) == 15
    inbox = control.get("/_sandbox/sms/", params={"to": "+919812300007"}).json()["results"]
    assert len(inbox) == 15
