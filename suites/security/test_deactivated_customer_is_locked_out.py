"""Authentication: once staff deactivate an account, its tokens and its password stop working,
and the login refusal looks like any wrong password."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

pytestmark = [pytest.mark.security, pytest.mark.needs_staff]


@allure.feature("Security: authentication")
@allure.story("Deactivated account")
def test_deactivated_customer_is_locked_out(new_customer, callers, anonymous, staff, data):
    # given a customer whose token, refresh token and password work (positive control)
    leaver = new_customer("leaver")
    assert str(leaver.accounts.me()["id"]) == leaver.id
    session = callers.log_in(leaver.email, leaver.password, name="leaver again")
    bystander = new_customer("bystander")
    wrong_password = anonymous.accounts.raw_login(bystander.email, data.password())
    wrong_body = expect_error(wrong_password, HTTPStatus.UNAUTHORIZED)

    # when staff deactivate the account
    staff.accounts.deactivate_user(leaver.id)

    # then the access token it holds is refused
    expect_error(leaver.accounts.raw_me(), HTTPStatus.UNAUTHORIZED)
    # and so is its refresh token
    expect_error(anonymous.accounts.raw_refresh(session.refresh), HTTPStatus.UNAUTHORIZED)
    # and its right password, with the very body of a wrong password
    login = anonymous.accounts.raw_login(leaver.email, leaver.password)
    assert expect_error(login, HTTPStatus.UNAUTHORIZED) == wrong_body

    # and other customers are untouched
    assert str(bystander.accounts.me()["id"]) == bystander.id
