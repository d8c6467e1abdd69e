"""One-time codes: phone verification, resend, and password reset."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from reference.accounts.models import OneTimeCode
from reference.tests.conftest import STRONG_PASSWORD, authed, login

pytestmark = pytest.mark.django_db

VERIFY = "/api/accounts/verify-otp/"
RESEND = "/api/accounts/resend-otp/"
FORGOT = "/api/accounts/forgot-password/"
RESET = "/api/accounts/reset-password/"
REFRESH = "/api/accounts/auth/token/refresh/"
ME = "/api/accounts/me/"
PHONE = "+919812345678"
NEW_PASSWORD = "Brand-New-Pass-94"


@pytest.fixture
def unverified(api, sms) -> dict:
    """A customer who just registered: unverified, with a code on their phone."""
    response = api.post(
        "/api/accounts/auth/register/",
        {
            "full_name": "Ravi Kumar",
            "email": "ravi@example.com",
            "phone_number": PHONE,
            "password": STRONG_PASSWORD,
            "password_confirm": STRONG_PASSWORD,
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def verify(api, code: str):
    return api.post(VERIFY, {"phone_number": PHONE, "otp_code": code}, format="json")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_right_code_verifies_the_phone_once(api, sms, unverified):
    code = sms.code_for(PHONE)

    response = verify(api, code)

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["user"]["is_verified"] is True
    replay = verify(api, code)
    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert replay.json()["code"] == "otp_invalid"


def test_a_wrong_code_is_400_and_the_right_one_still_works(api, sms, unverified):
    code = sms.code_for(PHONE)

    response = verify(api, wrong(code))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "otp_invalid"
    assert verify(api, code).status_code == HTTPStatus.OK


def test_max_wrong_tries_kill_the_code(api, sms, unverified, settings):
    code = sms.code_for(PHONE)

    for _ in range(settings.OTP_MAX_ATTEMPTS):
        assert verify(api, wrong(code)).status_code == HTTPStatus.BAD_REQUEST

    response = verify(api, code)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "otp_attempts_exceeded"


def test_an_expired_code_is_refused(api, sms, unverified):
    code = sms.code_for(PHONE)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = verify(api, code)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "otp_expired"


def test_an_unknown_phone_is_refused_like_a_wrong_code(api):
    response = verify(api, "123456")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "otp_invalid"


def test_resend_replaces_the_old_code(api, sms, unverified):
    old = sms.code_for(PHONE)

    response = api.post(RESEND, {"phone_number": PHONE}, format="json")

    assert response.status_code == HTTPStatus.OK
    new = sms.code_for(PHONE)
    assert len(sms.sent) == 2
    if new != old:
        assert verify(api, old).status_code == HTTPStatus.BAD_REQUEST
    assert verify(api, new).status_code == HTTPStatus.OK


def test_resend_answers_the_same_for_an_unknown_phone_and_sends_nothing(api, sms, unverified):
    known = api.post(RESEND, {"phone_number": PHONE}, format="json")
    unknown = api.post(RESEND, {"phone_number": "+919899999999"}, format="json")

    assert known.status_code == unknown.status_code == HTTPStatus.OK
    assert known.json() == unknown.json()
    assert [message["To"] for message in sms.sent] == [PHONE, PHONE]


def test_resend_reports_a_failing_provider(api, sms, unverified):
    sms.fail_with(HTTPStatus.INTERNAL_SERVER_ERROR)

    response = api.post(RESEND, {"phone_number": PHONE}, format="json")

    assert response.status_code == HTTPStatus.BAD_GATEWAY
    assert response.json()["code"] == "sms_unavailable"


def test_resend_is_throttled_per_phone(api, sms, unverified, settings):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["resend"].split("/")[0])
    statuses = [
        api.post(RESEND, {"phone_number": PHONE}, format="json").status_code
        for _ in range(limit + 2)
    ]

    assert statuses[:limit] == [HTTPStatus.OK] * limit
    assert statuses[limit:] == [HTTPStatus.TOO_MANY_REQUESTS] * 2
    assert len(sms.sent) == 1 + limit
    other = api.post(RESEND, {"phone_number": "+919811111111"}, format="json")
    assert other.status_code == HTTPStatus.OK


def test_forgot_password_answers_the_same_whatever_the_account(api, sms, unverified):
    known = api.post(FORGOT, {"email": "RAVI@example.com"}, format="json")
    unknown = api.post(FORGOT, {"email": "nobody@example.com"}, format="json")
    missing = api.post(FORGOT, {}, format="json")

    assert known.status_code == unknown.status_code == HTTPStatus.OK
    assert known.json() == unknown.json()
    assert missing.status_code == HTTPStatus.BAD_REQUEST
    assert "password reset code" in sms.sent[-1]["Body"]
    assert sms.sent[-1]["To"] == PHONE


def test_forgot_password_hides_a_failing_provider(api, sms, unverified):
    sms.fail_with(HTTPStatus.INTERNAL_SERVER_ERROR)

    response = api.post(FORGOT, {"phone_number": PHONE}, format="json")

    assert response.status_code == HTTPStatus.OK


def reset(api, code: str, **identifier: str):
    body = {"code": code, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    return api.post(RESET, {**(identifier or {"phone_number": PHONE}), **body}, format="json")


def test_reset_password_sets_it_and_ends_every_session(api, sms, unverified):
    session = login(api, PHONE)
    api.post(FORGOT, {"phone_number": PHONE}, format="json")

    response = reset(api, sms.code_for(PHONE), email="ravi@example.com")

    assert response.status_code == HTTPStatus.OK, response.content
    for refresh in (unverified["tokens"]["refresh"], session["refresh"]):
        refused = api.post(REFRESH, {"refresh": refresh}, format="json")
        assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert authed(session["access"]).get(ME).status_code == HTTPStatus.UNAUTHORIZED
    assert login(api, PHONE, NEW_PASSWORD)["user"]["phone_number"] == PHONE


def test_reset_password_refuses_a_wrong_code_and_keeps_the_password(api, sms, unverified):
    api.post(FORGOT, {"phone_number": PHONE}, format="json")

    response = reset(api, wrong(sms.code_for(PHONE)))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert login(api, PHONE)["user"]["phone_number"] == PHONE


def test_the_verification_code_does_not_reset_the_password(api, sms, unverified):
    response = reset(api, sms.code_for(PHONE))

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_reset_password_validates_the_new_password(api, sms, unverified):
    api.post(FORGOT, {"phone_number": PHONE}, format="json")
    code = sms.code_for(PHONE)
    body = {"phone_number": PHONE, "code": code}

    weak = api.post(
        RESET, {**body, "new_password": "12345678", "new_password_confirm": "12345678"},
        format="json",
    )
    differ = api.post(
        RESET, {**body, "new_password": NEW_PASSWORD, "new_password_confirm": "x"}, format="json"
    )

    assert weak.status_code == differ.status_code == HTTPStatus.BAD_REQUEST
    assert "new_password" in weak.json()["errors"]
    assert "new_password_confirm" in differ.json()["errors"]
    assert reset(api, code).status_code == HTTPStatus.OK
