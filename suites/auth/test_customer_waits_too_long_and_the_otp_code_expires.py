"""A code lives for the target's OTP lifetime, then it is refused."""

import time
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.findings import Blocked
from fixtures.polling import wait_past

# past the lifetime by more than the clock granularity of either side
MARGIN_SECONDS = 1.5


@allure.feature("Accounts")
@allure.story("OTP: expiry")
@pytest.mark.security
@pytest.mark.slow
def test_a_code_is_refused_after_its_lifetime(callers, sandbox, target, run):
    lifetime = target.otp_ttl_seconds
    if lifetime + MARGIN_SECONDS > run.max_wait:
        raise Blocked(f"the OTP lives {lifetime} s, longer than this run may wait "
                      f"({run.max_wait:g} s, --max-wait); give the target a shorter OTP "
                      "lifetime or allow a longer wait", kind="limit")

    # given a customer whose code was issued before the registration replied
    late = callers.register(verify=False, name="late")
    issued_before = time.monotonic()
    stale = sandbox.code(late.phone_number)

    # positive control: a fresh code of another customer verifies at once
    prompt = callers.register(verify=False, name="prompt")
    verified = prompt.accounts.verify_otp(prompt.phone_number, sandbox.code(prompt.phone_number))
    assert verified["user"]["is_verified"] is True

    # when the lifetime passes
    wait_past(issued_before + lifetime + MARGIN_SECONDS)

    # then the stale code is refused and the account stays unverified
    expect_error(late.accounts.raw_verify_otp(late.phone_number, stale), HTTPStatus.BAD_REQUEST)
    assert late.accounts.me()["is_verified"] is False

    # and a new code verifies: the refusal was about the code's age, not the account
    late.accounts.resend_otp(late.phone_number)
    fresh = sandbox.code(late.phone_number, nth=2)
    assert late.accounts.verify_otp(late.phone_number, fresh)["user"]["is_verified"] is True
