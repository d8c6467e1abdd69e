"""A new customer registers, reads the code the SMS brings, and verifies their phone."""

import allure


@allure.feature("Accounts")
@allure.story("Register and verify the phone by SMS")
def test_customer_registers_and_verifies_phone_by_sms(callers, sandbox):
    # given a person who has just registered, not yet verified
    newcomer = callers.register(verify=False, name="newcomer")
    assert newcomer.user["is_verified"] is False
    assert newcomer.accounts.me()["is_verified"] is False

    # when they type the 6-digit code the one SMS to their phone brings
    inbox = sandbox.wait_for_sms(newcomer.phone_number)
    assert len(inbox) == 1, f"registration must send one SMS, the inbox holds {inbox}"
    code = sandbox.code(newcomer.phone_number)
    reply = newcomer.accounts.verify_otp(newcomer.phone_number, code)

    # then their account is verified, and stays so
    assert str(reply["user"]["id"]) == newcomer.id
    assert reply["user"]["is_verified"] is True
    me = newcomer.accounts.me()
    assert me["is_verified"] is True
    assert (me["email"], me["phone_number"]) == (newcomer.email, newcomer.phone_number)
    assert me["role"] == "customer"
