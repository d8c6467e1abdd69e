"""What the app reads on start (config) and on its home screen (dashboard).

This app owns no data: it reads the other domains. The wallet and notifications do not exist
yet; each is read through one selector here that their work replaces.
"""

from decimal import Decimal

from django.conf import settings

from reference.accounts.models import User
from reference.catalog.selectors import category_list
from reference.orders.models import PICKUP_TIME_SLOTS, Order
from reference.orders.selectors import order_active_count, order_recent_list
from reference.uploads.services import ALLOWED_CONTENT_TYPES

MIN_SUPPORTED_VERSION = "1.0.0"
RECENT_ORDERS = 5


def wallet_balance_for_user(*, user: User) -> Decimal:
    """The user's wallet balance in rupees: 0 until the payments work brings wallets."""
    return Decimal("0.00")


def unread_notifications_for_user(*, user: User) -> int:
    """How many unread notifications the user has: 0 until notifications exist."""
    return 0


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
