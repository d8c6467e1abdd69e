"""A customer asks for a new code: it arrives by SMS and the old one stops working."""

from http import HTTPStatus

import allure

from fixtures.api import expect_error


@allure.feature("Accounts")
@allure.story("OTP: resend")
def test_a_resent_code_replaces_the_old_one(callers, sandbox):
    # given an unverified customer holding the code of their registration
    newcomer = callers.register(verify=False, name="newcomer")
    old = sandbox.code(newcomer.phone_number)

    # when they ask for a new one
    newcomer.accounts.resend_otp(newcomer.phone_number)
    new = sandbox.code(newcomer.phone_number, nth=2)
    assert new != old, "the resent code must be a new one (this can fail once in a million)"

    # then the old code is refused and the new one verifies
    expect_error(newcomer.accounts.raw_verify_otp(newcomer.phone_number, old),
                 HTTPStatus.BAD_REQUEST)
    assert newcomer.accounts.me()["is_verified"] is False
    verified = newcomer.accounts.verify_otp(newcomer.phone_number, new)
    assert verified["user"]["is_verified"] is True
