"""Registration, login, token refresh and logout."""

from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from reference.accounts.models import OneTimeCode, User
from reference.tests.conftest import STRONG_PASSWORD, authed, login

pytestmark = pytest.mark.django_db

REGISTER = "/api/accounts/auth/register/"
LOGIN = "/api/accounts/auth/login/"
REFRESH = "/api/accounts/auth/token/refresh/"
LOGOUT = "/api/accounts/auth/logout/"
ME = "/api/accounts/me/"
USER_FIELDS = {
    "id", "email", "phone_number", "full_name", "role", "is_verified", "created_at", "updated_at",
}


def registration(**overrides: str) -> dict:
    body = {
        "full_name": "Asha Rao",
        "email": "asha@example.com",
        "phone_number": "+919812345678",
        "password": STRONG_PASSWORD,
        "password_confirm": STRONG_PASSWORD,
    }
    body.update(overrides)
    return body


def test_register_creates_customer_signs_in_and_texts_a_code(api, sms):
    response = api.post(REGISTER, registration(email="Asha@Example.COM"), format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert set(body["user"]) == USER_FIELDS
    assert body["user"]["email"] == "asha@example.com"
    assert body["user"]["role"] == "customer"
    assert body["user"]["is_verified"] is False
    assert set(body["tokens"]) == {"access", "refresh"}
    assert authed(body["tokens"]["access"]).get(ME).status_code == HTTPStatus.OK
    [message] = sms.sent
    assert message["To"] == "+919812345678"
    assert message["From"] == settings.TWILIO_FROM
    assert message["Body"].startswith("Your LaundryConnect verification code is ")
    assert "expires in 10 minutes" in message["Body"]


def test_register_stores_the_code_hashed(api, sms):
    api.post(REGISTER, registration(), format="json")

    code = sms.code_for("+919812345678")
    row = OneTimeCode.objects.get()
    assert code not in row.code_hash
    assert row.purpose == OneTimeCode.Purpose.VERIFY_PHONE


def test_register_normalizes_a_phone_typed_with_spaces(api):
    response = api.post(REGISTER, registration(phone_number="+91 98123-45678"), format="json")

    assert response.json()["user"]["phone_number"] == "+919812345678"


def test_register_succeeds_when_the_sms_provider_fails(api, sms, caplog):
    sms.fail_with(HTTPStatus.SERVICE_UNAVAILABLE)

    response = api.post(REGISTER, registration(), format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert User.objects.filter(email="asha@example.com").exists()
    assert "verification SMS for new user" in caplog.text


def test_register_refuses_a_taken_email_or_phone_with_one_reply(api):
    api.post(REGISTER, registration(), format="json")

    taken_email = api.post(REGISTER, registration(email="ASHA@example.com",
                                                  phone_number="+919800000001"), format="json")
    taken_phone = api.post(REGISTER, registration(email="other@example.com"), format="json")

    assert taken_email.status_code == taken_phone.status_code == HTTPStatus.BAD_REQUEST
    assert taken_email.json() == taken_phone.json()
    assert taken_email.json()["code"] == "validation_error"
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password_confirm": "Other-Pass-93"}, "password_confirm"),
        ({"password": "password", "password_confirm": "password"}, "password"),
        ({"phone_number": "9812345678"}, "phone_number"),
        ({"email": "not-an-email"}, "email"),
        ({"full_name": "x" * 151}, "full_name"),
    ],
)
def test_register_validates_input(api, overrides, field):
    response = api.post(REGISTER, registration(**overrides), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"], response.json()
    assert not User.objects.exists()


def test_login_by_email_or_phone(api, customer_user):
    by_email = login(api, customer_user.email.upper())
    by_phone = login(api, customer_user.phone_number)

    assert by_email["user"]["id"] == by_phone["user"]["id"] == str(customer_user.pk)
    assert {"user", "access", "refresh"} <= set(by_email)


def test_login_failures_all_look_the_same(api, make_user):
    make_user(email="known@example.com")
    make_user(email="gone@example.com", is_active=False)

    replies = [
        api.post(LOGIN, {"email": email, "password": password}, format="json")
        for email, password in [
            ("known@example.com", "Wrong-Pass-93"),
            ("unknown@example.com", STRONG_PASSWORD),
            ("gone@example.com", STRONG_PASSWORD),
        ]
    ]

    assert {reply.status_code for reply in replies} == {HTTPStatus.UNAUTHORIZED}
    assert len({reply.content for reply in replies}) == 1
    assert replies[0].json()["code"] == "invalid_credentials"
    assert replies[0]["WWW-Authenticate"].startswith("Bearer")


def test_login_ignores_a_stale_authorization_header(customer_user):
    stale = authed("not-a-token")

    assert login(stale, customer_user.email)["user"]["email"] == customer_user.email


def test_refresh_rotates_and_the_old_refresh_token_dies(api, customer_user):
    first = login(api, customer_user.email)

    rotated = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    replayed = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == HTTPStatus.OK, rotated.content
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first["refresh"]
    assert authed(rotated.json()["access"]).get(ME).status_code == HTTPStatus.OK
    assert replayed.status_code == HTTPStatus.UNAUTHORIZED
    assert replayed.json()["code"] == "token_not_valid"
    again = api.post(REFRESH, {"refresh": rotated.json()["refresh"]}, format="json")
    assert again.status_code == HTTPStatus.OK


def test_refresh_refuses_an_access_token(api, customer_user):
    tokens = login(api, customer_user.email)

    response = api.post(REFRESH, {"refresh": tokens["access"]}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_logout_kills_the_refresh_token(api, customer_user):
    tokens = login(api, customer_user.email)

    response = api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == HTTPStatus.RESET_CONTENT
    refused = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    twice = api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert twice.status_code == HTTPStatus.UNAUTHORIZED


def test_logout_with_garbage_is_401(api):
    response = api.post(LOGOUT, {"refresh": "garbage"}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "token_not_valid"


def _forged(customer_user: User, *, key: str, algorithm: str, **claims: object) -> str:
    payload = {
        "token_type": "access",
        "user_id": str(customer_user.pk),
        "jti": "f" * 32,
        "exp": timezone.now() + timedelta(minutes=5),
        **claims,
    }
    return jwt.encode(payload, key, algorithm=algorithm)


@pytest.mark.parametrize(
    "kind", ["alg_none", "wrong_key", "expired", "refresh_as_access", "no_header", "bad_scheme"]
)
def test_bad_tokens_get_401(customer_user, kind):
    client = APIClient()
    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    if kind == "alg_none":
        client.credentials(
            HTTP_AUTHORIZATION="Bearer " + _forged(customer_user, key="", algorithm="none")
        )
    elif kind == "wrong_key":
        token = _forged(customer_user, key="another-key-that-is-long-enough!!", algorithm="HS256")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    elif kind == "expired":
        token = _forged(
            customer_user, key=key, algorithm="HS256", exp=timezone.now() - timedelta(seconds=5)
        )
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    elif kind == "refresh_as_access":
        refresh = login(APIClient(), customer_user.email)["refresh"]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh}")
    elif kind == "bad_scheme":
        client.credentials(HTTP_AUTHORIZATION="Token abc")

    response = client.get(ME)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] in {"not_authenticated", "token_not_valid"}
    assert "WWW-Authenticate" in response
