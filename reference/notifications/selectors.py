"""Reads of notifications, scoped to the asking user."""

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from reference.accounts.models import User
from reference.notifications.models import Notification


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_get(*, user: User, notification_id: UUID) -> Notification:
    """One of the user's notifications; another user's id is 404 like an unknown one."""
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()
