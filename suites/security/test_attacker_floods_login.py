"""Resource consumption: guessing one account's password is throttled (429 with Retry-After)
within a bounded number of tries, without a server error on the way, and the limit is per
account, not for everyone."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.flooding import FLOOD_LIMIT, flood, retry_after, throttled

pytestmark = [pytest.mark.security, pytest.mark.throttling]


@allure.feature("Security: resource consumption")
@allure.story("Login flood")
def test_login_flood_on_one_account_is_throttled(new_customer, callers, anonymous, data):
    # given two customers, and the victim's password logs in (positive control)
    victim = new_customer("victim")
    neighbour = new_customer("neighbour")
    callers.log_in(victim.email, victim.password, name="victim")

    # when an attacker guesses the victim's password over and over
    replies = flood(lambda: anonymous.accounts.raw_login(victim.email, data.password()))

    # then no guess broke the server (any 5xx fails, named), within the bound a guess is
    # throttled: 429, the envelope, a numeric Retry-After; every guess before it was an
    # ordinary refusal
    last = throttled(replies, f"login with wrong passwords for one account ({FLOOD_LIMIT} max)")
    expect_error(last, HTTPStatus.TOO_MANY_REQUESTS)
    assert retry_after(last) > 0
    for reply in replies[:-1]:
        expect_error(reply, HTTPStatus.UNAUTHORIZED)

    # and another account still logs in: the limit is keyed by account
    assert callers.log_in(neighbour.email, neighbour.password, name="neighbour").id == \
        neighbour.id
