"""`/ws/notifications/`: the signed-in user's notifications, order updates and unread count.

server -> client: `connection_established {unread_count}`, `notification {notification}`,
`order_update {order}`, `unread_count {count}`, `pong`, `error {code, message}`.
client -> server: `ping`, `mark_read {notification_id}`.
"""

from uuid import UUID

from django.http import Http404

from reference.accounts.models import User
from reference.common.websocket import Frame, FrameConsumer, db
from reference.notifications import selectors, services


def _mark_read(*, user: User, notification_id: UUID) -> bool:
    try:
        notification = selectors.notification_get(user=user, notification_id=notification_id)
    except Http404:
        return False
    services.notification_mark_read(notification=notification)
    return True


class NotificationConsumer(FrameConsumer):
    async def open(self) -> None:
        await self.join(services.notification_group(user_id=self.user.pk))
        await self.accept()
        count = await db(selectors.notification_unread_count)(user=self.user)
        await self.send_frame({"type": "connection_established", "unread_count": count})

    def handlers(self) -> dict:
        return {"ping": self.on_ping, "mark_read": self.on_mark_read}

    async def on_ping(self, frame: Frame) -> None:
        await self.send_frame({"type": "pong"})

    async def on_mark_read(self, frame: Frame) -> None:
        try:
            notification_id = UUID(str(frame.get("notification_id")))
        except ValueError:
            await self.send_error("validation_error", "notification_id: Give a notification id.")
            return
        # The service sends the new unread count to every socket of the user, this one too.
        if not await db(_mark_read)(user=self.user, notification_id=notification_id):
            await self.send_error("not_found", "No such notification.")
