"""Payments and wallet integrity: a balance that pays one order pays exactly one. Twenty orders
of that total paid from the wallet at the same moment: one is paid (201), the other nineteen
are refused (402), and the balance ends at zero, never below."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.concurrency import at_once
from fixtures.orders import money
from fixtures.payments import top_up

pytestmark = [pytest.mark.security, pytest.mark.money]

ORDERS = 20


@allure.feature("Security: payments integrity")
@allure.story("Concurrent wallet debits")
def test_twenty_concurrent_debits_of_the_whole_balance_pay_one_order(customer, callers,
                                                                     gateway, order_body):
    # given 20 unpaid orders of the same single line, so of one total
    line = order_body["items"][0] | {"quantity": 1}
    orders = [customer.orders.create(**(order_body | {"items": [line]})) for _ in range(ORDERS)]
    totals = {money(order["total"]) for order in orders}
    assert len(totals) == 1, totals
    (total,) = totals
    # and a wallet holding exactly that total
    top_up(customer, gateway, total)
    assert money(customer.wallet.get()["balance"]) == total

    # when all 20 are paid from the wallet at once, each from an app connection of its own
    apps = [callers.twin(customer, f"app {n}") for n in range(ORDERS)]
    replies = at_once([lambda app=app, order=order: app.payments.raw_pay(order["id"],
                                                                         method="wallet")
                       for app, order in zip(apps, orders, strict=True)])

    # then exactly one was paid, and every other one was refused for want of balance
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [HTTPStatus.CREATED] + [HTTPStatus.PAYMENT_REQUIRED] * (ORDERS - 1), \
        [f"{r.status_code} {r.text[:200]}" for r in replies]
    for reply in replies:
        if reply.status_code != HTTPStatus.CREATED:
            expect_error(reply, HTTPStatus.PAYMENT_REQUIRED)

    # and the balance is zero, one debit was made, and no balance along the way was negative
    assert money(customer.wallet.get()["balance"]) == 0
    transactions = customer.wallet.all_transactions()
    debits = [t for t in transactions if t["type"] == "debit" and t["status"] == "completed"]
    assert [money(t["amount"]) for t in debits] == [total]
    assert all(money(t["balance_after"]) >= 0 for t in transactions
               if t["balance_after"] is not None)
    paid = [str(o["id"]) for o in customer.orders.all() if o["payment_status"] == "paid"]
    assert paid == [str(debits[0]["order_id"])]
