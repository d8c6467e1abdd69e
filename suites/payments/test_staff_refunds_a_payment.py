"""Support staff refunds part of a captured payment; the refund is listed to the customer and
made at the gateway. A customer may not refund anything (403)."""

from decimal import Decimal
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import money
from fixtures.payments import paise, payments_of

pytestmark = [pytest.mark.money, pytest.mark.needs_staff]


@allure.feature("Payments")
@allure.story("Staff refunds")
def test_staff_refunds_part_of_an_online_payment(customer, staff, gateway, paid_order):
    (payment,) = payments_of(customer, paid_order["id"])
    part = (money(payment["amount"]) / 2).quantize(Decimal("0.01"))

    # when staff refunds half of it
    refund = staff.payments.refund(payment["id"], float(part), reason="Shirt came back torn")

    # then the refund is that amount, listed to the customer, and made at the gateway
    assert money(refund["amount"]) == part
    assert str(refund["payment_id"]) == str(payment["id"])
    listed = customer.payments.all_refunds()
    assert [r["id"] for r in listed] == [refund["id"]]
    held = gateway.gateway_payment(payment["gateway_payment_id"])
    assert held["payment"]["amount_refunded"] == paise(part)
    assert held["payment"]["refund_status"] == "partial"
    # the order stays paid: most of the money is still captured
    assert customer.orders.get(paid_order["id"])["payment_status"] == "paid"


@allure.feature("Payments")
@allure.story("Staff refunds")
def test_staff_refunds_a_wallet_payment_to_the_wallet(customer, staff, wallet_paid_order):
    (payment,) = payments_of(customer, wallet_paid_order["id"])
    balance = money(customer.wallet.get()["balance"])

    # when staff refunds 10 rupees of it
    staff.payments.refund(payment["id"], 10, reason="Late pickup")

    # then the wallet has them back as a refund
    assert money(customer.wallet.get()["balance"]) == balance + 10
    newest = customer.wallet.transactions()["results"][0]
    assert (newest["type"], money(newest["amount"])) == ("refund", Decimal("10"))


@allure.feature("Payments")
@allure.story("Staff refunds")
@pytest.mark.security
def test_customer_cannot_refund_themselves(customer, staff, wallet_paid_order):
    (payment,) = payments_of(customer, wallet_paid_order["id"])
    wallet = customer.wallet.get()

    # when the customer asks for a refund of their own payment
    reply = customer.payments.raw_refund(payment["id"], 10, reason="free money")

    # then it is 403, and nothing moved
    expect_error(reply, HTTPStatus.FORBIDDEN)
    assert customer.wallet.get() == wallet
    assert customer.payments.all_refunds() == []

    # while staff may (positive control)
    staff.payments.refund(payment["id"], 10)
    assert len(customer.payments.all_refunds()) == 1
