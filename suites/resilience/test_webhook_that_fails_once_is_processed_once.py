"""A webhook whose first delivery the gateway counts as failed (the reply was lost) comes again
with the same event id: the backend answers both and acts once."""

import allure
import pytest

from fixtures.orders import money

pytestmark = [pytest.mark.money]


@allure.feature("Resilience")
@allure.story("Webhook redelivery")
def test_a_webhook_that_fails_once_credits_once(customer, gateway):
    # given a top-up whose payment.captured webhook's first reply the gateway loses
    started = customer.wallet.add_money(amount=640)
    oid = started["gateway_order_id"]
    with gateway.fault("webhook_fail_once", match={"order_id": oid,
                                                   "event": "payment.captured"}):
        # when the customer pays at checkout (webhooks only: the app never verifies)
        gateway.checkout(oid)
    (captured,) = gateway.wait_for_webhook(order_id=oid, event="payment.captured")
    gateway.wait_for_webhook(order_id=oid, event="order.paid")

    # then the backend saw the event twice: once answered but counted lost, once delivered
    outcomes = [attempt["outcome"] for attempt in captured["attempts"]]
    assert outcomes == ["reply_lost", "delivered"], captured["attempts"]
    assert 200 <= captured["attempts"][0]["status_code"] < 300

    # and credited the wallet once
    assert money(customer.wallet.get()["balance"]) == 640
    credits = [t for t in customer.wallet.all_transactions() if t["status"] == "completed"]
    assert [money(t["amount"]) for t in credits] == [640]


@allure.feature("Resilience")
@allure.story("Webhook redelivery")
def test_an_order_webhook_that_fails_once_pays_once(customer, gateway, online_payment,
                                                    unpaid_order):
    oid = online_payment["gateway_order_id"]
    with gateway.fault("webhook_fail_once", match={"order_id": oid, "event": "order.paid"}):
        gateway.checkout(oid)
    (paid,) = gateway.wait_for_webhook(order_id=oid, event="order.paid")
    assert [a["outcome"] for a in paid["attempts"]] == ["reply_lost", "delivered"]

    # the order is paid once, and no stray credit or refund reached the wallet
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"
    assert customer.payments.get(online_payment["id"])["status"] == "captured"
    assert customer.wallet.all_transactions() == []
