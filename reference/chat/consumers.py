"""`/ws/chat/{room_id}/`: one order's support chat, live.

server -> client: `connection_established {room_id, last_seq}`, `chat_message {message}`,
`typing {user_id, is_typing}`, `read {user_id, up_to_seq}`, `sync_complete {last_seq}`,
`error {code, message}`.
client -> server: `chat_message {message, client_id, image_id?}`, `typing {is_typing}`,
`read {up_to_seq}`, `sync {after_seq}`. A frame that names another `room_id` is refused with
an error frame and goes nowhere.

Each socket delivers messages in seq order without gaps or repeats: it remembers the last seq
it delivered, drops what it has already sent, and reads a gap from the database (every seq
below a broadcast one is committed, see `services`).
"""

import asyncio
import contextlib
import logging
from typing import Any

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from reference.chat import selectors, services
from reference.chat.presence import presence_add, presence_remove, presence_touch
from reference.chat.serializers import (
    ChatMessageCreateSerializer,
    ChatMessageSerializer,
    RoomReadSerializer,
)
from reference.common.exceptions import validation_errors
from reference.common.websocket import CLOSE_FORBIDDEN, Frame, FrameConsumer, db

logger = logging.getLogger(__name__)

SYNC_BATCH = 200


class SyncSerializer(serializers.Serializer):
    after_seq = serializers.IntegerField(min_value=0)


class TypingSerializer(serializers.Serializer):
    is_typing = serializers.BooleanField()


def _payloads_between(*, room_id: Any, after_seq: int, up_to_seq: int) -> list[dict]:
    messages = selectors.messages_between(room_id=room_id, after_seq=after_seq, up_to_seq=up_to_seq)
    return [ChatMessageSerializer(message).data for message in messages]


def _message_payload(message: Any) -> dict:
    return ChatMessageSerializer(message).data


def _problem(errors: Any) -> str:
    field, problems = next(iter(validation_errors(errors).items()))
    return f"{field}: {problems[0]}"


class ChatConsumer(FrameConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.present = False
        self.heartbeat: asyncio.Task | None = None

    async def open(self) -> None:
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        room = await db(selectors.room_find)(user=self.user, room_id=room_id)
        if room is None:
            # Not a participant, or no such room: the same answer for both.
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.room = room
        self.group = services.chat_group(room_id=room.pk)
        await self.join(self.group)
        await db(presence_add)(room_id=room.pk, user_id=self.user.pk)
        self.present = True
        # Read after joining the group: any later message reaches this socket as an event.
        self.last_seq = await db(selectors.room_last_seq)(room_id=room.pk)
        await self.accept()
        await self.send_frame(
            {"type": "connection_established", "room_id": room.pk, "last_seq": self.last_seq}
        )
        self.heartbeat = asyncio.create_task(self._stay_present())

    async def disconnect(self, code: int) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.heartbeat
        if self.present:
            await db(presence_remove)(room_id=self.room.pk, user_id=self.user.pk)
            self.present = False
        await super().disconnect(code)

    async def _stay_present(self) -> None:
        while True:
            await asyncio.sleep(settings.CHAT_PRESENCE_TTL_SECONDS / 3)
            try:
                await db(presence_touch)(room_id=self.room.pk, user_id=self.user.pk)
            except Exception:  # a cache outage must not end the socket
                logger.warning("chat presence refresh failed", exc_info=True)

    def handlers(self) -> dict:
        return {
            "chat_message": self.on_chat_message,
            "typing": self.on_typing,
            "read": self.on_read,
            "sync": self.on_sync,
        }

    # client frames

    async def _parse(self, serializer_class: type, frame: Frame) -> dict | None:
        named = frame.get("room_id")
        if named is not None and str(named) != str(self.room.pk):
            await self.send_error(
                "wrong_room",
                "This socket belongs to another room; open /ws/chat/{room_id}/ for that room.",
            )
            return None
        serializer = serializer_class(data=frame)
        if not serializer.is_valid():
            await self.send_error("validation_error", _problem(serializer.errors))
            return None
        return serializer.validated_data

    async def on_chat_message(self, frame: Frame) -> None:
        data = await self._parse(ChatMessageCreateSerializer, frame)
        if data is None:
            return
        try:
            message, created = await db(services.message_send)(
                room=self.room,
                sender=self.user,
                message=data["message"],
                client_id=data.get("client_id"),
                image_id=data.get("image_id"),
            )
        except ValidationError as exc:
            await self.send_error("validation_error", _problem(exc.detail))
            return
        if not created:
            # A retry of a stored message: it was broadcast when it was new; show it again to
            # the sender, who evidently missed it.
            await self._deliver(await db(_message_payload)(message))

    async def on_typing(self, frame: Frame) -> None:
        data = await self._parse(TypingSerializer, frame)
        if data is not None:
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": "room.typing",
                    "user_id": str(self.user.pk),
                    "is_typing": data["is_typing"],
                    "origin": self.channel_name,
                },
            )

    async def on_read(self, frame: Frame) -> None:
        data = await self._parse(RoomReadSerializer, frame)
        if data is not None:
            # The service broadcasts the `read` frame to the room, this socket included.
            await db(services.room_read)(
                room=self.room, user=self.user, up_to_seq=data["up_to_seq"]
            )

    async def on_sync(self, frame: Frame) -> None:
        data = await self._parse(SyncSerializer, frame)
        if data is None:
            return
        after = data["after_seq"]
        while True:
            batch = await db(_payloads_between)(
                room_id=self.room.pk, after_seq=after, up_to_seq=after + SYNC_BATCH
            )
            for payload in batch:
                await self._deliver(payload)
                after = payload["seq"]
            if len(batch) < SYNC_BATCH:
                break
        await self.send_frame({"type": "sync_complete", "last_seq": self.last_seq})

    # group events

    async def room_message(self, event: dict) -> None:
        payload = event["frame"]["message"]
        seq = payload["seq"]
        if seq <= self.last_seq:
            return
        if seq > self.last_seq + 1:
            missing = await db(_payloads_between)(
                room_id=self.room.pk, after_seq=self.last_seq, up_to_seq=seq - 1
            )
            for earlier in missing:
                await self._deliver(earlier)
        await self._deliver(payload)

    async def room_typing(self, event: dict) -> None:
        if event["origin"] != self.channel_name:
            await self.send_frame(
                {"type": "typing", "user_id": event["user_id"], "is_typing": event["is_typing"]}
            )

    # sending

    async def _deliver(self, payload: dict) -> None:
        """Send a message; remember the newest seq this socket has delivered."""
        await self.send_frame({"type": "chat_message", "message": self._absolute(payload)})
        self.last_seq = max(self.last_seq, payload["seq"])

    def _absolute(self, payload: dict) -> dict:
        """A local image's path made into a URL on the host this socket was opened on."""
        image = payload.get("image")
        if not image or not image.startswith("/"):
            return payload
        host = next(
            (value.decode("latin-1") for key, value in self.scope.get("headers", [])
             if key == b"host"),
            None,
        )
        if host is None:
            server = self.scope.get("server") or ("localhost", None)
            host = f"{server[0]}:{server[1]}" if server[1] else server[0]
        scheme = "https" if self.scope.get("scheme") == "wss" else "http"
        return {**payload, "image": f"{scheme}://{host}{image}"}
