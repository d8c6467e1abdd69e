"""A wrong code is refused without harm; five wrong tries kill the code for good."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

MAX_WRONG_TRIES = 5  # the contract: "5 wrong tries kill the code"


@allure.feature("Accounts")
@allure.story("OTP: a mistyped code")
def test_a_wrong_code_is_refused_and_the_right_one_still_works(callers, sandbox, data):
    # given a registered, unverified customer and the code their phone received
    newcomer = callers.register(verify=False, name="newcomer")
    code = sandbox.code(newcomer.phone_number)

    # when they first mistype it
    wrong = newcomer.accounts.raw_verify_otp(newcomer.phone_number, data.wrong_code(code))

    # then it is refused and the account stays unverified
    expect_error(wrong, HTTPStatus.BAD_REQUEST)
    assert newcomer.accounts.me()["is_verified"] is False

    # and the right code still verifies (one wrong try does not kill it)
    verified = newcomer.accounts.verify_otp(newcomer.phone_number, code)
    assert verified["user"]["is_verified"] is True


@allure.feature("Accounts")
@allure.story("OTP: a mistyped code")
@pytest.mark.security
def test_five_wrong_tries_kill_the_code(callers, sandbox, data):
    # positive control: one try short of the limit, the right code still works
    careful = callers.register(verify=False, name="careful")
    careful_code = sandbox.code(careful.phone_number)
    for _ in range(MAX_WRONG_TRIES - 1):
        expect_error(careful.accounts.raw_verify_otp(
            careful.phone_number, data.wrong_code(careful_code)), HTTPStatus.BAD_REQUEST)
    assert careful.accounts.verify_otp(
        careful.phone_number, careful_code)["user"]["is_verified"] is True

    # when another customer mistypes their code as often as the limit (registered only now, so
    # that the code is young: its refusal below must be the tries, not its age)
    guesser = callers.register(verify=False, name="guesser")
    guesser_code = sandbox.code(guesser.phone_number)
    for _ in range(MAX_WRONG_TRIES):
        expect_error(guesser.accounts.raw_verify_otp(
            guesser.phone_number, data.wrong_code(guesser_code)), HTTPStatus.BAD_REQUEST)

    # then even the right code is refused, and the account stays unverified
    late = guesser.accounts.raw_verify_otp(guesser.phone_number, guesser_code)
    expect_error(late, HTTPStatus.BAD_REQUEST)
    assert guesser.accounts.me()["is_verified"] is False
