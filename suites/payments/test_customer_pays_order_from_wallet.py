"""A customer pays an order from their wallet: the balance is debited at once and the order is
paid; too little balance is 402 and nothing changes; an order already paid is a conflict."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import money

pytestmark = [pytest.mark.money]


@allure.feature("Payments")
@allure.story("Pay from the wallet")
def test_customer_pays_order_from_wallet(customer, wallet_with_balance, cash_order):
    balance = money(wallet_with_balance["balance"])

    # when the customer pays the order from the wallet
    payment = customer.payments.pay(cash_order["id"], method="wallet")

    # then it is captured at once, the order is paid, and the wallet shows the debit
    assert (payment["method"], payment["status"]) == ("wallet", "captured")
    assert money(payment["amount"]) == money(cash_order["total"])
    assert customer.orders.get(cash_order["id"])["payment_status"] == "paid"
    assert money(customer.wallet.get()["balance"]) == balance - money(cash_order["total"])
    newest = customer.wallet.transactions()["results"][0]
    assert (newest["type"], newest["status"], str(newest["order_id"])) == \
        ("debit", "completed", str(cash_order["id"]))
    assert money(newest["amount"]) == money(cash_order["total"])
    assert money(newest["balance_after"]) == balance - money(cash_order["total"])


@allure.feature("Payments")
@allure.story("Pay from the wallet")
def test_too_little_balance_is_402_and_nothing_changes(customer, cash_order):
    # given an empty wallet
    wallet = customer.wallet.get()
    assert money(wallet["balance"]) == 0

    # when the customer pays the order from it
    reply = customer.payments.raw_pay(cash_order["id"], method="wallet")

    # then it is 402, and the wallet, its transactions, the payments and the order are as before
    expect_error(reply, HTTPStatus.PAYMENT_REQUIRED)
    assert customer.wallet.get() == wallet
    assert customer.wallet.transactions()["count"] == 0
    assert customer.orders.get(cash_order["id"])["payment_status"] == "unpaid"
    assert [p for p in customer.payments.all() if p["status"] == "captured"] == []


@allure.feature("Payments")
@allure.story("Pay from the wallet")
@pytest.mark.parametrize("method", ["wallet", "online", "cash"])
def test_paying_a_paid_order_again_is_refused(customer, wallet_paid_order, method):
    # given an order paid from the wallet
    wallet = customer.wallet.get()
    payments = customer.payments.all()

    # when the customer pays it again, any way
    reply = customer.payments.raw_pay(wallet_paid_order["id"], method=method)

    # then it is a conflict, and nothing is charged twice
    expect_error(reply, HTTPStatus.CONFLICT)
    assert customer.wallet.get() == wallet
    assert customer.payments.all() == payments
