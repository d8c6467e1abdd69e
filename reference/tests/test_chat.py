"""Chat over REST: one room per order, server-assigned seqs, client_id de-duplication,
catch-up, read markers, who may see a room, and the push to an offline recipient."""

from http import HTTPStatus
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from reference.accounts.models import PushToken
from reference.chat.models import Message, Room
from reference.chat.presence import presence_add
from reference.tests import images
from reference.tests.conftest import ORDERS, address_for, authed, login, order_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

ROOMS = "/api/chat/rooms/"
PHONE = "ExponentPushToken[phone0000000000000000]"
ROOM_FIELDS = {
    "id", "order_id", "customer", "partner", "last_message", "unread_count", "created_at",
}
MESSAGE_FIELDS = {"id", "room_id", "seq", "client_id", "sender", "message", "image", "created_at"}


def place_order(client, user, catalog) -> dict:
    address = address_for(user)
    response = client.post(ORDERS, order_body(address, catalog), format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


@pytest.fixture
def order(customer, customer_user, catalog) -> dict:
    return place_order(customer, customer_user, catalog)


@pytest.fixture
def room(customer, order, staff_user) -> dict:
    response = customer.post(ROOMS, {"order_id": order["id"]}, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def send(client, room: dict, message: str, **fields):
    return client.post(f"{ROOMS}{room['id']}/messages/", {"message": message, **fields},
                       format="json")


def sent(client, room: dict, message: str, **fields) -> dict:
    response = send(client, room, message, **fields)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def test_a_customer_opens_the_room_of_an_order_once(
    customer, customer_user, order, staff_user, room
):
    assert set(room) == ROOM_FIELDS
    assert room["order_id"] == order["id"]
    assert room["customer"] == {"id": str(customer_user.pk), "name": customer_user.full_name}
    assert room["partner"] == {"id": str(staff_user.pk), "name": staff_user.full_name}
    assert (room["last_message"], room["unread_count"]) == (None, 0)

    again = customer.post(ROOMS, {"order_id": order["id"]}, format="json")

    assert again.status_code == HTTPStatus.OK
    assert again.json()["id"] == room["id"]
    assert Room.objects.count() == 1


def test_another_customers_order_and_room_do_not_exist_for_a_stranger(
    other_customer, order, room
):
    assert other_customer.post(ROOMS, {"order_id": order["id"]}, format="json").status_code \
        == HTTPStatus.NOT_FOUND
    for response in (
        other_customer.get(f"{ROOMS}{room['id']}/messages/"),
        send(other_customer, room, "let me in"),
        other_customer.post(f"{ROOMS}{room['id']}/read/", {"up_to_seq": 1}, format="json"),
    ):
        assert response.status_code == HTTPStatus.NOT_FOUND, response.content
    assert other_customer.get(ROOMS).json()["count"] == 0
    assert Message.objects.count() == 0


def test_the_room_needs_an_order_id(customer):
    response = customer.post(ROOMS, {"order_id": "not-an-id"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "order_id" in response.json()["errors"]


@pytest.mark.parametrize("spelling", ["{{{id}}}", "{{{id}", "urn:uuid:{id}", "{hex}"])
def test_an_order_id_in_another_spelling_than_the_schemas_is_refused(
        customer, order, spelling):
    # uuid.UUID reads each of these; the OpenAPI's `format: uuid` allows 8-4-4-4-12 only
    spelled = spelling.format(id=order["id"], hex=order["id"].replace("-", ""))

    refused = customer.post(ROOMS, {"order_id": spelled}, format="json")

    assert refused.status_code == HTTPStatus.BAD_REQUEST, refused.content
    assert set(refused.json()["errors"]) == {"order_id"}
    assert customer.post(ROOMS, {"order_id": order["id"]}, format="json").status_code \
        == HTTPStatus.CREATED


@pytest.mark.parametrize(("fields", "field"), [
    ({"message": 42}, "message"),
    ({"message": "hi", "client_id": 7}, "client_id"),
])
def test_a_message_field_of_another_json_type_is_refused(customer, room, fields, field):
    # DRF would take 42 as "42"; the schema says string
    response = customer.post(f"{ROOMS}{room['id']}/messages/", fields, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert set(response.json()["errors"]) == {field}
    assert sent(customer, room, **{**fields, field: "42"})["message"] == str(fields["message"])


def test_a_read_mark_of_another_json_type_is_refused(customer, room):
    sent(customer, room, "hello")
    path = f"{ROOMS}{room['id']}/read/"

    assert customer.post(path, {"up_to_seq": "1"}, format="json").status_code \
        == HTTPStatus.BAD_REQUEST
    assert customer.post(path, {"up_to_seq": 1}, format="json").status_code == HTTPStatus.OK


def test_seqs_are_assigned_by_the_server_one_after_another(customer, staff, room):
    first = sent(customer, room, "Hello", seq=99, id="forged")
    second = sent(staff, room, "Hi, how can I help?")
    third = sent(customer, room, "Where is my order?")

    assert set(first) == MESSAGE_FIELDS
    assert [first["seq"], second["seq"], third["seq"]] == [1, 2, 3]
    assert first["room_id"] == room["id"]
    assert first["sender"]["role"] == "customer"
    assert second["sender"]["role"] == "staff"
    assert first["image"] is None


def test_the_same_client_id_returns_the_stored_message(customer, staff, room):
    first = sent(customer, room, "Hello", client_id="c-1")
    again = sent(customer, room, "Hello", client_id="c-1")
    staff_same_id = sent(staff, room, "Hi", client_id="c-1")

    assert again == first
    assert staff_same_id["seq"] == 2
    assert Message.objects.count() == 2
    assert Room.objects.get().last_seq == 2


def test_history_is_oldest_first_and_after_seq_gives_only_later_messages(customer, staff, room):
    for n in range(5):
        sent(customer if n % 2 else staff, room, f"m{n}")

    everything = customer.get(f"{ROOMS}{room['id']}/messages/").json()
    later = customer.get(f"{ROOMS}{room['id']}/messages/", {"after_seq": 3}).json()

    assert [m["seq"] for m in everything["results"]] == [1, 2, 3, 4, 5]
    assert [m["message"] for m in later["results"]] == ["m3", "m4"]
    assert customer.get(f"{ROOMS}{room['id']}/messages/", {"after_seq": -1}).status_code \
        == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_a_message_must_have_1_to_2000_characters(customer, room, text):
    response = send(customer, room, text)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "message" in response.json()["errors"]
    assert Message.objects.count() == 0


def test_a_message_carries_only_the_senders_own_image(customer, other_customer, room):
    def upload(client) -> str:
        file = SimpleUploadedFile("p.jpg", images.photo((120, 80)), content_type="image/jpeg")
        response = client.post("/api/chat/upload/", {"image": file}, format="multipart")
        assert response.status_code == HTTPStatus.CREATED, response.content
        return response.json()["id"]

    mine, theirs = upload(customer), upload(other_customer)

    refused = send(customer, room, "look", image_id=theirs)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "image_id" in refused.json()["errors"]
    message = sent(customer, room, "look", image_id=mine)
    assert message["image"].startswith("http://testserver/media/images/")


def test_read_markers_count_the_others_messages_and_never_go_back(customer, staff, room):
    for n in range(3):
        sent(staff, room, f"s{n}")
    sent(customer, room, "mine")

    listed = customer.get(ROOMS).json()["results"][0]
    assert listed["unread_count"] == 3
    assert listed["last_message"]["seq"] == 4
    assert listed["last_message"]["message"] == "mine"

    def read(up_to_seq):
        response = customer.post(f"{ROOMS}{room['id']}/read/", {"up_to_seq": up_to_seq},
                                 format="json")
        assert response.status_code == HTTPStatus.OK, response.content
        return response.json()

    assert read(2) == {"unread_count": 1}
    assert read(1) == {"unread_count": 1}
    assert read(999) == {"unread_count": 0}
    assert staff.get(ROOMS).json()["results"][0]["unread_count"] == 1


def test_staff_see_every_room_and_customers_only_their_own(
    customer, staff, room, make_user, catalog
):
    stranger_user = make_user()
    stranger = authed(login(APIClient(), stranger_user.email)["access"])
    their_order = place_order(stranger, stranger_user, catalog)
    stranger.post(ROOMS, {"order_id": their_order["id"]}, format="json")

    assert staff.get(ROOMS).json()["count"] == 2
    assert [r["id"] for r in customer.get(ROOMS).json()["results"]] == [room["id"]]
    assert sent(staff, room, "Staff may answer")["seq"] == 1


def test_the_broadcast_waits_for_the_commit(customer, room, django_capture_on_commit_callbacks):
    with mock.patch("reference.chat.services.group_send") as broadcast:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            message = sent(customer, room, "Hello")
        assert broadcast.call_count == 0
        callbacks[0]()

    [call] = broadcast.call_args_list
    [frame] = call.kwargs["frames"]
    assert call.kwargs["group"] == f"chat_{room['id']}"
    assert frame["type"] == "chat_message"
    assert frame["message"]["id"] == message["id"]
    assert frame["message"]["seq"] == 1


def test_a_recipient_without_an_open_chat_socket_gets_a_push(
    customer, customer_user, staff, room, expo, django_capture_on_commit_callbacks
):
    PushToken.objects.create(user=customer_user, token=PHONE, platform="ios")

    with django_capture_on_commit_callbacks(execute=True):
        sent(staff, room, "Your order is ready")
    presence_add(room_id=room["id"], user_id=customer_user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        sent(staff, room, "You are here, no push")

    [push] = expo.received_by(PHONE)
    assert push["body"] == "Your order is ready"
    assert push["data"]["room_id"] == room["id"]
    notification = customer.get("/api/notifications/notifications/").json()["results"][0]
    assert notification["type"] == "chat"
    assert notification["data"]["seq"] == 1
