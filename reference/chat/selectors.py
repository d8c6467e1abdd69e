"""Reads of the chat, scoped to the asking user.

A room is the customer's of its order and every staff account's (support answers from a
shared desk); for anyone else it does not exist (404, or 4403 on the socket).
"""

from collections.abc import Iterable
from uuid import UUID

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from reference.accounts.models import User
from reference.chat.models import Message, ReadState, Room


def _visible_rooms(*, user: User) -> QuerySet[Room]:
    rooms = Room.objects.select_related("customer", "partner")
    return rooms if user.is_staff else rooms.filter(customer=user)


def room_is_participant(*, room: Room, user: User) -> bool:
    return user.is_staff or room.customer_id == user.pk


def room_list(*, user: User) -> QuerySet[Room]:
    """The user's rooms (every room for staff), most recently active first."""
    return _visible_rooms(user=user).order_by("-updated_at", "-id")


def room_get(*, user: User, room_id: UUID) -> Room:
    room = _visible_rooms(user=user).filter(pk=room_id).first()
    if room is None:
        raise Http404("No such chat room.")
    return room


def room_find(*, user: User, room_id: UUID) -> Room | None:
    """As `room_get`, but None instead of 404 (for the socket)."""
    return _visible_rooms(user=user).filter(pk=room_id).first()


def room_last_seq(*, room_id: UUID) -> int:
    return Room.objects.filter(pk=room_id).values_list("last_seq", flat=True).first() or 0


def room_unread_count(*, room: Room, user: User) -> int:
    """Messages of the others after the user's read marker."""
    last_read = (
        ReadState.objects.filter(room=room, user=user).values_list("last_read_seq", flat=True)
        .first()
    ) or 0
    return Message.objects.filter(room=room, seq__gt=last_read).exclude(sender=user).count()


def rooms_decorate(*, rooms: Iterable[Room], user: User) -> list[Room]:
    """Set `unread_count` and `last_message` (or None) on each room, in two queries."""
    rooms = list(rooms)
    if not rooms:
        return rooms
    last_read = ReadState.objects.filter(room=OuterRef("room"), user=user).values(
        "last_read_seq"
    )[:1]
    unread = dict(
        Message.objects.filter(room__in=rooms)
        .exclude(sender=user)
        .annotate(marker=Coalesce(Subquery(last_read), Value(0), output_field=IntegerField()))
        .filter(seq__gt=F("marker"))
        .values("room")
        .annotate(count=Count("id"))
        .values_list("room", "count")
    )
    newest = Q()
    for room in rooms:
        newest |= Q(room=room, seq=room.last_seq)
    last = {
        message.room_id: message
        for message in Message.objects.filter(newest).select_related("sender", "image")
    } if any(room.last_seq for room in rooms) else {}
    for room in rooms:
        room.unread_count = unread.get(room.pk, 0)
        room.last_message = last.get(room.pk)
    return rooms


def message_list(*, room: Room, after_seq: int | None = None) -> QuerySet[Message]:
    """The room's messages, oldest first; only those after `after_seq` when given."""
    messages = Message.objects.filter(room=room).select_related("sender", "image")
    if after_seq is not None:
        messages = messages.filter(seq__gt=after_seq)
    return messages.order_by("seq")


def messages_between(*, room_id: UUID, after_seq: int, up_to_seq: int) -> list[Message]:
    """Messages with after_seq < seq <= up_to_seq, in order (a socket filling a gap)."""
    return list(
        Message.objects.filter(room_id=room_id, seq__gt=after_seq, seq__lte=up_to_seq)
        .select_related("sender", "image")
        .order_by("seq")
    )


def support_agent_pick() -> User | None:
    """The agent a customer's new room is given: the configured staff account if it is
    active, else the longest-standing active staff account."""
    staff = User.objects.filter(is_staff=True, is_active=True)
    return (
        staff.filter(email=settings.STAFF_EMAIL.strip().lower()).first()
        or staff.order_by("created_at", "id").first()
    )
