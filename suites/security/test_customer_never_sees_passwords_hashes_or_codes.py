"""Property level: no reply of the account calls carries a password, a password hash or an OTP."""

import re
from http import HTTPStatus

import allure
import pytest

pytestmark = [pytest.mark.security]

SECRET_KEY_NAME = re.compile(r"pass|hash|otp|secret|salt|^code$", re.IGNORECASE)
HASH = re.compile(r"argon2|pbkdf2|bcrypt|\$2[aby]\$|sha1\$|md5\$", re.IGNORECASE)


def leaks(body: object, password: str, codes: dict[str, str], path: str = "") -> list[str]:
    """Where in a JSON body a secret shows: a field named like one, the password anywhere in a
    string, a value that is one of the codes, or something shaped like a password hash."""
    found = []
    if isinstance(body, dict):
        for key, value in body.items():
            if SECRET_KEY_NAME.search(str(key)):
                found.append(f"{path}/{key}: a field named like a secret")
            found += leaks(value, password, codes, f"{path}/{key}")
    elif isinstance(body, list):
        for index, value in enumerate(body):
            found += leaks(value, password, codes, f"{path}/{index}")
    elif isinstance(body, str | int) and not isinstance(body, bool):
        text = str(body)
        if password in text:
            found.append(f"{path}: the password")
        # a code is six digits: compared whole, since timestamps and phones hold digit runs
        found += [f"{path}: the {name}" for name, code in codes.items() if text == code]
        if HASH.search(text):
            found.append(f"{path}: looks like a password hash")
    return found


@allure.feature("Security: property level")
@allure.story("No secrets in replies")
def test_account_replies_carry_no_password_hash_or_code(callers, anonymous, sandbox, data):
    # given a person registering, verifying, logging in, reading and editing their profile
    body = data.person()
    registered = anonymous.accounts.raw_register(**body)
    otp = sandbox.code(body["phone_number"])
    newcomer = callers.log_in(body["email"], body["password"], name="newcomer")
    verified = newcomer.accounts.raw_verify_otp(body["phone_number"], otp)
    logged_in = anonymous.accounts.raw_login(body["email"], body["password"])
    me = newcomer.accounts.raw_me()
    edited = newcomer.accounts.raw_update_me(full_name=data.faker.name())
    received = len(sandbox.sms(body["phone_number"]))
    forgot = anonymous.accounts.raw_forgot_password(email=body["email"])
    reset_code = sandbox.code(body["phone_number"], nth=received + 1)

    # then every call succeeded (positive control) ...
    replies = {"register": registered, "verify-otp": verified, "login": logged_in, "me": me,
               "PATCH me": edited, "forgot-password": forgot}
    expected = {name: HTTPStatus.OK for name in replies} | {"register": HTTPStatus.CREATED}
    assert {name: r.status_code for name, r in replies.items()} == expected, {
        name: r.text[:300] for name, r in replies.items()}

    # ... and none carries the password, a hash, the OTP or the reset code
    codes = {"OTP": otp, "reset code": reset_code}
    found = {name: leaks(r.json(), body["password"], codes) for name, r in replies.items()}
    assert not {name: where for name, where in found.items() if where}, found
    for name, reply in replies.items():
        assert body["password"] not in reply.text, f"{name} echoes the password"
