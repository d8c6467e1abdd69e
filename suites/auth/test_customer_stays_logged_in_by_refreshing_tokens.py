"""The app refreshes its tokens: each refresh gives a new pair and kills the refresh token used."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error


@allure.feature("Accounts")
@allure.story("Refresh tokens rotate")
@pytest.mark.security
def test_refresh_rotates_and_the_old_refresh_token_dies(customer):
    # given the refresh token the customer received at registration
    first_refresh = customer.refresh

    # when the app refreshes with it
    pair = customer.accounts.refresh(first_refresh)

    # then the new pair works: the access token reads the profile, the refresh token refreshes
    assert pair["refresh"] != first_refresh
    customer.use_tokens(pair["access"], pair["refresh"])
    assert str(customer.accounts.me()["id"]) == customer.id
    later = customer.accounts.refresh(pair["refresh"])
    customer.use_tokens(later["access"], later["refresh"])

    # and the refresh token used first is dead
    expect_error(customer.accounts.raw_refresh(first_refresh), HTTPStatus.UNAUTHORIZED)
