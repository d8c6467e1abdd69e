"""Payments and wallet integrity: verify and the gateway's webhooks race for every top-up, 50
top-ups at once, each from an app connection of its own; each payment credits the wallet
exactly once, and the balance is the sum of the top-ups."""

from decimal import Decimal
from http import HTTPStatus

import allure
import pytest

from fixtures.concurrency import at_once
from fixtures.orders import money

pytestmark = [pytest.mark.security, pytest.mark.money]

TOP_UPS = 50


@allure.feature("Security: payments integrity")
@allure.story("Verify and webhook race")
def test_fifty_top_ups_racing_their_webhooks_credit_once_each(customer, callers, gateway):
    # given 50 top-ups of different amounts started, each on a connection of its own
    apps = [callers.twin(customer, f"app {n}") for n in range(TOP_UPS)]
    amounts = [Decimal(10 + n) for n in range(TOP_UPS)]
    started = [app.wallet.add_money(amount=int(value)) for app, value in zip(apps, amounts,
                                                                             strict=True)]

    # when all 50 are paid at checkout at once, and each app verifies the moment checkout
    # answers, while the gateway's webhooks for it are already on their way
    def pay(app, top_up):
        receipt = gateway.checkout(top_up["gateway_order_id"])
        return app.payments.raw_verify(top_up["payment_id"], receipt)

    replies = at_once([lambda app=app, top_up=top_up: pay(app, top_up)
                       for app, top_up in zip(apps, started, strict=True)])

    # then every verify succeeded and every webhook was taken (2xx)
    assert [reply.status_code for reply in replies] == [HTTPStatus.OK] * TOP_UPS, \
        [f"{r.status_code} {r.text[:200]}" for r in replies if r.status_code != HTTPStatus.OK]
    for top_up in started:
        gateway.wait_for_checkout_webhooks(top_up["gateway_order_id"])

    # and each payment was credited exactly once: the balance is the sum of the top-ups
    assert money(customer.wallet.get()["balance"]) == sum(amounts)
    credits = [t for t in customer.wallet.all_transactions()
               if t["type"] == "credit" and t["status"] == "completed"]
    assert sorted(str(t["payment_id"]) for t in credits) == \
        sorted(str(top_up["payment_id"]) for top_up in started)
    assert sorted(money(t["amount"]) for t in credits) == sorted(amounts)
