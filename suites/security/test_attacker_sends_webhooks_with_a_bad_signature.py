"""Payments and wallet integrity: the webhook endpoint takes only what the gateway signed, over
the exact bytes it sent. A webhook with a wrong, missing or empty X-Razorpay-Signature, or a
body re-serialised after signing, is refused (400) and credits nothing; the genuine event is
then still taken (200) and credits once, however often it comes."""

import json
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import money

pytestmark = [pytest.mark.security, pytest.mark.money]


@allure.feature("Security: payments integrity")
@allure.story("Webhook signature")
def test_webhooks_signed_with_a_wrong_secret_are_refused(customer, gateway):
    # given a normal top-up paid at checkout is credited by its webhooks alone (positive
    # control: the endpoint takes the gateway's genuine webhooks)
    control = customer.wallet.add_money(amount=150)
    gateway.checkout(control["gateway_order_id"])
    gateway.wait_for_checkout_webhooks(control["gateway_order_id"])
    assert money(customer.wallet.get()["balance"]) == 150

    # when another top-up is paid, and the gateway's webhooks for it come signed with a
    # wrong secret (sandbox fault webhook_bad_signature, this gateway order only)
    started = customer.wallet.add_money(amount=700)
    oid = started["gateway_order_id"]
    with gateway.fault("webhook_bad_signature", match={"order_id": oid}):
        gateway.checkout(oid)
    deliveries = gateway.settled_webhooks(order_id=oid, count=3)

    # then the backend answered every attempt 400, as the delivery log shows
    for delivery in deliveries:
        assert delivery["state"] == "failed", delivery
        assert {a["status_code"] for a in delivery["attempts"]} == {HTTPStatus.BAD_REQUEST}, \
            delivery["attempts"]

    # and nothing was credited for it
    assert money(customer.wallet.get()["balance"]) == 150
    assert customer.payments.get(started["payment_id"])["status"] in ("created", "pending")


@allure.feature("Security: payments integrity")
@allure.story("Webhook signature")
def test_a_webhook_without_a_true_signature_is_refused(customer, anonymous, gateway):
    # given a top-up paid at checkout whose webhooks the backend refused (wrong secret), so
    # that its payment.captured event is still unprocessed
    started = customer.wallet.add_money(amount=600)
    oid = started["gateway_order_id"]
    with gateway.fault("webhook_bad_signature", match={"order_id": oid}):
        gateway.checkout(oid)
    (captured,) = gateway.settled_webhooks(order_id=oid, event="payment.captured")
    body, event_id = captured["body"], captured["event_id"]
    true_signature = gateway.webhook_signature(body)
    reserialised = json.dumps(json.loads(body), indent=2, sort_keys=True)
    assert reserialised != body

    # when someone posts that event without a true signature of its exact bytes
    attempts = {
        "no signature": anonymous.payments.raw_webhook(body, event_id=event_id),
        "an empty signature": anonymous.payments.raw_webhook(body, signature="",
                                                             event_id=event_id),
        "the wrong secret's signature": anonymous.payments.raw_webhook(
            body, signature=captured["signature"], event_id=event_id),
        "the body re-serialised": anonymous.payments.raw_webhook(
            reserialised, signature=true_signature, event_id=event_id),
        "the body re-serialised, no event id": anonymous.payments.raw_webhook(
            reserialised, signature=true_signature),
    }

    # then each is refused, and nothing is credited
    for name, reply in attempts.items():
        with allure.step(f"webhook with {name}"):
            expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert money(customer.wallet.get()["balance"]) == 0

    # while the genuine event, posted byte for byte with its true signature, is taken (200)
    # and credits (positive control: the forgeries did not spoil its event id either)
    genuine = anonymous.payments.raw_webhook(body, signature=true_signature, event_id=event_id)
    assert genuine.status_code == HTTPStatus.OK, genuine.text[:300]
    assert money(customer.wallet.get()["balance"]) == 600
    assert customer.payments.get(started["payment_id"])["status"] == "captured"

    # and the gateway delivering it again credits nothing more
    gateway.wait_for_delivery(gateway.redeliver(event_id))
    assert money(customer.wallet.get()["balance"]) == 600
