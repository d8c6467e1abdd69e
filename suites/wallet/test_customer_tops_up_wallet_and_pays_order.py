"""A customer adds money through the gateway, then pays an order from the wallet."""

from decimal import Decimal

import allure
import pytest

from fixtures.orders import money

pytestmark = [pytest.mark.money]

TOP_UP = Decimal("2500")  # more than any `affordable` order costs


@allure.feature("Wallet")
@allure.story("Top up through the gateway, pay from the wallet")
def test_customer_tops_up_wallet_and_pays_order(customer, gateway, cash_order, ledger):
    # given a customer with an empty wallet and an unpaid order
    assert money(customer.wallet.get()["balance"]) == 0

    # when they add 2,500 through checkout and pay the order from the wallet
    top_up = customer.wallet.add_money(amount=int(TOP_UP))
    receipt = gateway.checkout(top_up["gateway_order_id"], vpa="success@razorpay")
    customer.payments.verify(top_up["payment_id"], receipt)
    customer.payments.pay(cash_order["id"], method="wallet")

    # then the order is paid and the wallet shows both movements
    assert customer.orders.get(cash_order["id"])["payment_status"] == "paid"
    assert money(customer.wallet.get()["balance"]) == TOP_UP - money(cash_order["total"])
    assert [t["type"] for t in customer.wallet.transactions()["results"]] == ["debit", "credit"]
    ledger.assert_consistent(customer)
