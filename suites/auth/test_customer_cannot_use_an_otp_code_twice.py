"""A code works once."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error


@allure.feature("Accounts")
@allure.story("OTP: single use")
@pytest.mark.security
def test_a_code_works_once(callers, sandbox):
    # given a customer who verified their phone with the code from the SMS
    newcomer = callers.register(verify=False, name="newcomer")
    code = sandbox.code(newcomer.phone_number)
    first = newcomer.accounts.verify_otp(newcomer.phone_number, code)
    assert first["user"]["is_verified"] is True

    # when the same code is sent again
    again = newcomer.accounts.raw_verify_otp(newcomer.phone_number, code)

    # then it is refused, and the account is as it was
    expect_error(again, HTTPStatus.BAD_REQUEST)
    assert newcomer.accounts.me()["is_verified"] is True
