"""A customer logs in with their email or their phone number; a failed login does not tell
whether the account exists."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error


@allure.feature("Accounts")
@allure.story("Log in")
def test_customer_logs_in_by_email(customer, callers):
    # when the customer logs in with their email
    session = callers.log_in(customer.email, customer.password, name="by email")

    # then they are that user, and the new access token works
    assert session.id == customer.id
    assert session.accounts.me()["email"] == customer.email


@allure.feature("Accounts")
@allure.story("Log in")
def test_customer_logs_in_by_phone_number(customer, callers):
    # when the customer logs in with their phone number in the email field, as the app sends it
    session = callers.log_in(customer.phone_number, customer.password, name="by phone")

    # then they are that user, and the new access token works
    assert session.id == customer.id
    assert session.accounts.me()["phone_number"] == customer.phone_number


@allure.feature("Accounts")
@allure.story("Log in")
@pytest.mark.security
def test_unknown_user_and_wrong_password_look_the_same(customer, anonymous, callers, data):
    # given the right password logs in (positive control)
    callers.log_in(customer.email, customer.password, name="control")

    # when someone tries a wrong password, and an email nobody registered
    wrong_password = anonymous.accounts.raw_login(customer.email, data.password())
    unknown_user = anonymous.accounts.raw_login(data.email(), customer.password)

    # then both are 401 with the same body
    wrong_body = expect_error(wrong_password, HTTPStatus.UNAUTHORIZED)
    unknown_body = expect_error(unknown_user, HTTPStatus.UNAUTHORIZED)
    assert wrong_body == unknown_body, (
        f"a wrong password and an unknown user must answer alike: {wrong_body} vs {unknown_body}")

    # and the account still opens with its password
    callers.log_in(customer.email, customer.password, name="after")
