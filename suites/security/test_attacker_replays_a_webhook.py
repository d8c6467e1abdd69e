"""Payments and wallet integrity: the gateway delivers at least once, so the same event may come
many times, also at the same moment; each copy is answered 2xx and the effect happens once."""

import allure
import pytest

from fixtures.concurrency import at_once
from fixtures.gateway import CHECKOUT_EVENTS
from fixtures.orders import money
from fixtures.payments import top_up

pytestmark = [pytest.mark.security, pytest.mark.money]

COPIES = 3


@allure.feature("Security: payments integrity")
@allure.story("Webhook replay")
def test_the_same_webhook_three_times_at_once_credits_once(customer, gateway):
    # given a top-up whose every webhook the gateway sends three times at once, byte for byte
    started = customer.wallet.add_money(amount=450)
    oid = started["gateway_order_id"]
    with gateway.fault("webhook_duplicate", match={"order_id": oid}, copies=COPIES):
        # when the customer pays at checkout (and the app never verifies: webhooks only)
        gateway.checkout(oid)
    deliveries = gateway.wait_for_webhook(order_id=oid, count=COPIES * len(CHECKOUT_EVENTS))

    # then every copy was answered 2xx, each event came as three copies of one event id
    assert len({d["event_id"] for d in deliveries}) == len(CHECKOUT_EVENTS)
    assert sorted(d["copy"] for d in deliveries) == sorted(list(range(1, COPIES + 1)) * 3)

    # and the wallet was credited once
    assert money(customer.wallet.get()["balance"]) == 450
    credits = [t for t in customer.wallet.all_transactions() if t["status"] == "completed"]
    assert [(t["type"], money(t["amount"])) for t in credits] == [("credit", 450)]


@allure.feature("Security: payments integrity")
@allure.story("Webhook replay")
def test_an_order_webhook_three_times_at_once_pays_once(customer, gateway, online_payment,
                                                        unpaid_order):
    oid = online_payment["gateway_order_id"]
    with gateway.fault("webhook_duplicate", match={"order_id": oid}, copies=COPIES):
        gateway.checkout(oid)
    gateway.wait_for_webhook(order_id=oid, count=COPIES * len(CHECKOUT_EVENTS))

    # the order is paid once; no stray refund or credit reached the wallet
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"
    assert customer.payments.get(online_payment["id"])["status"] == "captured"
    assert customer.wallet.all_transactions() == []


@allure.feature("Security: payments integrity")
@allure.story("Webhook replay")
def test_replayed_webhooks_change_nothing(customer, gateway):
    # given a top-up verified, its webhooks delivered (positive control: credited once)
    done = top_up(customer, gateway, 333)
    assert money(customer.wallet.get()["balance"]) == 333
    events = {d["event"]: d["event_id"] for d in gateway.webhooks(order_id=done.gateway_order_id)}
    before = customer.wallet.all_transactions()

    # when an attacker replays the captured events, three times each, at once
    replays = at_once([lambda event_id=event_id: gateway.redeliver(event_id)
                       for event_id in events.values() for _ in range(COPIES)])

    # then every replay is answered 2xx (delivered, in the gateway's log) and nothing changes
    for replay in replays:
        assert replay["reason"] == "replay"
        gateway.wait_for_delivery(replay)
    assert money(customer.wallet.get()["balance"]) == 333
    assert customer.wallet.all_transactions() == before
