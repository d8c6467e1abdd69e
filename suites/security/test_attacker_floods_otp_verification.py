"""Resource consumption: guessing a phone's OTP is throttled (429 with Retry-After) within a
bounded number of tries, and other phones still verify."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.flooding import FLOOD_LIMIT, flood, retry_after, throttled

pytestmark = [pytest.mark.security, pytest.mark.throttling]


@allure.feature("Security: resource consumption")
@allure.story("OTP verification flood")
def test_otp_guessing_on_one_phone_is_throttled(callers, sandbox, data):
    # given two unverified customers; the first verifies with its code (positive control)
    honest = callers.register(verify=False, name="honest")
    target = callers.register(verify=False, name="target")
    honest.accounts.verify_otp(honest.phone_number, sandbox.code(honest.phone_number))
    neighbour = callers.register(verify=False, name="neighbour")
    code = sandbox.code(target.phone_number)

    # when an attacker sends wrong codes for the target's phone over and over
    replies = flood(lambda: target.accounts.raw_verify_otp(target.phone_number,
                                                           data.wrong_code(code)))

    # then within the bound a try is throttled: 429, the envelope, a numeric Retry-After;
    # every try before it was an ordinary refusal
    last = throttled(replies, f"OTP verification with wrong codes ({FLOOD_LIMIT} max)")
    expect_error(last, HTTPStatus.TOO_MANY_REQUESTS)
    assert retry_after(last) > 0
    for reply in replies[:-1]:
        expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert target.accounts.me()["is_verified"] is False

    # and another phone still verifies: the limit is keyed by phone
    neighbour_code = sandbox.code(neighbour.phone_number)
    assert neighbour.accounts.verify_otp(neighbour.phone_number,
                                         neighbour_code)["user"]["is_verified"] is True
