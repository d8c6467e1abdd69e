"""What the customer hears of a payment event (payment captured or failed, wallet credited,
refund processed), sent once the change it announces has committed."""

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction

from reference.accounts.models import User
from reference.notifications.models import Notification
from reference.notifications.services import notification_send
from reference.orders.models import Order
from reference.payments.models import Payment

logger = logging.getLogger(__name__)



def payments_notify(*, user_id: Any, type: str, title: str, message: str, data: dict) -> None:
    """Tell the customer about a payment event (payment captured or failed, wallet credited,
    refund processed): an in-app notification and a push, as their preferences allow. Runs
    after the commit of the change it announces; a failure here never undoes the change."""
    try:
        notification_send(
            user=User.objects.get(pk=user_id), type=type, title=title, message=message, data=data
        )
    except Exception:  # a lost notification must not turn a committed payment into a 500
        logger.exception("notification %r for user %s failed", title, user_id)


def notify_after_commit(*, user_id: Any, type: str, title: str, message: str,
                         data: dict) -> None:
    transaction.on_commit(
        lambda: payments_notify(user_id=user_id, type=type, title=title, message=message,
                                data=data)
    )


def money_text(amount: Decimal) -> str:
    return f"\u20b9{amount:,.2f}"


def notify_captured(*, payment: Payment, order: Order) -> None:
    notify_after_commit(
        user_id=payment.user_id,
        type=Notification.Type.PAYMENT,
        title="Payment received",
        message=f"We received {money_text(payment.amount)} for order {order.order_number}.",
        data={"payment_id": str(payment.pk), "order_id": str(order.pk),
              "status": Payment.Status.CAPTURED},
    )
