"""The app's home screen (dashboard) and configuration."""

from http import HTTPStatus

import pytest

from reference.tests.conftest import ORDERS, order_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

DASHBOARD = "/api/mobile/dashboard/"
CONFIG = "/api/mobile/config/"


def test_config_needs_no_login_and_lists_slots_methods_and_limits(api, settings):
    settings.UPLOAD_MAX_BYTES = 1234
    api.credentials(HTTP_AUTHORIZATION="Bearer stale-or-broken")

    response = api.get(CONFIG)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "min_supported_version": "1.0.0",
        "force_update": False,
        "maintenance_mode": False,
        "pickup_time_slots": [
            "08:00-10:00", "10:00-12:00", "12:00-14:00", "14:00-16:00", "16:00-18:00",
            "18:00-20:00",
        ],
        "payment_methods": ["online", "wallet", "cash"],
        "upload": {"max_bytes": 1234, "formats": ["image/jpeg", "image/png", "image/webp"]},
    }


def test_every_config_slot_is_accepted_by_orders(customer, customer_address, catalog, api):
    slots = api.get(CONFIG).json()["pickup_time_slots"]

    statuses = {
        customer.post(ORDERS,
                      order_body(customer_address, catalog, pickup_time_slot=slot),
                      format="json").status_code
        for slot in slots
    }

    assert statuses == {HTTPStatus.CREATED}


def test_dashboard_sums_up_the_callers_orders(customer, customer_user, other_customer,
                                              customer_address, catalog):
    ids = [
        customer.post(ORDERS, order_body(customer_address, catalog),
                      format="json").json()["id"]
        for _ in range(7)
    ]
    customer.post(f"{ORDERS}{ids[0]}/cancel/", {}, format="json")

    body = customer.get(DASHBOARD).json()

    assert set(body) == {
        "user", "active_orders", "recent_orders", "wallet_balance", "unread_notifications",
        "categories",
    }
    assert body["user"]["id"] == str(customer_user.pk)
    assert body["active_orders"] == 6
    assert [row["id"] for row in body["recent_orders"]] == ids[::-1][:5]
    assert body["wallet_balance"] == 0
    assert body["unread_notifications"] == 1  # the cancellation's notification
    assert body["categories"][0]["name"] == "Wash & Fold"
    assert other_customer.get(DASHBOARD).json()["active_orders"] == 0


def test_dashboard_needs_a_login(api):
    assert api.get(DASHBOARD).status_code == HTTPStatus.UNAUTHORIZED
