"""Notifications: stored and pushed on order status changes, the REST calls, preferences,
forgetting devices the push service no longer knows."""

from http import HTTPStatus

import pytest

from reference.accounts.models import PushToken
from reference.notifications.models import Notification
from reference.notifications.services import notification_send
from reference.tests.conftest import ORDERS, order_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

NOTIFICATIONS = "/api/notifications/notifications/"
PREFERENCES = "/api/notifications/preferences/me/"
PHONE = "ExponentPushToken[phone0000000000000000]"
TABLET = "ExponentPushToken[tablet000000000000000]"
NOTIFICATION_FIELDS = {"id", "type", "title", "message", "data", "is_read", "created_at"}


@pytest.fixture
def devices(customer_user) -> list[str]:
    """Two Expo tokens registered for `customer_user`."""
    for token in (PHONE, TABLET):
        PushToken.objects.create(user=customer_user, token=token, platform="android")
    return [PHONE, TABLET]


@pytest.fixture
def order(customer, customer_address, catalog) -> dict:
    response = customer.post(ORDERS, order_body(customer_address, catalog), format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a request leaves for after its commit (the tests' transaction never commits)."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def confirm(staff, order: dict):
    return staff.post(f"{ORDERS}{order['id']}/status/", {"status": "confirmed"}, format="json")


def test_a_status_change_is_stored_as_a_notification_and_pushed_to_every_device(
    customer, staff, order, devices, expo, committed
):
    response = committed(lambda: confirm(staff, order))
    assert response.status_code == HTTPStatus.OK, response.content

    page = customer.get(NOTIFICATIONS).json()
    assert page["count"] == 1
    [notification] = page["results"]
    assert set(notification) == NOTIFICATION_FIELDS
    assert notification["type"] == "order_update"
    assert notification["title"] == "Order confirmed"
    assert order["order_number"] in notification["message"]
    assert notification["data"]["order_id"] == order["id"]
    assert notification["is_read"] is False
    for token in devices:
        [push] = expo.received_by(token)
        assert push["title"] == "Order confirmed"
        assert push["data"]["order_id"] == order["id"]
        assert push["data"]["notification_id"] == notification["id"]


def test_a_cancellation_by_the_customer_notifies_too(customer, order, devices, expo, committed):
    response = committed(lambda: customer.post(f"{ORDERS}{order['id']}/cancel/", {},
                                               format="json"))
    assert response.status_code == HTTPStatus.OK, response.content

    [notification] = customer.get(NOTIFICATIONS).json()["results"]
    assert notification["data"]["status"] == "cancelled"
    assert [push["title"] for push in expo.received_by(PHONE)] == ["Order cancelled"]


def test_nothing_is_stored_or_pushed_when_the_status_change_fails(
    customer, staff, order, devices, expo, committed
):
    response = committed(
        lambda: staff.post(f"{ORDERS}{order['id']}/status/", {"status": "delivered"},
                           format="json")
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert customer.get(NOTIFICATIONS).json()["count"] == 0
    assert expo.sent == []


@pytest.mark.parametrize("switch", ["push_enabled", "order_updates"])
def test_a_switched_off_preference_stops_the_push_but_not_the_notification(
    customer, staff, order, devices, expo, committed, switch
):
    response = customer.patch(PREFERENCES, {switch: False}, format="json")
    assert response.status_code == HTTPStatus.OK, response.content

    committed(lambda: confirm(staff, order))

    assert customer.get(NOTIFICATIONS).json()["count"] == 1
    assert expo.sent == []


def test_a_device_the_push_service_calls_not_registered_is_forgotten(
    customer_user, customer, staff, order, devices, expo, committed
):
    expo.unregistered.add(TABLET)

    committed(lambda: confirm(staff, order))

    assert list(PushToken.objects.filter(user=customer_user).values_list("token", flat=True)) \
        == [PHONE]
    assert len(expo.received_by(PHONE)) == 1


def test_a_failing_push_service_does_not_fail_the_status_change(
    customer, staff, order, devices, expo, committed
):
    expo.fail_with(HTTPStatus.SERVICE_UNAVAILABLE)

    response = committed(lambda: confirm(staff, order))

    assert response.status_code == HTTPStatus.OK, response.content
    assert customer.get(NOTIFICATIONS).json()["count"] == 1
    assert PushToken.objects.filter(token__in=devices).count() == 2


def test_a_chat_notification_obeys_the_chat_switch(customer_user, customer, devices, expo,
                                                   committed):
    customer.patch(PREFERENCES, {"chat_messages": False}, format="json")
    committed(lambda: notification_send(user=customer_user, type="chat", title="New message",
                                        message="Hello", data={}))
    committed(lambda: notification_send(user=customer_user, type="payment", title="Paid",
                                        message="Payment received", data={"amount": 10}))

    assert [push["title"] for push in expo.received_by(PHONE)] == ["Paid"]


def test_the_list_is_the_callers_own_newest_first_and_paginated(
    customer_user, make_user, customer
):
    stranger = make_user()
    for n in range(3):
        notification_send(user=customer_user, type="system", title=f"n{n}", message="m", data={})
    notification_send(user=stranger, type="system", title="theirs", message="m", data={})

    page = customer.get(NOTIFICATIONS, {"page_size": 2}).json()

    assert page["count"] == 3
    assert [n["title"] for n in page["results"]] == ["n2", "n1"]
    assert page["next"]
    assert customer.get(NOTIFICATIONS, {"page": 9}).status_code == HTTPStatus.NOT_FOUND


def test_mark_read_unread_count_and_mark_all_read(customer_user, make_user, customer):
    first, second, third = (
        notification_send(user=customer_user, type="system", title=f"n{n}", message="m")
        for n in range(3)
    )
    theirs = notification_send(user=make_user(), type="system", title="x", message="m")

    assert customer.get(f"{NOTIFICATIONS}unread_count/").json() == {"count": 3}
    reply = customer.post(f"{NOTIFICATIONS}{first.pk}/mark_read/")
    assert reply.status_code == HTTPStatus.OK
    assert reply.json()["is_read"] is True
    assert customer.post(f"{NOTIFICATIONS}{first.pk}/mark_read/").status_code == HTTPStatus.OK
    assert customer.get(f"{NOTIFICATIONS}unread_count/").json() == {"count": 2}

    assert customer.post(f"{NOTIFICATIONS}{theirs.pk}/mark_read/").status_code \
        == HTTPStatus.NOT_FOUND
    Notification.objects.filter(pk=theirs.pk, is_read=False).get()

    assert customer.post(f"{NOTIFICATIONS}mark_all_read/").json() == {"count": 2}
    assert customer.get(f"{NOTIFICATIONS}unread_count/").json() == {"count": 0}
    assert customer.post(f"{NOTIFICATIONS}mark_all_read/").json() == {"count": 0}
    assert Notification.objects.get(pk=theirs.pk).is_read is False
    assert {second.pk, third.pk} <= set(
        Notification.objects.filter(is_read=True).values_list("pk", flat=True)
    )


def test_the_dashboard_counts_unread_notifications(customer_user, customer):
    notification_send(user=customer_user, type="system", title="Welcome", message="Hi")

    assert customer.get("/api/mobile/dashboard/").json()["unread_notifications"] == 1


def test_preferences_are_made_on_first_use_and_patched_partially(customer, other_customer):
    defaults = customer.get(PREFERENCES).json()
    assert defaults == {
        "push_enabled": True, "sms_enabled": True, "order_updates": True,
        "payment_updates": True, "chat_messages": True, "promotions": False,
    }

    reply = customer.patch(PREFERENCES, {"promotions": True, "sms_enabled": False,
                                         "user": "someone-else"}, format="json")

    assert reply.status_code == HTTPStatus.OK, reply.content
    assert reply.json() == {**defaults, "promotions": True, "sms_enabled": False}
    assert customer.get(PREFERENCES).json() == reply.json()
    assert other_customer.get(PREFERENCES).json() == defaults


@pytest.mark.parametrize("value", ["maybe", 0, 1, "true", None])
def test_a_preference_that_is_not_a_boolean_is_refused(customer, value):
    # DRF takes 0, 1 and "true" as booleans; the schema says boolean
    reply = customer.patch(PREFERENCES, {"push_enabled": value}, format="json")

    assert reply.status_code == HTTPStatus.BAD_REQUEST, reply.content
    assert "push_enabled" in reply.json()["errors"]
    assert customer.get(PREFERENCES).json()["push_enabled"] is True
    # and the same switch as a boolean is taken
    assert customer.patch(PREFERENCES, {"push_enabled": False},
                          format="json").json()["push_enabled"] is False


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", NOTIFICATIONS), ("get", f"{NOTIFICATIONS}unread_count/"),
     ("post", f"{NOTIFICATIONS}mark_all_read/"), ("get", PREFERENCES)],
)
def test_every_call_needs_a_token(api, method, path):
    assert getattr(api, method)(path).status_code == HTTPStatus.UNAUTHORIZED
