"""Logging out kills the refresh token of that session."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error


@allure.feature("Accounts")
@allure.story("Log out")
@pytest.mark.security
def test_logout_kills_that_refresh_token(customer, callers):
    # given two sessions of the customer, and a refresh token that refreshes (positive control)
    phone = callers.log_in(customer.email, customer.password, name="phone")
    tablet = callers.log_in(customer.email, customer.password, name="tablet")
    pair = tablet.accounts.refresh(tablet.refresh)
    tablet.use_tokens(pair["access"], pair["refresh"])

    # when the tablet logs out (a target without the call blocks the case here)
    tablet.accounts.logout(tablet.refresh)

    # then that refresh token is dead
    expect_error(tablet.accounts.raw_refresh(tablet.refresh), HTTPStatus.UNAUTHORIZED)

    # and the other session still refreshes, and the customer can log in again
    phone.accounts.refresh(phone.refresh)
    callers.log_in(customer.email, customer.password, name="again")
