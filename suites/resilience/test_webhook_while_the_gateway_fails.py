"""A genuine webhook that arrives while the gateway fails the backend's own calls about its
payment (5xx, or no answer in time) is answered 502/503/504, so that the gateway delivers it
again, and credits nothing; once the gateway is back the same event is taken and credits once,
however often it comes."""

import time
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import money

pytestmark = [pytest.mark.money]

DEPENDENCY_FAILED = (HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE,
                     HTTPStatus.GATEWAY_TIMEOUT)
# how long the sandbox holds a timed-out call: shorter than any sane backend timeout, so the
# backend sees the gateway's own 504 and the case stays quick
HOLD_SECONDS = 2
# how long the gateway may wait for the backend's answer to a webhook
BOUNDED_SECONDS = 15
TOP_UP = 300


def answered_quickly(call):
    started = time.monotonic()
    reply = call()
    waited = time.monotonic() - started
    assert waited < BOUNDED_SECONDS, f"the webhook waited {waited:.1f} s for an answer"
    return reply


@allure.feature("Resilience")
@allure.story("Payment gateway outage")
def test_a_webhook_is_refused_while_the_gateway_fails_and_taken_once_after(customer, anonymous,
                                                                          gateway):
    # given a top-up paid at checkout whose own webhooks the backend refused (the sandbox
    # signed them with a wrong secret), so that its payment.captured event is unprocessed
    started = customer.wallet.add_money(amount=TOP_UP)
    oid = started["gateway_order_id"]
    with gateway.fault("webhook_bad_signature", match={"order_id": oid}):
        gateway.checkout(oid)
    (captured,) = gateway.settled_webhooks(order_id=oid, event="payment.captured")
    body, event_id = captured["body"], captured["event_id"]
    signature = gateway.webhook_signature(body)
    (paid,) = gateway.gateway_order(oid)["payments"]

    def deliver():
        return anonymous.payments.raw_webhook(body, signature=signature, event_id=event_id)

    # when the genuine event comes while the gateway fails every call about its payment
    for fault, options in (("http_5xx", {"status": 500}), ("timeout", {"seconds": HOLD_SECONDS})):
        with allure.step(f"the webhook while the gateway's {fault}"), \
                gateway.fault(fault, match={"payment_id": paid["id"]}, **options):
            reply = answered_quickly(deliver)
        # then it is answered with a dependency failure (the gateway will deliver it again),
        # as the envelope, and nothing is credited
        assert reply.status_code in DEPENDENCY_FAILED, reply.text[:300]
        expect_error(reply, reply.status_code)
        assert money(customer.wallet.get()["balance"]) == 0

    # and once the gateway is back, the same event is taken and credits (positive control)
    taken = deliver()
    assert taken.status_code == HTTPStatus.OK, taken.text[:300]
    assert money(customer.wallet.get()["balance"]) == TOP_UP
    assert customer.payments.get(started["payment_id"])["status"] == "captured"

    # and delivered again, it credits nothing more
    again = deliver()
    assert again.status_code == HTTPStatus.OK, again.text[:300]
    assert money(customer.wallet.get()["balance"]) == TOP_UP
