"""A customer adds money to the wallet: add-money gives a gateway order (test key) and a
pending credit; the balance moves only once the payment is verified; the gateway's webhooks
also arrive, and the money is credited exactly once."""

from decimal import Decimal

import allure
import pytest

from fixtures.api.payments import TEST_KEY_PREFIX
from fixtures.gateway import CHECKOUT_EVENTS, FAILURE_VPA, checkout_failed
from fixtures.orders import money
from fixtures.payments import top_up

pytestmark = [pytest.mark.money]


@allure.feature("Wallet")
@allure.story("Top up through the gateway")
def test_customer_tops_up_wallet_through_checkout(customer, gateway):
    # given an empty wallet, made on first use
    wallet = customer.wallet.get()
    assert (money(wallet["balance"]), wallet["currency"]) == (0, "INR")

    # Step 1 - the customer asks to add 750.50
    with allure.step("add-money: a gateway order and a pending credit"):
        started = customer.wallet.add_money(amount=750.50)
    assert money(started["amount"]) == Decimal("750.50")
    assert started["key_id"].startswith(TEST_KEY_PREFIX)
    assert started["currency"] == "INR"
    assert started["payment_url"]
    assert gateway.gateway_order(started["gateway_order_id"])["order"]["amount"] == 75050
    (pending,) = customer.wallet.all_transactions()
    assert (pending["type"], pending["status"]) == ("credit", "pending")
    assert str(pending["id"]) == str(started["transaction_id"])
    assert money(customer.wallet.get()["balance"]) == 0

    # Step 2 - they pay at checkout, and the app verifies
    with allure.step("checkout and verify"):
        receipt = gateway.checkout(started["gateway_order_id"])
        payment = customer.payments.verify(started["payment_id"], receipt)
    assert (payment["purpose"], payment["status"]) == ("wallet_topup", "captured")
    assert money(customer.wallet.get()["balance"]) == Decimal("750.50")

    # Step 3 - the gateway's webhooks arrive as well, and credit nothing more
    with allure.step("the webhooks are delivered"):
        deliveries = gateway.wait_for_checkout_webhooks(started["gateway_order_id"])
    assert sorted(d["event"] for d in deliveries) == sorted(CHECKOUT_EVENTS)
    assert money(customer.wallet.get()["balance"]) == Decimal("750.50")
    (credit,) = customer.wallet.all_transactions()
    assert (credit["id"], credit["type"], credit["status"]) == \
        (pending["id"], "credit", "completed")
    assert money(credit["balance_after"]) == Decimal("750.50")
    assert str(credit["payment_id"]) == str(started["payment_id"])


@allure.feature("Wallet")
@allure.story("Top up through the gateway")
def test_a_webhook_alone_credits_the_wallet(customer, gateway):
    # given a top-up paid at checkout, whose app never came back to verify it
    started = customer.wallet.add_money(amount=300)
    gateway.checkout(started["gateway_order_id"])

    # when the gateway's webhooks are delivered
    gateway.wait_for_checkout_webhooks(started["gateway_order_id"])

    # then the wallet is credited, once, from the gateway's word alone
    assert money(customer.wallet.get()["balance"]) == 300
    assert customer.payments.get(started["payment_id"])["status"] == "captured"


@allure.feature("Wallet")
@allure.story("Top up through the gateway")
def test_a_failed_top_up_credits_nothing(customer, gateway):
    # when the customer's UPI app declines the top-up
    started = customer.wallet.add_money(amount=400)
    reply = gateway.checkout(started["gateway_order_id"], vpa=FAILURE_VPA)
    assert checkout_failed(reply), reply
    gateway.wait_for_webhook(order_id=started["gateway_order_id"], event="payment.failed")

    # then the balance is unchanged, the credit failed, and so did the payment, with a reason
    assert money(customer.wallet.get()["balance"]) == 0
    (credit,) = customer.wallet.all_transactions()
    assert credit["status"] == "failed"
    payment = customer.payments.get(started["payment_id"])
    assert payment["status"] == "failed", payment
    assert payment["failure_reason"], payment


@allure.feature("Wallet")
@allure.story("Top up through the gateway")
def test_transactions_are_listed_newest_first(customer, gateway):
    # given three top-ups made in turn
    for value in (100, 200, 300):
        top_up(customer, gateway, value)

    # when the customer reads their transactions
    page = customer.wallet.transactions()

    # then they are newest first, each with the balance it left
    assert [money(t["amount"]) for t in page["results"]] == [300, 200, 100]
    assert [money(t["balance_after"]) for t in page["results"]] == [600, 300, 100]
    assert money(customer.wallet.get()["balance"]) == 600
