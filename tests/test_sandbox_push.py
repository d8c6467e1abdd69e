"""The push emulator: Expo's wire format, device inboxes, DeviceNotRegistered, receipts and
faults, through Starlette's TestClient and through the official exponent_server_sdk against a
real sandbox process."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Iterator
from http import HTTPStatus

import httpx
import pytest
import requests
from exponent_server_sdk import (
    DeviceNotRegisteredError,
    MessageTooBigError,
    PushClient,
    PushMessage,
    PushServerError,
)

from sandbox.app import create_app
from sandbox.state import SandboxConfig
from tests.sandbox_client import TestClient, add_fault

SEND = "/--/api/v2/push/send"
RECEIPTS = "/--/api/v2/push/getReceipts"


def new_token() -> str:
    return f"ExponentPushToken[{uuid.uuid4().hex[:22]}]"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(SandboxConfig())) as test_client:
        yield test_client


def send(client: TestClient, messages: object) -> httpx.Response:
    return client.post(SEND, json=messages)


def tickets(client: TestClient, messages: object) -> list[dict]:
    response = send(client, messages)
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()["data"]


def inbox(client: TestClient | httpx.Client, token: str | None = None) -> list[dict]:
    params = {"token": token} if token is not None else {}
    response = client.get("/_sandbox/push/", params=params)
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()["results"]


def unregister(client: TestClient | httpx.Client, token: str) -> None:
    response = client.post("/_sandbox/push/unregister/", json={"token": token})
    assert response.status_code == HTTPStatus.OK, response.text


def errors_of(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    return error


# --- wire format -------------------------------------------------------------------------------


def test_message_is_accepted_and_reaches_the_device_as_sent(client):
    token = new_token()
    message = {"to": token, "title": "Order picked up", "body": "Your laundry is on its way",
               "data": {"order_id": 42, "type": "order_update"}, "sound": "default",
               "badge": 1, "priority": "high", "channelId": "orders", "ttl": 3600}

    [ticket] = tickets(client, [message])

    assert ticket["status"] == "ok"
    uuid.UUID(ticket["id"])
    assert inbox(client, token) == [message]


def test_single_object_is_accepted_as_one_message(client):
    token = new_token()

    [ticket] = tickets(client, {"to": token, "body": "hello"})

    assert ticket["status"] == "ok"
    assert [m["body"] for m in inbox(client, token)] == ["hello"]


def test_tickets_follow_recipients_in_order_and_lists_of_tokens_fan_out(client):
    first, second, third = new_token(), new_token(), new_token()
    unregister(client, second)

    result = tickets(client, [{"to": [first, second], "body": "both"},
                              {"to": third, "body": "third"}])

    assert [t["status"] for t in result] == ["ok", "error", "ok"]
    assert result[1]["details"]["error"] == "DeviceNotRegistered"
    assert inbox(client, first) == [{"to": first, "body": "both"}]
    assert inbox(client, second) == []
    assert [m["to"] for m in inbox(client)] == [first, third]


def test_inbox_is_oldest_first_per_token(client):
    token, other = new_token(), new_token()
    for body in ("first", "second"):
        tickets(client, [{"to": token, "body": body}])
    tickets(client, [{"to": other, "body": "other"}])

    assert [m["body"] for m in inbox(client, token)] == ["first", "second"]
    assert inbox(client, new_token()) == []


def test_unregistered_token_gets_device_not_registered(client):
    token = new_token()
    unregister(client, token)

    [ticket] = tickets(client, [{"to": token, "body": "x"}])

    assert ticket == {
        "status": "error",
        "message": f'"{token}" is not a registered push notification recipient',
        "details": {"error": "DeviceNotRegistered", "expoPushToken": token},
    }
    assert inbox(client, token) == []


def test_token_that_is_not_an_expo_token_is_not_registered(client):
    [ticket] = tickets(client, [{"to": "fcm:abc", "body": "x"}])

    assert ticket["details"]["error"] == "DeviceNotRegistered"


def test_message_over_4096_bytes_is_too_big(client):
    token = new_token()

    big, fits = tickets(client, [{"to": token, "body": "x" * 4096},
                                 {"to": token, "body": "x" * 3900}])

    assert big["status"] == "error"
    assert big["details"] == {"error": "MessageTooBig"}
    assert fits["status"] == "ok"
    assert len(inbox(client, token)) == 1


def test_more_than_100_notifications_is_refused_whole(client):
    token = new_token()
    messages = [{"to": token, "body": str(i)} for i in range(100)]
    assert len(tickets(client, messages)) == 100

    too_many = send(client, [*messages, {"to": token, "body": "101"}])
    fanned_out = send(client, [{"to": [token] * 101, "body": "x"}])

    assert errors_of(too_many, HTTPStatus.BAD_REQUEST)["code"] == "PUSH_TOO_MANY_NOTIFICATIONS"
    assert errors_of(fanned_out, HTTPStatus.BAD_REQUEST)["code"] == "PUSH_TOO_MANY_NOTIFICATIONS"
    assert len(inbox(client, token)) == 100


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"body": "no recipient"}], '"[0].to"'),
        ([{"to": []}], '"[0].to"'),
        ([{"to": "ExponentPushToken[a]"}, "text"], '"[1]" must be an object'),
        ([{"to": "ExponentPushToken[a]", "data": "text"}], '"[0].data"'),
        ([{"to": "ExponentPushToken[a]", "priority": "urgent"}], '"[0].priority"'),
        ([{"to": "ExponentPushToken[a]", "badge": -1}], '"[0].badge"'),
        ([{"to": "ExponentPushToken[a]", "title": 5}], '"[0].title"'),
    ],
)
def test_invalid_messages_are_refused_whole(client, messages, expected):
    error = errors_of(send(client, messages), HTTPStatus.BAD_REQUEST)

    assert error["code"] == "VALIDATION_ERROR"
    assert expected in error["message"]
    assert inbox(client) == []


def test_body_that_is_not_json_is_refused(client):
    response = client.post(SEND, content=b"{nope", headers={"Content-Type": "application/json"})

    assert errors_of(response, HTTPStatus.BAD_REQUEST)["code"] == "VALIDATION_ERROR"


def test_gzip_request_body_is_accepted(client):
    token = new_token()
    body = gzip.compress(json.dumps([{"to": token, "body": "zipped"}]).encode())

    response = client.post(SEND, content=body, headers={"Content-Type": "application/json",
                                                        "Content-Encoding": "gzip"})

    assert response.status_code == HTTPStatus.OK, response.text
    assert [m["body"] for m in inbox(client, token)] == ["zipped"]


def test_unknown_push_path_answers_expo_errors(client):
    response = client.post("/--/api/v2/push/nothing", json={})

    assert errors_of(response, HTTPStatus.NOT_FOUND)["code"] == "API_ERROR"


# --- receipts ----------------------------------------------------------------------------------


def test_receipts_are_ok_until_the_device_is_unregistered(client):
    token, other = new_token(), new_token()
    [ticket] = tickets(client, [{"to": token, "body": "x"}])
    [other_ticket] = tickets(client, [{"to": other, "body": "x"}])
    ids = [ticket["id"], other_ticket["id"], str(uuid.uuid4())]

    before = client.post(RECEIPTS, json={"ids": ids}).json()
    unregister(client, token)
    after = client.post(RECEIPTS, json={"ids": ids}).json()

    assert before == {"data": {ticket["id"]: {"status": "ok"},
                               other_ticket["id"]: {"status": "ok"}}}
    assert after["data"][ticket["id"]]["details"]["error"] == "DeviceNotRegistered"
    assert after["data"][other_ticket["id"]] == {"status": "ok"}


@pytest.mark.parametrize("body", [{"ids": "one"}, {"ids": [1]}, {}, ["x"]])
def test_bad_receipt_requests_are_refused(client, body):
    error = errors_of(client.post(RECEIPTS, json=body), HTTPStatus.BAD_REQUEST)

    assert error["code"] == "VALIDATION_ERROR"


def test_unregister_needs_a_token(client):
    response = client.post("/_sandbox/push/unregister/", json={"device": "x"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "token" in response.json()["error"]


# --- faults ------------------------------------------------------------------------------------


def test_http_5xx_refuses_requests_with_the_matched_token_only(client):
    token, other = new_token(), new_token()
    add_fault(client, service="push", fault="http_5xx", status=503, match={"token": token})

    refused = send(client, [{"to": other, "body": "x"}, {"to": token, "body": "x"}])
    delivered = send(client, [{"to": other, "body": "y"}])

    error = errors_of(refused, HTTPStatus.SERVICE_UNAVAILABLE)
    assert (error["code"], error["isTransient"]) == ("INTERNAL_SERVER_ERROR", True)
    assert delivered.status_code == HTTPStatus.OK
    assert [m["body"] for m in inbox(client, other)] == ["y"]
    assert inbox(client, token) == []


def test_timeout_holds_then_answers_504_without_delivering(client):
    token = new_token()
    add_fault(client, service="push", fault="timeout", seconds=0.2, match={"token": token}, times=1)

    started = time.monotonic()
    response = send(client, [{"to": token, "body": "x"}])

    assert time.monotonic() - started >= 0.2
    assert errors_of(response, HTTPStatus.GATEWAY_TIMEOUT)["code"] == "GATEWAY_TIMEOUT"
    assert inbox(client, token) == []
    assert send(client, [{"to": token, "body": "x"}]).status_code == HTTPStatus.OK


def test_slow_delivers_after_the_delay(client):
    token = new_token()
    add_fault(client, service="push", fault="slow", seconds=0.2, match={"token": token})

    started = time.monotonic()
    response = send(client, [{"to": token, "body": "x"}])

    assert time.monotonic() - started >= 0.2
    assert response.status_code == HTTPStatus.OK
    assert len(inbox(client, token)) == 1


def test_receipt_requests_play_the_faults_of_their_tokens(client):
    token = new_token()
    [ticket] = tickets(client, [{"to": token, "body": "x"}])
    add_fault(client, service="push", fault="http_5xx", match={"token": token}, times=1)

    failed = client.post(RECEIPTS, json={"ids": [ticket["id"]]})
    retried = client.post(RECEIPTS, json={"ids": [ticket["id"]]})

    errors_of(failed, HTTPStatus.INTERNAL_SERVER_ERROR)
    assert retried.json() == {"data": {ticket["id"]: {"status": "ok"}}}


# --- the official exponent_server_sdk against a real sandbox process ---------------------------


@pytest.fixture
def expo(sandbox_url) -> Iterator[PushClient]:
    """The official SDK client, pointed at the sandbox the way the backend does it."""
    sdk = PushClient(host=sandbox_url)
    yield sdk
    sdk.session.close()


def test_sdk_publishes_and_the_device_receives(expo, control):
    token = new_token()

    ticket = expo.publish(PushMessage(to=token, title="Payment received", body="Rs 500 paid",
                                      data={"payment_id": 7}, sound="default", channel_id="pay"))

    assert ticket.is_success()
    ticket.validate_response()
    assert inbox(control, token) == [{"to": token, "title": "Payment received",
                                      "body": "Rs 500 paid", "data": {"payment_id": 7},
                                      "sound": "default", "channelId": "pay"}]


def test_sdk_raises_device_not_registered_for_an_unregistered_token(expo, control):
    token, other = new_token(), new_token()
    unregister(control, token)

    refused, delivered = expo.publish_multiple([PushMessage(to=token, body="x"),
                                                PushMessage(to=other, body="y")])

    with pytest.raises(DeviceNotRegisteredError):
        refused.validate_response()
    delivered.validate_response()
    assert inbox(control, token) == []


def test_sdk_reads_receipts(expo, control):
    token, other = new_token(), new_token()
    sent = expo.publish_multiple([PushMessage(to=token, body="x"), PushMessage(to=other, body="y")])
    unregister(control, token)

    receipts = {receipt.id: receipt for receipt in expo.check_receipts_multiple(sent)}

    with pytest.raises(DeviceNotRegisteredError):
        receipts[sent[0].id].validate_response()
    receipts[sent[1].id].validate_response()
    assert receipts[sent[1].id].is_success()


def test_sdk_raises_message_too_big(expo):
    ticket = expo.publish(PushMessage(to=new_token(), body="x", data={"blob": "y" * 5000}))

    with pytest.raises(MessageTooBigError):
        ticket.validate_response()


def test_sdk_splits_large_batches_and_a_bigger_batch_is_refused(sandbox_url, expo, control):
    token = new_token()
    messages = [PushMessage(to=token, body=str(i)) for i in range(101)]

    sent = expo.publish_multiple(messages)
    unchunked = PushClient(host=sandbox_url, max_message_count=200)
    try:
        with pytest.raises(PushServerError) as refused:
            unchunked.publish_multiple(messages)
    finally:
        unchunked.session.close()

    assert all(ticket.is_success() for ticket in sent)
    assert len(inbox(control, token)) == 101
    assert refused.value.errors[0]["code"] == "PUSH_TOO_MANY_NOTIFICATIONS"


def test_sdk_raises_push_server_error_on_5xx_for_the_matched_token_only(expo, control):
    token, other = new_token(), new_token()
    fault = add_fault(control, service="push", fault="http_5xx", match={"token": token})
    try:
        with pytest.raises(PushServerError) as failed:
            expo.publish(PushMessage(to=token, body="x"))
        delivered = expo.publish(PushMessage(to=other, body="y"))
    finally:
        control.delete(f"/_sandbox/faults/{fault['id']}/")

    assert failed.value.response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert failed.value.errors[0]["code"] == "INTERNAL_SERVER_ERROR"
    assert delivered.is_success()


def test_sdk_with_a_short_timeout_gives_up_on_a_held_request(sandbox_url, control):
    token = new_token()
    add_fault(control, service="push", fault="timeout", seconds=1, match={"token": token}, times=1)
    impatient = PushClient(host=sandbox_url, timeout=0.2)
    try:
        with pytest.raises(requests.exceptions.Timeout):
            impatient.publish(PushMessage(to=token, body="x"))
    finally:
        impatient.session.close()

    assert inbox(control, token) == []
