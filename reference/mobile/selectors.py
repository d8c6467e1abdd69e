"""What the app reads on start (config) and on its home screen (dashboard).

This app owns no data: it reads the other domains (orders, catalog, the wallet, notifications)
through their selectors.
"""

from decimal import Decimal

from django.conf import settings

from reference.accounts.models import User
from reference.catalog.selectors import category_list
from reference.notifications.selectors import notification_unread_count
from reference.orders.models import PICKUP_TIME_SLOTS, Order
from reference.orders.selectors import order_active_count, order_recent_list
from reference.payments.selectors import wallet_balance
from reference.uploads.services import ALLOWED_CONTENT_TYPES

MIN_SUPPORTED_VERSION = "1.0.0"
RECENT_ORDERS = 5


def wallet_balance_for_user(*, user: User) -> Decimal:
    """The user's wallet balance in rupees (0 before their wallet exists)."""
    return wallet_balance(user=user)


def unread_notifications_for_user(*, user: User) -> int:
    """How many unread notifications the user has."""
    return notification_unread_count(user=user)


def dashboard_for_user(*, user: User) -> dict:
    return {
        "user": user,
        "active_orders": order_active_count(user=user),
        "recent_orders": order_recent_list(user=user, limit=RECENT_ORDERS),
        "wallet_balance": wallet_balance_for_user(user=user),
        "unread_notifications": unread_notifications_for_user(user=user),
        "categories": list(category_list()),
    }


def app_config() -> dict:
    return {
        "min_supported_version": MIN_SUPPORTED_VERSION,
        "force_update": False,
        "maintenance_mode": False,
        "pickup_time_slots": list(PICKUP_TIME_SLOTS),
        "payment_methods": list(Order.PaymentMethod.values),
        "upload": {
            "max_bytes": settings.UPLOAD_MAX_BYTES,
            "formats": list(ALLOWED_CONTENT_TYPES),
        },
    }
