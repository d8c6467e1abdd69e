"""The caller's own profile and push tokens; operator endpoints."""

from http import HTTPStatus

import pytest

from reference.accounts.models import PushToken, User
from reference.tests.conftest import STRONG_PASSWORD, authed, login

pytestmark = pytest.mark.django_db

ME = "/api/accounts/me/"
PUSH = "/api/accounts/notification-token/"
USERS = "/api/accounts/users/"


def test_me_shows_the_user_fields_and_nothing_secret(customer, customer_user):
    body = customer.get(ME).json()

    assert body["id"] == str(customer_user.pk)
    assert "password" not in body
    assert "is_staff" not in body


def test_me_patch_changes_only_the_name(customer, customer_user):
    response = customer.patch(
        ME,
        {
            "full_name": "New Name",
            "role": "staff",
            "is_staff": True,
            "is_superuser": True,
            "is_verified": False,
            "email": "hijack@example.com",
            "balance": 100000,
        },
        format="json",
    )

    assert response.status_code == HTTPStatus.OK
    customer_user.refresh_from_db()
    assert customer_user.full_name == "New Name"
    assert customer_user.role == User.Role.CUSTOMER
    assert not customer_user.is_staff
    assert not customer_user.is_superuser
    assert customer_user.is_verified
    assert customer_user.email != "hijack@example.com"


def test_me_put_is_405(customer):
    response = customer.put(ME, {"full_name": "x"}, format="json")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["code"] == "method_not_allowed"


def test_push_token_is_stored_and_moves_to_the_last_caller(customer, other_customer):
    token = "ExponentPushToken[abcDEF123_-xyz]"

    first = customer.post(PUSH, {"token": token, "platform": "ios"}, format="json")
    second = other_customer.post(PUSH, {"token": token, "platform": "android"}, format="json")

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert second.json() == {"message": "Push token saved.", "platform": "android"}
    stored = PushToken.objects.get()
    assert stored.platform == "android"
    assert str(stored.user_id) == other_customer.get(ME).json()["id"]


@pytest.mark.parametrize(
    "body",
    [
        {"token": "not-a-token", "platform": "ios"},
        {"token": "ExponentPushToken[]", "platform": "ios"},
        {"token": "ExponentPushToken[abc]", "platform": "symbian"},
        {"token": "ExponentPushToken[abc]"},
    ],
)
def test_push_token_is_validated(customer, body):
    response = customer.post(PUSH, body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "validation_error"


def test_push_token_needs_login(api):
    response = api.post(PUSH, {"token": "ExponentPushToken[abc]", "platform": "ios"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_users_list_is_for_staff_only(customer, staff, customer_user):
    refused = customer.get(USERS)
    listed = staff.get(USERS)

    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json()["code"] == "permission_denied"
    assert listed.status_code == HTTPStatus.OK
    assert listed.json()["count"] == 2
    assert {"is_active", "is_staff"} <= set(listed.json()["results"][0])


def test_deactivation_ends_sessions_and_logins(api, staff, customer_user):
    session = login(api, customer_user.email)

    response = staff.post(f"{USERS}{customer_user.pk}/deactivate/")

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["is_active"] is False
    assert authed(session["access"]).get(ME).status_code == HTTPStatus.UNAUTHORIZED
    refresh = api.post(
        "/api/accounts/auth/token/refresh/", {"refresh": session["refresh"]}, format="json"
    )
    assert refresh.status_code == HTTPStatus.UNAUTHORIZED
    relogin = api.post(
        "/api/accounts/auth/login/",
        {"email": customer_user.email, "password": STRONG_PASSWORD},
        format="json",
    )
    assert relogin.status_code == HTTPStatus.UNAUTHORIZED


def test_deactivation_is_refused_to_customers_and_for_unknown_ids(customer, staff, staff_user):
    assert customer.post(f"{USERS}{staff_user.pk}/deactivate/").status_code == 403
    unknown = staff.post(f"{USERS}00000000-0000-0000-0000-000000000000/deactivate/")
    assert unknown.status_code == HTTPStatus.NOT_FOUND
    itself = staff.post(f"{USERS}{staff_user.pk}/deactivate/")
    assert itself.status_code == HTTPStatus.CONFLICT
    assert itself.json()["code"] == "cannot_deactivate_self"
