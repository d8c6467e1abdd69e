"""An email or a phone number already registered cannot register again, and the refusal does
not tell which of the two is taken."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error


@allure.feature("Accounts")
@allure.story("Registration with a taken email or phone")
@pytest.mark.security
def test_a_taken_email_or_phone_is_refused_with_one_body(callers, anonymous, sandbox, data):
    # given a registered customer (the positive control: registration works)
    first = callers.register(verify=False, name="first")
    first_name = first.accounts.me()["full_name"]

    # when someone registers with the same email and a new phone, then with a new email and
    # the same phone
    same_email = data.person(email=first.email)
    same_phone = data.person(phone_number=first.phone_number)
    by_email = anonymous.accounts.raw_register(**same_email)
    by_phone = anonymous.accounts.raw_register(**same_phone)

    # then both are refused with the same status and the same body
    email_body = expect_error(by_email, HTTPStatus.BAD_REQUEST)
    phone_body = expect_error(by_phone, HTTPStatus.BAD_REQUEST)
    assert email_body == phone_body, (
        "a taken email and a taken phone must be refused alike (no account enumeration): "
        f"{email_body} vs {phone_body}")

    # and nothing changed: the first account keeps its password and name, the intruders'
    # passwords do not open it, and the new phone got no code
    callers.log_in(first.email, first.password, name="first again")
    assert first.accounts.me()["full_name"] == first_name
    for attempt in (same_email, same_phone):
        refused = anonymous.accounts.raw_login(first.email, attempt["password"])
        expect_error(refused, HTTPStatus.UNAUTHORIZED)
    assert sandbox.sms(same_email["phone_number"]) == []
    assert len(sandbox.sms(first.phone_number)) == 1
