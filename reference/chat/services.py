"""Writes of the chat: opening a room, sending a message, moving a read marker.

A message's seq is taken under a lock on its room's row (`select_for_update`: PostgreSQL;
the IMMEDIATE transactions of the embedded SQLite serialize writers anyway), incremented in the
transaction that stores the message, so seqs are 1, 2, 3... per room without gaps or
duplicates. It is broadcast to the room's sockets only after that transaction commits: a
message is stored before anyone sees it, and a socket that receives seq n knows that every
seq below n is already committed (it fills a gap from the database).
"""

import logging
from functools import partial
from uuid import UUID

from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from reference.accounts.models import User
from reference.chat.models import Message, ReadState, Room
from reference.chat.presence import presence_online
from reference.chat.selectors import room_unread_count, support_agent_pick
from reference.chat.serializers import ChatMessageSerializer
from reference.common.websocket import group_send
from reference.notifications.models import Notification
from reference.notifications.services import notification_send
from reference.orders.models import Order
from reference.uploads.models import UploadedImage

logger = logging.getLogger(__name__)

MESSAGE_EVENT = "room.message"
PUSH_PREVIEW_LENGTH = 140


def chat_group(*, room_id: UUID | str) -> str:
    """The channel-layer group of a room's `/ws/chat/{room_id}/` sockets."""
    return f"chat_{room_id}"


def room_open(*, user: User, order: Order) -> tuple[Room, bool]:
    """The order's room, made on first use; return it and whether it was made now.

    `order` must be one the user may see (their own, or any for staff). A customer's new room
    gets the support agent; a room a staff account opens gets that account.
    """
    room = Room.objects.filter(order=order).first()
    if room is not None:
        return room, False
    partner = user if user.is_staff else support_agent_pick()
    try:
        with transaction.atomic():
            room = Room.objects.create(order=order, customer_id=order.user_id, partner=partner)
    except IntegrityError:
        # Two first calls raced; the loser answers with the winner's room.
        return Room.objects.get(order=order), False
    return room, True


def message_send(
    *,
    room: Room,
    sender: User,
    message: str,
    client_id: str | None = None,
    image_id: UUID | None = None,
) -> tuple[Message, bool]:
    """Store a message under the room's next seq, then (after commit) broadcast it to the room
    and notify the participants who have no chat socket open on it.

    Returns the message and whether it is new: a `client_id` the sender used before in this
    room returns that message and stores nothing.
    """
    image = None
    if image_id is not None:
        image = UploadedImage.objects.filter(user=sender, pk=image_id).first()
        if image is None:
            raise ValidationError({"image_id": ["No such image among your uploads."]})
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        if client_id is not None:
            existing = Message.objects.filter(
                room=locked, sender=sender, client_id=client_id
            ).first()
            if existing is not None:
                return existing, False
        locked.last_seq += 1
        locked.save(update_fields=["last_seq", "updated_at"])
        stored = Message.objects.create(
            room=locked,
            seq=locked.last_seq,
            client_id=client_id,
            sender=sender,
            message=message,
            image=image,
        )
        transaction.on_commit(partial(_message_deliver, message_id=stored.pk), robust=True)
    room.last_seq = locked.last_seq
    return stored, True


def _message_deliver(*, message_id: UUID) -> None:
    message = (
        Message.objects.select_related("room", "sender", "image").filter(pk=message_id).first()
    )
    if message is None:
        return
    room = message.room
    try:
        group_send(
            group=chat_group(room_id=room.pk),
            frames=[{"type": "chat_message", "message": ChatMessageSerializer(message).data}],
            event=MESSAGE_EVENT,
        )
    except Exception:  # the channel layer's errors vary by backend; offline pushes must still go
        logger.warning("chat message %s: broadcast failed", message.pk, exc_info=True)
    recipients = {room.customer_id, room.partner_id} - {message.sender_id, None}
    for user in User.objects.filter(pk__in=recipients, is_active=True):
        if presence_online(room_id=room.pk, user_id=user.pk):
            continue
        preview = message.message
        if len(preview) > PUSH_PREVIEW_LENGTH:
            preview = preview[: PUSH_PREVIEW_LENGTH - 1] + "…"
        notification_send(
            user=user,
            type=Notification.Type.CHAT,
            title=f"New message from {message.sender.full_name}",
            message=preview,
            data={"room_id": str(room.pk), "order_id": str(room.order_id),
                  "message_id": str(message.pk), "seq": message.seq},
        )


@transaction.atomic
def room_read(*, room: Room, user: User, up_to_seq: int) -> int:
    """Move the user's read marker forward to `up_to_seq` (never past the newest message,
    never back); the room's sockets get a `read` frame. Return the user's unread count."""
    last_seq = Room.objects.filter(pk=room.pk).values_list("last_seq", flat=True).get()
    up_to_seq = min(up_to_seq, last_seq)
    state, _ = ReadState.objects.get_or_create(room=room, user=user)
    ReadState.objects.filter(pk=state.pk, last_read_seq__lt=up_to_seq).update(
        last_read_seq=up_to_seq
    )
    marker = ReadState.objects.filter(pk=state.pk).values_list("last_read_seq", flat=True).get()
    transaction.on_commit(
        partial(
            group_send,
            group=chat_group(room_id=room.pk),
            frames=[{"type": "read", "user_id": user.pk, "up_to_seq": marker}],
        ),
        robust=True,
    )
    return room_unread_count(room=room, user=user)
