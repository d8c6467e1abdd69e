"""Payments and wallet integrity: a balance that covers two and a half orders pays exactly two,
however many are paid from it at the same moment. Six orders of one total paid from the wallet
at once: two are paid (201), four are refused (402), and the balance ends at the half order
left over, never below zero, each debit leaving the balance it says. Row locks (or their
equivalent) are what this rests on, so it is run on the scaled profile too."""

from decimal import Decimal
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.concurrency import at_once
from fixtures.orders import money
from fixtures.payments import top_up

pytestmark = [pytest.mark.security, pytest.mark.money]

ORDERS = 6
AFFORDED = 2
PAISA = Decimal("0.01")


@allure.feature("Security: payments integrity")
@allure.story("Concurrent wallet debits")
def test_concurrent_payments_from_one_balance_never_overdraw_it(customer, callers, gateway,
                                                                order_body):
    # given six unpaid orders of the same single line, so of one total
    line = order_body["items"][0] | {"quantity": 1}
    orders = [customer.orders.create(**(order_body | {"items": [line]})) for _ in range(ORDERS)]
    totals = {money(order["total"]) for order in orders}
    assert len(totals) == 1, totals
    (total,) = totals
    # and a wallet holding two and a half times that total
    balance = (total * AFFORDED + total / 2).quantize(PAISA)
    top_up(customer, gateway, balance)
    assert money(customer.wallet.get()["balance"]) == balance

    # when all six are paid from the wallet at once, each from an app connection of its own
    apps = [callers.twin(customer, f"app {n}") for n in range(ORDERS)]
    replies = at_once([lambda app=app, order=order: app.payments.raw_pay(order["id"],
                                                                         method="wallet")
                       for app, order in zip(apps, orders, strict=True)])

    # then exactly two were paid (the positive control), the others refused for want of
    # balance
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [HTTPStatus.CREATED] * AFFORDED + \
        [HTTPStatus.PAYMENT_REQUIRED] * (ORDERS - AFFORDED), \
        [f"{r.status_code} {r.text[:200]}" for r in replies]
    for reply in replies:
        if reply.status_code != HTTPStatus.CREATED:
            expect_error(reply, HTTPStatus.PAYMENT_REQUIRED)

    # and the balance is what was left over, after one debit of the total per paid order
    assert money(customer.wallet.get()["balance"]) == balance - total * AFFORDED
    transactions = customer.wallet.all_transactions()
    debits = [t for t in transactions if t["type"] == "debit" and t["status"] == "completed"]
    assert [money(t["amount"]) for t in debits] == [total] * AFFORDED
    paid = {str(o["id"]) for o in customer.orders.all() if o["payment_status"] == "paid"}
    assert paid == {str(t["order_id"]) for t in debits}

    # and each debit left the balance it says, none of them below zero
    after = sorted(money(t["balance_after"]) for t in debits)
    assert after == [balance - total * AFFORDED, balance - total], after
