"""Object level: customer B never sees customer A's wallet, wallet transactions, payments or
refunds (a `?user=` filter is ignored), cannot read or verify A's payment (404), and A's money
is untouched."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import money
from fixtures.payments import money_state, payments_of

pytestmark = [pytest.mark.security, pytest.mark.money]


@allure.feature("Security: object level")
@allure.story("Another customer's wallet and payments")
def test_customer_never_sees_another_customers_money(customer, other_customer,
                                                     wallet_paid_order):
    # given A has a topped-up wallet, a wallet-paid order and its payments (positive control)
    a_wallet = customer.wallet.get()
    assert customer.wallet.transactions()["count"] == 2
    assert len(customer.payments.all()) == 2
    before = money_state(customer, wallet_paid_order["id"])

    # when B reads their wallet, transactions, payments and refunds, also asking for A's
    wallet = other_customer.wallet.get()
    pages = [other_customer.wallet.transactions(), other_customer.wallet.transactions(
        user=customer.id), other_customer.payments.list(),
        other_customer.payments.list(user=customer.id), other_customer.payments.refunds(),
        other_customer.payments.refunds(user=customer.id)]

    # then B's wallet is B's own (empty), and nothing of A's is listed
    assert wallet["id"] != a_wallet["id"]
    assert money(wallet["balance"]) == 0
    for page in pages:
        assert (page["count"], page["results"]) == (0, [])
    assert money_state(customer, wallet_paid_order["id"]) == before


@allure.feature("Security: object level")
@allure.story("Another customer's wallet and payments")
def test_customer_cannot_read_or_verify_another_customers_payment(customer, other_customer,
                                                                  gateway, paid_order):
    (payment,) = payments_of(customer, paid_order["id"])
    # given A reads their payment (positive control)
    assert customer.payments.get(payment["id"])["id"] == payment["id"]
    before = money_state(customer, paid_order["id"])

    # when B reads it, and verifies it with a validly signed triple
    oid = payment["gateway_order_id"]
    triple = {"razorpay_order_id": oid, "razorpay_payment_id": payment["gateway_payment_id"],
              "razorpay_signature": gateway.signature(oid, payment["gateway_payment_id"])}
    replies = [other_customer.payments.raw_get(payment["id"]),
               other_customer.payments.raw_verify(payment["id"], triple)]

    # then to B it does not exist, nothing of it leaks, and A's money is as it was
    for reply in replies:
        expect_error(reply, HTTPStatus.NOT_FOUND)
        assert payment["gateway_payment_id"] not in reply.text
        assert oid not in reply.text
    assert money_state(customer, paid_order["id"]) == before
