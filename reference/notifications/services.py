"""Writes of notifications: storing one, delivering it (socket frames and push), marking read,
preferences; and the order-status hook of the orders domain.

A notification is stored inside the caller's transaction; everything that leaves the process
(frames on `/ws/notifications/`, the push to the user's devices) runs after that transaction
commits (`transaction.on_commit(..., robust=True)`), so a rolled-back change notifies nobody
and a failing delivery is logged without undoing or failing the request that caused it.
"""

import logging
from functools import partial
from typing import Any
from uuid import UUID

from django.db import transaction

from reference.accounts.models import PushToken, User
from reference.common.websocket import group_send
from reference.integrations.push import PushUnavailable, push_send
from reference.notifications.models import Notification, NotificationPreference
from reference.notifications.selectors import notification_unread_count
from reference.notifications.serializers import NotificationSerializer, OrderUpdateSerializer
from reference.orders.models import Order

logger = logging.getLogger(__name__)

Type = Notification.Type
# Which preference switch lets a type be pushed (besides push_enabled); None: only push_enabled.
PUSH_SWITCH: dict[str, str | None] = {
    Type.ORDER_UPDATE: "order_updates",
    Type.PAYMENT: "payment_updates",
    Type.WALLET: "payment_updates",
    Type.CHAT: "chat_messages",
    Type.SYSTEM: None,
}
PREFERENCE_FIELDS = (
    "push_enabled", "sms_enabled", "order_updates", "payment_updates", "chat_messages",
    "promotions",
)
ORDER_TEXTS: dict[str, tuple[str, str]] = {
    Order.Status.PENDING: ("Order placed", "We have received your order {number}."),
    Order.Status.CONFIRMED: ("Order confirmed", "Your order {number} is confirmed."),
    Order.Status.PICKED_UP: ("Order picked up", "We have picked up your order {number}."),
    Order.Status.IN_PROCESS: ("Order in process", "Your order {number} is being cleaned."),
    Order.Status.READY: ("Order ready", "Your order {number} is ready."),
    Order.Status.OUT_FOR_DELIVERY: (
        "Out for delivery", "Your order {number} is on its way to you."
    ),
    Order.Status.DELIVERED: ("Order delivered", "Your order {number} has been delivered."),
    Order.Status.CANCELLED: ("Order cancelled", "Your order {number} has been cancelled."),
}


def notification_group(*, user_id: UUID | str) -> str:
    """The channel-layer group of a user's `/ws/notifications/` sockets."""
    return f"notifications_{user_id}"


def notification_preference_ensure(*, user: User) -> NotificationPreference:
    """The user's preferences, made with the defaults on first use."""
    preference, _ = NotificationPreference.objects.get_or_create(user=user)
    return preference


@transaction.atomic
def notification_preference_update(*, user: User, **changes: bool) -> NotificationPreference:
    """Set some of the switches (`PREFERENCE_FIELDS`); the others keep their values."""
    unknown = set(changes) - set(PREFERENCE_FIELDS)
    if unknown:
        raise TypeError(f"not preference switches: {', '.join(sorted(unknown))}")
    preference = notification_preference_ensure(user=user)
    preference = NotificationPreference.objects.select_for_update().get(pk=preference.pk)
    for field, value in changes.items():
        setattr(preference, field, value)
    if changes:
        preference.save(update_fields=[*changes, "updated_at"])
    return preference


def push_allowed(*, preference: NotificationPreference, type: str) -> bool:
    switch = PUSH_SWITCH.get(type)
    return preference.push_enabled and (switch is None or getattr(preference, switch))


@transaction.atomic
def notification_send(
    *, user: User, type: str, title: str, message: str, data: dict[str, Any] | None = None
) -> Notification:
    """Store a notification for `user`; once the caller's transaction commits, send it (and the
    new unread count) to the user's sockets and push it to their devices if their preferences
    allow."""
    notification = Notification.objects.create(
        user=user, type=type, title=title, message=message, data=data or {}
    )
    transaction.on_commit(
        partial(_notification_deliver, notification_id=notification.pk), robust=True
    )
    return notification


def _notification_deliver(*, notification_id: UUID) -> None:
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:
        return
    user = notification.user
    try:
        group_send(
            group=notification_group(user_id=user.pk),
            frames=[
                {"type": "notification",
                 "notification": NotificationSerializer(notification).data},
                {"type": "unread_count", "count": notification_unread_count(user=user)},
            ],
        )
    except Exception:  # the channel layer's errors vary by backend; the push must still go
        logger.warning("notification %s: socket frames failed", notification.pk, exc_info=True)
    notification_push(notification=notification)


def notification_push(*, notification: Notification) -> None:
    """Push a stored notification to every device of its user, if their preferences allow;
    forget the devices the push service calls DeviceNotRegistered. Failures are logged."""
    user = notification.user
    if not push_allowed(preference=notification_preference_ensure(user=user),
                        type=notification.type):
        return
    tokens = list(PushToken.objects.filter(user=user).values_list("token", flat=True))
    if not tokens:
        return
    data = {"notification_id": str(notification.pk), "type": notification.type,
            **notification.data}
    try:
        outcomes = push_send(
            tokens=tokens, title=notification.title, body=notification.message, data=data
        )
    except PushUnavailable:
        logger.warning("notification %s: push failed", notification.pk, exc_info=True)
        return
    gone = [outcome.token for outcome in outcomes if outcome.device_not_registered]
    if gone:
        deleted, _ = PushToken.objects.filter(token__in=gone).delete()
        logger.info("forgot %d push token(s) the push service no longer knows", deleted)
    for outcome in outcomes:
        if not outcome.ok and not outcome.device_not_registered:
            logger.warning("notification %s: push refused: %s", notification.pk, outcome.error)


def _unread_count_send(*, user: User) -> None:
    group_send(
        group=notification_group(user_id=user.pk),
        frames=[{"type": "unread_count", "count": notification_unread_count(user=user)}],
    )


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification read; the user's sockets get the new unread count (also when it
    was read already: a socket's `mark_read` is always answered by one)."""
    if not notification.is_read:
        Notification.objects.filter(pk=notification.pk).update(is_read=True)
        notification.is_read = True
    transaction.on_commit(partial(_unread_count_send, user=notification.user), robust=True)
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; return how many were unread."""
    count = Notification.objects.filter(user=user, is_read=False).update(is_read=True)
    transaction.on_commit(partial(_unread_count_send, user=user), robust=True)
    return count


def _order_update_send(*, order_id: UUID) -> None:
    # Read after the commit: the frame shows the order as it now is (a refund in the same
    # transaction has set its payment_status by then).
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return
    group_send(
        group=notification_group(user_id=order.user_id),
        frames=[{"type": "order_update", "order": OrderUpdateSerializer(order).data}],
    )


def order_update_notify(*, order: Order) -> Notification:
    """Tell the order's customer that its status changed: an `order_update` frame on their
    notification sockets, and a stored and pushed Notification (type order_update).

    Called inside the transaction that changed the status; nothing leaves before it commits.
    """
    transaction.on_commit(partial(_order_update_send, order_id=order.pk), robust=True)
    title, text = ORDER_TEXTS.get(order.status, ("Order updated", "Your order {number} changed."))
    return notification_send(
        user=order.user,
        type=Type.ORDER_UPDATE,
        title=title,
        message=text.format(number=order.order_number),
        data={"order_id": str(order.pk), "order_number": order.order_number,
              "status": order.status},
    )
