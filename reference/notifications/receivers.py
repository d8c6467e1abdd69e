"""Notifications' side of an order's life (`reference.orders.signals`), connected in `apps.py`."""

from reference.notifications.services import order_update_notify
from reference.orders.models import Order


def order_status_recorded_notify(sender: type[Order], *, order: Order, **_: object) -> None:
    """The customer hears of the new status (socket frame, notification, push) once the
    transaction that recorded it commits."""
    order_update_notify(order=order)
