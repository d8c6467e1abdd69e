"""One customer's objects are out of reach of another's sockets: the socket ownership cases.

Made from `contracts/asyncapi.yaml` the way the REST matrix (`test_ownership.py`) is made from
the OpenAPI: every way a client names an object on a socket is a case (`FrameSchemas.doors`):
each property of a client -> server frame whose schema is the document's `Id` (`mark_read`'s
`notification_id`, the `room_id` a chat frame may carry, a message's `image_id`) and each
parameter of a socket's address (`/ws/chat/{room_id}/`). The kind of object is the one the
registry (`fixtures/contract/resources.py`) names by that field (`room_id`: a chat room), made
there.

A frame case: customer A owns the object (on the chat socket, in or beside a room of A's with
a message in it, which a frame reaching the room could replay) and watches it through a second
socket of A's (the owner's other phone) and through REST. Customer B sends the document's
example of the frame on B's own socket (B's own room, B's notifications) with A's object in
it: B must get an `error` frame and nothing else, A's socket must hear nothing, and A's object,
like B's own room or notifications, must read through REST as before. Then A sends the same
frame on A's own socket with A's object (the positive control): no `error`, and it takes
effect: A's other socket hears of it, REST shows it, or the server answers it. B goes first,
so that the control also shows that B's attempt left A's object as it was for its owner.

An address case: B opens the socket at A's object, and it is refused (handshake 403, or close
4403 before any frame); then A opens it (positive control).

B's frame reaching A's socket, changing what REST shows of A's object, being answered with
anything of A's, or taking effect on B's side with an object of another kind than the socket's
own (A's photo in B's room) is an ownership finding and fails the case; any other answer than
the `error` frame (or the address's 403 / 4403) is a status finding. A field no kind of the
registry claims fails the case (unknown kind), as a frame type without an example in the
document does.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import allure
import pytest

from fixtures.api.chat import new_client_id
from fixtures.callers import Caller
from fixtures.contract.identity import staff_of
from fixtures.contract.resources import KINDS, Kind, Workshop, make_room
from fixtures.findings import DEFECT, DEVIATES, Blocked, ContractFinding, Finding, note
from fixtures.frames import TO_SERVER, Door, frame_schemas
from fixtures.ws import (
    CHAT,
    CLOSE_FORBIDDEN,
    HANDSHAKE_REFUSED,
    FrameTimeout,
    SocketClosed,
    Sockets,
    WsClient,
)

SCHEMAS = frame_schemas()
# how long a socket must stay silent for "nothing came", once the server has answered the frame
QUIET_SECONDS = 1.5
# how long the server has to answer a frame with `error`
ANSWER_SECONDS = 10.0
# the contract's idempotency key of a message: a repeat is answered with the stored message
FRESH_PER_FRAME = {"client_id": new_client_id}


def without_signatures(value: object) -> object:
    """A REST view with the query of its URLs cut off: media URLs carry a signature that is
    made anew on every read, which is no change of the object."""
    if isinstance(value, dict):
        return {key: without_signatures(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_signatures(item) for item in value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value.split("?", 1)[0]
    return value


def room_view(caller: Caller, room_id: str) -> object:
    return {"room": caller.chat.room(room_id), "messages": caller.chat.history(room_id)}


def notification_view(caller: Caller, notification_id: str) -> object:
    return {"notification": [row for row in caller.notifications.all()
                             if str(row["id"]) == str(notification_id)],
            "unread_count": caller.notifications.unread_count()}


def image_view(caller: Caller, image_id: str) -> object:
    return caller.uploads.get_image(image_id)


# what the owner reads through REST of an object of each kind
VIEWS: dict[str, Callable[[Caller, str], object]] = {
    "chat room": room_view, "notification": notification_view, "image": image_view}


def kind_named_by(door: Door) -> Kind | None:
    return next((kind for kind in KINDS if door.name in kind.body_fields), None)


@dataclass
class Side:
    """One customer's end of a case: the object or room a socket of theirs is on, and what
    REST shows of it."""

    caller: Caller
    shop: Workshop
    room_id: str | None = None

    async def open(self, sockets: Sockets, socket: str, name: str) -> WsClient:
        if socket == CHAT:
            return await sockets.open_chat(self.caller, self.room_id, name=name)
        return await sockets.open_notifications(self.caller, name=name)

    def channel_view(self, socket: str) -> object:
        """What REST shows of the socket's own side: the room, or the notifications."""
        if socket == CHAT:
            return without_signatures(room_view(self.caller, self.room_id))
        return without_signatures({"notifications": self.caller.notifications.all(),
                                   "unread_count": self.caller.notifications.unread_count()})


async def frames_within(client: WsClient, seconds: float) -> list[dict]:
    """Every frame the socket receives within `seconds` (read to the end of the window)."""
    start = len(client.frames)
    deadline = time.monotonic() + seconds
    with contextlib.suppress(FrameTimeout, SocketClosed):
        while (left := deadline - time.monotonic()) > 0:
            await client.receive(left, expecting="nothing, or the frame's answer")
    return client.frames[start:]


async def answer_to(client: WsClient) -> list[dict]:
    """What the server sends the socket after a frame: up to its `error` (or the deadline),
    and whatever follows within the quiet window."""
    start = len(client.frames)
    with contextlib.suppress(FrameTimeout, SocketClosed):
        await client.receive_until("error", ANSWER_SECONDS,
                                   expecting="an `error` frame refusing the frame")
    await frames_within(client, QUIET_SECONDS)
    return client.frames[start:]


def frame_for(door: Door, object_id: str) -> dict:
    """The document's example of the door's frame type, naming `object_id`."""
    frame = SCHEMAS.example(door.socket, TO_SERVER, door.frame_type)
    for name, fresh in FRESH_PER_FRAME.items():
        if name in frame:
            frame[name] = fresh()
    frame[door.name] = object_id
    return frame


def mentions(frames: list[dict], ids: set[str]) -> bool:
    text = json.dumps(frames, default=str)
    return any(value in text for value in ids)


def types_of(frames: list[dict]) -> list[str]:
    return [str(frame.get("type")) for frame in frames]


def names_the_sockets_own_kind(door: Door, kind: Kind) -> bool:
    """Whether the door names an object of the kind the socket's address is about (a chat
    frame's `room_id`): a server that ignores the field acts on B's own room, which is not
    A's. Another kind (a message's `image_id`) taking effect on B's side is A's object used."""
    return any(other.frame_type is None and other.socket == door.socket
               and kind_named_by(other) == kind for other in SCHEMAS.doors())


def judge_frame(door: Door, kind: Kind, *, call: str, intruded: list[dict],
                overheard: list[dict], object_changed: bool, own_changed: bool,
                owner_ids: set[str]) -> None:
    """Notes what B's frame did, and fails the case on a leak."""
    extra = [frame for frame in intruded if frame.get("type") != "error"]
    took_effect = bool(extra) or own_changed
    leaks = []
    if overheard:
        leaks.append(f"customer A's socket received {types_of(overheard)}")
    if object_changed:
        leaks.append(f"customer A's {kind.name} reads differently through REST")
    if mentions(extra, owner_ids):
        leaks.append(f"customer B was sent {types_of(extra)} carrying customer A's ids")
    elif took_effect and not names_the_sockets_own_kind(door, kind):
        leaks.append(f"it took effect on customer B's side with customer A's {kind.name} "
                     f"(B's socket received {types_of(extra)}; B's side changed through "
                     f"REST: {own_changed})")
    if leaks:
        got = "; ".join(leaks)
        note(Finding("ownership", call, f"an `error` frame, and nothing of customer A's "
                     f"{kind.name} changed or sent", got,
                     json.dumps({"to B": intruded, "to A": overheard}, default=str)[:2000]),
             DEFECT)
        raise AssertionError(f"{call}: customer B named customer A's {kind.name} "
                             f"({door.name}) and {got}")
    if "error" not in types_of(intruded) or took_effect:
        note(Finding("status", call, f"an `error` frame (and nothing else) for another "
                     f"customer's {kind.name}",
                     f"customer B's socket received {types_of(intruded) or 'nothing'}"
                     + ("; B's own side reads differently through REST" if own_changed else ""),
                     json.dumps(intruded, default=str)[:2000]), DEVIATES)


async def frame_case(door: Door, kind: Kind, owner: Side, intruder: Side,
                     sockets: Sockets) -> None:
    call = f"WS {SCHEMAS.address(door.socket)} {door.frame_type}.{door.name}"
    # given A's object, watched by A's other socket and through REST
    resource = kind.make(owner.shop)
    object_id = str(resource["id"])
    if door.socket == CHAT:
        owner.room_id = object_id if kind.name == "chat room" else str(
            make_room(owner.shop)["id"])
        intruder.room_id = str(make_room(intruder.shop)["id"])
        # something in A's room to leak: a frame that reaches the room could replay it
        owner.caller.chat.send(owner.room_id, "Please ring the bell twice.")
    view = VIEWS[kind.name]
    watcher = await owner.open(sockets, door.socket, "A's other socket")
    object_before = without_signatures(view(owner.caller, object_id))
    own_before = intruder.channel_view(door.socket)

    # when B sends the frame on B's own socket, naming A's object
    with allure.step(f"customer B: {door.frame_type} naming customer A's {kind.name}"):
        attacker = await intruder.open(sockets, door.socket, "B's socket")
        await attacker.send(frame_for(door, object_id))
        intruded = await answer_to(attacker)
        overheard = await frames_within(watcher, QUIET_SECONDS)

    # then B is refused with `error`, A hears nothing, and nothing changed
    owner_ids = {object_id, str(owner.room_id)} - {"None"}
    judge_frame(door, kind, call=call, intruded=intruded, overheard=overheard,
                object_changed=without_signatures(view(owner.caller, object_id))
                != object_before,
                own_changed=intruder.channel_view(door.socket) != own_before,
                owner_ids=owner_ids)

    # and A's own frame with A's object takes effect (the positive control)
    with allure.step(f"customer A (positive control): {door.frame_type} naming their "
                     f"{kind.name}"):
        actor = await owner.open(sockets, door.socket, "A's socket")
        await actor.send(frame_for(door, object_id))
        answered = await frames_within(actor, QUIET_SECONDS)
        heard = await frames_within(watcher, QUIET_SECONDS)
        changed = without_signatures(view(owner.caller, object_id)) != object_before
    if "error" in types_of(answered):
        raise Blocked(f"the owner's own {door.frame_type} was refused: "
                      f"{[frame for frame in answered if frame.get('type') == 'error']}",
                      call=call)
    if not (answered or heard or changed):
        raise Blocked(f"the owner's own {door.frame_type} showed no effect: no frame on "
                      "either of A's sockets and nothing changed through REST", call=call)


async def address_case(door: Door, kind: Kind, owner: Side, intruder: Side,
                       sockets: Sockets) -> None:
    call = f"WS {SCHEMAS.address(door.socket)}"
    if door.name != "room_id":
        raise AssertionError(f"{call}: the harness's socket client fills only {{room_id}} of an "
                             f"address, not {{{door.name}}} (fixtures/ws.py, Sockets.url)")
    # given A's object, as REST shows it to A
    object_id = str(kind.make(owner.shop)["id"])
    before = without_signatures(VIEWS[kind.name](owner.caller, object_id))

    # when B opens the socket at A's object with B's own valid token
    with allure.step(f"customer B: open {call} at customer A's {kind.name}"):
        refusal = await sockets.refusal(door.socket, token=intruder.caller.access,
                                        room_id=object_id, name="B's socket")

    # then it is refused before anything is sent, and A's object is as it was
    if refusal.frames or refusal.stayed_open:
        note(Finding("ownership", call, f"a refusal (403, or 4403 before any frame) for "
                     f"another customer's {kind.name}", str(refusal)), DEFECT)
        raise AssertionError(f"{call}: customer B opened customer A's {kind.name}: {refusal}")
    if refusal.status != HANDSHAKE_REFUSED and refusal.code != CLOSE_FORBIDDEN:
        note(Finding("status", call, f"403, or 4403 before any frame, for another customer's "
                     f"{kind.name}", str(refusal)), DEVIATES)
    assert without_signatures(VIEWS[kind.name](owner.caller, object_id)) == before, (
        f"{call}: customer A's {kind.name} reads differently after customer B's attempt")

    # and A opens it (the positive control)
    with allure.step(f"customer A (positive control): open {call} at their {kind.name}"):
        await (await sockets.open_chat(owner.caller, object_id, name="A's socket")).close()


@allure.feature("Contract")
@allure.story("Another customer's object is out of reach of a socket")
@pytest.mark.anyio
@pytest.mark.parametrize("door", SCHEMAS.doors(), ids=str)
async def test_another_customers_object_is_out_of_reach_of_a_socket(
        door, customer, other_customer, data, photos, callers, sandbox_client, sockets,
        request):
    # given two customers; A owns what the frame names
    staff = staff_of(request, callers)
    owner, intruder = (Side(caller, Workshop(caller, data=data, photos=photos, staff=staff,
                                             sandbox=sandbox_client))
                       for caller in (customer, other_customer))
    kind = kind_named_by(door)
    if kind is None or kind.name not in VIEWS:
        raise ContractFinding(Finding(
            "precondition", f"WS {SCHEMAS.address(door.socket)}",
            "a kind of object the socket ownership cases can make and read",
            f"no kind of fixtures/contract/resources.py (with a REST view here) is named by "
            f"`{door.name}` ({door})"))

    if door.frame_type is None:
        await address_case(door, kind, owner, intruder, sockets)
    else:
        await frame_case(door, kind, owner, intruder, sockets)
