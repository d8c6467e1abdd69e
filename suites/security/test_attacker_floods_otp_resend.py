"""Resource consumption: asking for codes to one phone over and over is throttled (429 with
Retry-After), and the phone receives no more SMS than the requests that were accepted."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.flooding import FLOOD_LIMIT, flood, retry_after, throttled

pytestmark = [pytest.mark.security, pytest.mark.throttling]


@allure.feature("Security: resource consumption")
@allure.story("SMS resend flood")
def test_resend_flood_on_one_phone_is_throttled(callers, sandbox):
    # given a registered, unverified customer whose phone got the registration SMS
    target = callers.register(verify=False, name="target")
    neighbour = callers.register(verify=False, name="neighbour")
    sandbox.wait_for_sms(target.phone_number)

    # when an attacker asks for new codes to that phone over and over
    replies = flood(lambda: target.accounts.raw_resend_otp(target.phone_number))

    # then the first requests were served (positive control) and, within the bound, one is
    # throttled: 429, the envelope, a numeric Retry-After
    accepted = [r for r in replies if r.status_code == HTTPStatus.OK]
    assert accepted, f"the first resend must be served, got {replies[0].status_code}"
    last = throttled(replies, f"resend-otp to one phone ({FLOOD_LIMIT} max)")
    expect_error(last, HTTPStatus.TOO_MANY_REQUESTS)
    assert retry_after(last) > 0
    assert len(accepted) == len(replies) - 1, [r.status_code for r in replies]

    # and the phone holds no more SMS than the registration plus the accepted resends
    inbox = sandbox.wait_for_sms(target.phone_number, count=len(accepted) + 1)
    assert len(inbox) == len(accepted) + 1, (
        f"{len(accepted)} resends were accepted, the phone received {len(inbox) - 1}")

    # and another phone can still ask for a code: the limit is keyed by phone
    neighbour.accounts.resend_otp(neighbour.phone_number)
    sandbox.wait_for_sms(neighbour.phone_number, count=2)
