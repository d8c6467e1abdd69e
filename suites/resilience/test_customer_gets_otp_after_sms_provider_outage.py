"""While the SMS provider fails for one phone, asking for a code answers a clear 502/503; once
it recovers, the code arrives and verifies; other phones are never affected."""

from http import HTTPStatus

import allure

from fixtures.api import expect_error

DEPENDENCY_FAILED = (HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE)


@allure.feature("Resilience")
@allure.story("SMS provider outage")
def test_customer_gets_otp_after_sms_provider_outage(callers, sandbox):
    # given two unverified customers, each with the SMS of their registration
    stranded = callers.register(verify=False, name="stranded")
    neighbour = callers.register(verify=False, name="neighbour")
    sandbox.wait_for_sms(stranded.phone_number)
    sandbox.wait_for_sms(neighbour.phone_number)

    # when the SMS provider answers 5xx for the first customer's phone only
    with sandbox.fault("sms", "http_5xx", match={"to": stranded.phone_number}, status=500):
        # positive control: the other phone is served meanwhile
        neighbour.accounts.resend_otp(neighbour.phone_number)
        sandbox.wait_for_sms(neighbour.phone_number, count=2)

        reply = stranded.accounts.raw_resend_otp(stranded.phone_number)

        # then the app gets a dependency failure as the JSON envelope, and no SMS went out
        assert reply.status_code in DEPENDENCY_FAILED, (
            f"expected 502 or 503 while the SMS provider fails, got {reply.status_code}: "
            f"{reply.text[:300]}")
        expect_error(reply, reply.status_code)
        assert len(sandbox.sms(stranded.phone_number)) == 1

    # and once the provider recovers, a resend delivers a code that verifies
    stranded.accounts.resend_otp(stranded.phone_number)
    code = sandbox.code(stranded.phone_number, nth=2)
    verified = stranded.accounts.verify_otp(stranded.phone_number, code)
    assert verified["user"]["is_verified"] is True

    # and the other customer's newest code verifies too
    neighbour_code = sandbox.code(neighbour.phone_number, nth=2)
    assert neighbour.accounts.verify_otp(neighbour.phone_number,
                                         neighbour_code)["user"]["is_verified"] is True
