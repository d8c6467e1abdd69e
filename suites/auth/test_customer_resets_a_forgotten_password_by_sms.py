"""A customer who forgot their password gets a code by SMS and sets a new one; the reply to
"forgot password" never tells whether an account exists."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error


@allure.feature("Accounts")
@allure.story("Forgot and reset the password")
def test_customer_resets_a_forgotten_password_by_sms(customer, callers, anonymous, sandbox, data):
    # given a customer with a session whose refresh token works (positive control)
    session = callers.log_in(customer.email, customer.password, name="before reset")
    pair = session.accounts.refresh(session.refresh)
    session.use_tokens(pair["access"], pair["refresh"])
    received = len(sandbox.sms(customer.phone_number))

    # when they ask for a reset and type the code their phone received
    anonymous.accounts.forgot_password(email=customer.email)
    code = sandbox.code(customer.phone_number, nth=received + 1)
    new_password = data.password()

    # (a wrong code first: refused, and the old password still works)
    wrong = anonymous.accounts.raw_reset_password(
        email=customer.email, code=data.wrong_code(code), new_password=new_password)
    expect_error(wrong, HTTPStatus.BAD_REQUEST)
    callers.log_in(customer.email, customer.password, name="still old")

    anonymous.accounts.reset_password(email=customer.email, code=code,
                                      new_password=new_password)

    # then the new password logs in, the old one does not
    callers.log_in(customer.email, new_password, name="after reset")
    expect_error(anonymous.accounts.raw_login(customer.email, customer.password),
                 HTTPStatus.UNAUTHORIZED)

    # and every refresh token issued before the reset is dead
    for refresh in (session.refresh, customer.refresh):
        expect_error(anonymous.accounts.raw_refresh(refresh), HTTPStatus.UNAUTHORIZED)


@allure.feature("Accounts")
@allure.story("Forgot and reset the password")
def test_customer_resets_by_phone_number(customer, callers, anonymous, sandbox, data):
    # given a customer who asks for a reset by their phone number
    received = len(sandbox.sms(customer.phone_number))
    anonymous.accounts.forgot_password(phone_number=customer.phone_number)

    # when they reset with the code of that SMS
    code = sandbox.code(customer.phone_number, nth=received + 1)
    new_password = data.password()
    anonymous.accounts.reset_password(phone_number=customer.phone_number, code=code,
                                      new_password=new_password)

    # then the new password logs in
    assert callers.log_in(customer.phone_number, new_password, name="after").id == customer.id


@allure.feature("Accounts")
@allure.story("Forgot and reset the password")
@pytest.mark.security
def test_forgot_password_does_not_reveal_accounts(customer, anonymous, sandbox, data):
    # given a registered customer, and an email and a phone nobody registered
    received = len(sandbox.sms(customer.phone_number))
    stranger_email, stranger_phone = data.email(), data.phone_number()

    # when someone asks for a reset of the customer (the call is served: positive control),
    # and of the strangers
    known = anonymous.accounts.forgot_password(email=customer.email)
    unknown_email = anonymous.accounts.raw_forgot_password(email=stranger_email)
    unknown_phone = anonymous.accounts.raw_forgot_password(phone_number=stranger_phone)

    # then every reply is the same 200
    replies = [unknown_email, unknown_phone]
    assert [r.status_code for r in replies] == [HTTPStatus.OK] * 2, [r.text for r in replies]
    bodies = [known, *(r.json() for r in replies)]
    assert bodies[0] == bodies[1] == bodies[2], (
        f"forgot-password must answer alike whatever the account: {bodies}")

    # and the code went to the customer's registered phone, nothing to the stranger's
    sandbox.wait_for_sms(customer.phone_number, count=received + 1)
    assert sandbox.sms(stranger_phone) == []


@allure.feature("Accounts")
@allure.story("Forgot and reset the password")
@pytest.mark.security
def test_reset_code_goes_to_the_registered_phone_only(customer, anonymous, sandbox, data):
    # given a reset asked by email reaches the customer's phone (positive control)
    received = len(sandbox.sms(customer.phone_number))
    anonymous.accounts.forgot_password(email=customer.email)
    sandbox.wait_for_sms(customer.phone_number, count=received + 1)

    # when an attacker who knows the email asks again, naming their own phone too
    attacker_phone = data.phone_number()
    reply = anonymous.accounts.raw_forgot_password(email=customer.email,
                                                   phone_number=attacker_phone)

    # then the reply is the usual 200 (or a refusal of the mixed request), and no code goes to
    # the phone in the request: at most one more goes to the registered phone
    if reply.status_code != HTTPStatus.OK:
        expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert sandbox.sms(attacker_phone) == []
    assert len(sandbox.sms(customer.phone_number)) <= received + 2
