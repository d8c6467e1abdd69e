"""A customer pays an order online by card: with the card they saved, and with a new card at
checkout; a declined card leaves the order unpaid with the bank's reason."""

import allure
import pytest

from fixtures.gateway import DECLINED_CARD, MASTERCARD, checkout_failed
from fixtures.payments import card_details, checkout_card, paise, pay_online

pytestmark = [pytest.mark.money]


@allure.feature("Payments")
@allure.story("Pay online by card")
def test_customer_pays_order_with_saved_card(customer, gateway, unpaid_order, saved_card,
                                             visa_card):
    # when the customer pays with their saved card (entering its CVV at checkout)
    paid = pay_online(customer, gateway, unpaid_order["id"], saved_method_id=saved_card["id"],
                      card=checkout_card(visa_card))

    # then the payment is captured by card, for the order's total, and the order is paid
    assert paid.payment["status"] == "captured"
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"
    charged = gateway.gateway_payment(paid.payment["gateway_payment_id"])["payment"]
    assert (charged["method"], charged["status"]) == ("card", "captured")
    assert charged["amount"] == paise(unpaid_order["total"])
    assert charged["card"]["last4"] == saved_card["last4"]


@allure.feature("Payments")
@allure.story("Pay online by card")
def test_customer_pays_order_with_a_new_card(customer, gateway, unpaid_order, data):
    # when the customer pays by a MasterCard they have not saved
    card = card_details(data, MASTERCARD)
    paid = pay_online(customer, gateway, unpaid_order["id"], card=checkout_card(card))

    # then the order is paid, and the card was not saved along the way
    assert paid.payment["status"] == "captured"
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"
    assert customer.payments.list_methods()["count"] == 0


@allure.feature("Payments")
@allure.story("Pay online by card")
def test_a_declined_card_leaves_the_order_unpaid(customer, gateway, online_payment, data,
                                                 unpaid_order):
    # when the bank declines the card at checkout
    declined = card_details(data, DECLINED_CARD)
    reply = gateway.checkout(online_payment["gateway_order_id"], card=checkout_card(declined))
    assert checkout_failed(reply), reply
    gateway.wait_for_webhook(order_id=online_payment["gateway_order_id"],
                             event="payment.failed")

    # then the order is unpaid, and the payment failed with a reason the customer can read
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "unpaid"
    payment = customer.payments.get(online_payment["id"])
    assert payment["status"] == "failed"
    assert len(payment["failure_reason"] or "") > 10, payment
