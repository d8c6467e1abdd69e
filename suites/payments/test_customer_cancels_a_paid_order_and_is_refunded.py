"""A customer cancels an order they already paid: the money goes back where it came from (to
the wallet for a wallet payment, through the gateway for an online one), the order reads
`refunded`, and the refund is listed, in full, never more."""

import allure
import pytest

from fixtures.orders import money
from fixtures.payments import paise, payments_of

pytestmark = [pytest.mark.money]


@allure.feature("Payments")
@allure.story("Refund on cancellation")
def test_a_wallet_paid_order_is_refunded_to_the_wallet(customer, wallet_paid_order):
    balance = money(customer.wallet.get()["balance"])
    total = money(wallet_paid_order["total"])

    # when the customer cancels the paid order
    cancelled = customer.orders.cancel(wallet_paid_order["id"], reason="Plans changed")

    # then it is cancelled and refunded, and the wallet has the money back as a refund
    assert (cancelled["status"], cancelled["payment_status"]) == ("cancelled", "refunded")
    assert money(customer.wallet.get()["balance"]) == balance + total
    newest = customer.wallet.transactions()["results"][0]
    assert (newest["type"], newest["status"]) == ("refund", "completed")
    assert money(newest["amount"]) == total
    assert str(newest["order_id"]) == str(wallet_paid_order["id"])
    refunds = customer.payments.all_refunds()
    assert [(str(r["order_id"]), money(r["amount"])) for r in refunds] == \
        [(str(wallet_paid_order["id"]), total)]


@allure.feature("Payments")
@allure.story("Refund on cancellation")
def test_an_online_paid_order_is_refunded_through_the_gateway(customer, gateway, paid_order):
    (payment,) = payments_of(customer, paid_order["id"])
    total = money(paid_order["total"])

    # when the customer cancels the order they paid online
    cancelled = customer.orders.cancel(paid_order["id"], reason="Plans changed")

    # then it is cancelled and refunded; the wallet is untouched
    assert (cancelled["status"], cancelled["payment_status"]) == ("cancelled", "refunded")
    assert money(customer.wallet.get()["balance"]) == 0

    # and the refund is listed, for the whole payment
    refunds = customer.payments.all_refunds()
    assert [(str(r["payment_id"]), money(r["amount"])) for r in refunds] == \
        [(str(payment["id"]), total)]
    assert refunds[0]["status"] in ("pending", "processed")

    # and the gateway refunded its payment in full
    held = gateway.gateway_payment(payment["gateway_payment_id"])
    assert [r["amount"] for r in held["refunds"]] == [paise(total)]
    assert (held["payment"]["amount_refunded"], held["payment"]["refund_status"]) == \
        (paise(total), "full")
    gateway.wait_for_webhook(payment_id=payment["gateway_payment_id"],
                             event="refund.processed")
    assert customer.payments.all_refunds()[0]["status"] == "processed"
