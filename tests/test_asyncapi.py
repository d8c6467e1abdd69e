"""contracts/asyncapi.yaml: it parses, it has a schema for every frame type of the contract (no
more, no fewer), its schemas accept the contract's frames and refuse broken ones, every client
frame has an example of its own schema, and the frame properties that name an object are the
ones the socket ownership cases are made from."""

from __future__ import annotations

import copy

import pytest
import yaml

from fixtures.api import shapes
from fixtures.findings import DEVIATES
from fixtures.frames import ASYNCAPI, TO_CLIENT, TO_SERVER, Door, frame_schemas, load

# The frame types of shared/spec/mobile-api.md, section "WebSockets", as the contract lists them;
# and `error` on the notifications socket too, which refuses a frame the way the chat socket does
# (the contract lists `error` for chat only; the reference sends it on both).
CONTRACT = {
    "chat": {
        TO_CLIENT: {"connection_established", "chat_message", "typing", "read", "sync_complete",
                    "error"},
        TO_SERVER: {"chat_message", "typing", "read", "sync"},
    },
    "notifications": {
        TO_CLIENT: {"connection_established", "notification", "order_update", "unread_count",
                    "pong", "error"},
        TO_SERVER: {"ping", "mark_read"},
    },
}
ADDRESSES = {"chat": "/ws/chat/{room_id}/", "notifications": "/ws/notifications/"}

MESSAGE = {
    "id": "7f1c2f5e-1d1b-4bb8-9e55-0c4f3a6c2d10", "room_id": "a3c9b1f2-0d1e-4b5a-8c7d-6e5f4a3b2c1d",
    "seq": 3, "client_id": "app-1", "message": "Can you pick up by 6?", "image": None,
    "sender": {"id": "5b0e1c2d-3f4a-4b5c-8d9e-0f1a2b3c4d5e", "name": "Asha Rao",
               "role": "customer"},
    "created_at": "2026-11-26T10:15:00+05:30",
}
NOTIFICATION = {
    "id": "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b", "type": "order_update",
    "title": "Order confirmed", "message": "Your order LC-1001 is confirmed.",
    "data": {"order_id": "x"}, "is_read": False, "created_at": "2026-11-26T10:15:00+05:30",
}
ORDER = {"id": "b1", "order_number": "LC-1001", "status": "confirmed", "payment_status": "unpaid",
         "updated_at": "2026-11-26T10:15:00+05:30"}

# one frame of each type as the contract describes it
GOOD = {
    ("chat", TO_CLIENT): [
        {"type": "connection_established", "room_id": MESSAGE["room_id"], "last_seq": 0},
        {"type": "chat_message", "message": MESSAGE},
        {"type": "typing", "user_id": MESSAGE["sender"]["id"], "is_typing": True},
        {"type": "read", "user_id": MESSAGE["sender"]["id"], "up_to_seq": 3},
        {"type": "sync_complete", "last_seq": 53},
        {"type": "error", "code": "validation_error", "message": "The message is too long."},
    ],
    ("chat", TO_SERVER): [
        {"type": "chat_message", "message": "Hello", "client_id": "app-2"},
        {"type": "typing", "is_typing": False},
        {"type": "read", "up_to_seq": 3},
        {"type": "sync", "after_seq": 0},
    ],
    ("notifications", TO_CLIENT): [
        {"type": "connection_established", "unread_count": 2},
        {"type": "notification", "notification": NOTIFICATION},
        {"type": "order_update", "order": ORDER},
        {"type": "unread_count", "count": 0},
        {"type": "pong"},
        {"type": "error", "code": "not_found", "message": "No such notification."},
    ],
    ("notifications", TO_SERVER): [
        {"type": "ping"},
        {"type": "mark_read", "notification_id": NOTIFICATION["id"]},
    ],
}


def without(frame: dict, *path: str) -> dict:
    broken = copy.deepcopy(frame)
    node = broken
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return broken


def test_the_document_parses_as_asyncapi_with_both_sockets():
    document = yaml.safe_load(ASYNCAPI.read_text())
    assert str(document["asyncapi"]).startswith(("2.6", "3.")), document["asyncapi"]
    schemas = load()
    for socket, address in ADDRESSES.items():
        assert schemas.address(socket) == address


@pytest.mark.parametrize("socket", sorted(CONTRACT))
@pytest.mark.parametrize("direction", [TO_CLIENT, TO_SERVER])
def test_every_frame_type_of_the_contract_has_a_schema_and_no_other(socket, direction):
    assert set(frame_schemas().types(socket, direction)) == CONTRACT[socket][direction]


@pytest.mark.parametrize(("socket", "direction"), sorted(GOOD))
def test_each_schema_requires_its_own_type(socket, direction):
    schemas = frame_schemas()
    for frame_type, pointer in schemas.pointers[socket][direction].items():
        node = schemas.document
        for part in pointer.removeprefix("#/").split("/"):
            node = node[part]
        assert "type" in node["required"], pointer
        assert node["properties"]["type"] == {"const": frame_type}, pointer


@pytest.mark.parametrize(("socket", "direction"), sorted(GOOD))
def test_a_sample_of_every_frame_type_validates(socket, direction):
    samples = GOOD[socket, direction]
    assert {frame["type"] for frame in samples} == CONTRACT[socket][direction]
    for frame in samples:
        assert frame_schemas().problems(socket, direction, frame) == [], frame


@pytest.mark.parametrize(("socket", "direction", "frame", "problem"), [
    ("chat", TO_CLIENT, {"type": "chat_message", "message": without(MESSAGE, "seq")},
     "lacks seq"),
    ("chat", TO_CLIENT, {"type": "chat_message", "message": {**MESSAGE, "seq": 0}},
     "breaks minimum 1"),
    ("chat", TO_CLIENT, {"type": "chat_message", "message": {**MESSAGE, "image": "/media/x"}},
     "breaks pattern"),
    ("chat", TO_CLIENT, {"type": "chat_message",
                         "message": {**MESSAGE, "sender": {**MESSAGE["sender"], "role": "bot"}}},
     "is not one of"),
    ("chat", TO_CLIENT, {"type": "typing", "user_id": "u", "is_typing": "yes"},
     "is a string, not boolean"),
    ("chat", TO_CLIENT, {"type": "presence", "user_id": "u"}, "is not a server -> client frame"),
    ("chat", TO_CLIENT, {"message": MESSAGE}, "is not a server -> client frame"),
    ("chat", TO_CLIENT, ["chat_message"], "must be a JSON object"),
    ("chat", TO_SERVER, {"type": "chat_message", "message": "x" * 2001, "client_id": "a"},
     "breaks maxLength 2000"),
    ("chat", TO_SERVER, {"type": "sync"}, "lacks after_seq"),
    ("chat", TO_SERVER, {"type": "read", "up_to_seq": 1, "room_id": None}, "room_id: is null"),
    ("chat", TO_SERVER, {"type": "chat_message", "message": "x", "client_id": "a",
                         "image_id": True}, "image_id: breaks anyOf"),
    ("notifications", TO_CLIENT, {"type": "notification",
                                  "notification": {**NOTIFICATION, "type": "promo"}},
     "is not one of"),
    ("notifications", TO_CLIENT, {"type": "order_update",
                                  "order": without(ORDER, "order_number")},
     "lacks order_number"),
    ("notifications", TO_CLIENT, {"type": "unread_count", "count": -1}, "breaks minimum"),
    ("notifications", TO_CLIENT, {"type": "error", "message": "y"}, "lacks code"),
    ("notifications", TO_SERVER, {"type": "error", "code": "x", "message": "y"},
     "is not a client -> server frame"),
])
def test_a_broken_frame_fails_naming_the_problem(socket, direction, frame, problem):
    problems = frame_schemas().problems(socket, direction, frame)
    assert any(problem in text for text in problems), problems


def test_a_broken_frame_is_a_shape_deviation_naming_the_socket(monkeypatch):
    noted = []
    monkeypatch.setattr("fixtures.frames.note", lambda finding, effect: noted.append(
        (finding, effect)))

    frame_schemas().check("notifications", TO_CLIENT, {"type": "order_update", "order": {}})

    [(finding, effect)] = noted
    assert (finding.kind, effect) == ("shape", DEVIATES)
    assert finding.call == "WS /ws/notifications/ (server -> client)"
    assert "order: lacks " in finding.got
    assert "status" in finding.got
    # positive control: a frame of the contract notes nothing
    frame_schemas().check("notifications", TO_CLIENT, {"type": "unread_count", "count": 1})
    assert len(noted) == 1


@pytest.mark.parametrize(("component", "shape"), [
    ("Message", shapes.CHAT_MESSAGE), ("Notification", shapes.NOTIFICATION)])
def test_the_objects_of_frames_and_of_rest_replies_are_the_same(component, shape):
    schema = frame_schemas().document["components"]["schemas"][component]
    assert set(schema["required"]) == set(shape["required"])
    assert set(schema["properties"]) == set(shape["properties"])


@pytest.mark.parametrize("socket", sorted(CONTRACT))
def test_every_client_frame_has_an_example_of_its_own_schema(socket):
    schemas = frame_schemas()
    for frame_type in schemas.types(socket, TO_SERVER):
        example = schemas.example(socket, TO_SERVER, frame_type)
        assert example["type"] == frame_type, example
        assert schemas.problems(socket, TO_SERVER, example) == [], example


def test_the_ways_a_client_names_an_object_are_read_from_the_document():
    # the room in the chat socket's address, the photo of a message, the room a chat frame may
    # name, and the notification `mark_read` marks: each is a socket ownership case
    assert set(frame_schemas().doors()) == {
        Door("chat", "room_id"),
        Door("chat", "image_id", "chat_message"),
        *(Door("chat", "room_id", frame_type)
          for frame_type in ("chat_message", "typing", "read", "sync")),
        Door("notifications", "notification_id", "mark_read"),
    }


def test_a_property_named_like_an_id_names_nothing_unless_its_schema_is_the_id(tmp_path):
    document = yaml.safe_load(ASYNCAPI.read_text())
    mark_read = document["components"]["messages"]["MarkRead"]["payload"]["properties"]
    mark_read["notification_id"] = {"type": "string"}
    changed = tmp_path / "asyncapi.yaml"
    changed.write_text(yaml.safe_dump(document))

    assert Door("notifications", "notification_id", "mark_read") not in load(changed).doors()
