"""The amount of a top-up is a JSON number of rupees from 1 to 10,000 with at most 2 decimals,
kept exact: zero, negative, too many decimals, not finite, not a number, or above the limit is
a 400, and nothing is started (no pending credit, no payment)."""

from decimal import Decimal
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import money

pytestmark = [pytest.mark.security, pytest.mark.money]

# the JSON text of the amount, as typed (not every one is something a JSON encoder writes)
INVALID_AMOUNTS = {
    "zero": "0",
    "negative": "-100",
    "a paisa below one rupee": "0.99",
    "fractions of a paisa": "100.005",
    "infinite by exponent": "1e309",
    "the string 1e309": '"1e309"',
    "NaN": "NaN",
    "Infinity": "Infinity",
    "a string of digits": '"500"',
    "a word": '"five hundred"',
    "true": "true",
    "null": "null",
    "a list": "[500]",
    "above the limit by a paisa": "10000.01",
    "far above the limit": "1000000",
}
# not JSON at all: a parse error may name no field
NOT_JSON = ("NaN", "Infinity")
VALID_EDGES = {"the least": ("1", Decimal("1")), "the most": ("10000", Decimal("10000")),
               "with paise": ("99.99", Decimal("99.99"))}


@allure.feature("Wallet")
@allure.story("Top-up amounts")
@pytest.mark.parametrize("text", INVALID_AMOUNTS.values(), ids=INVALID_AMOUNTS.keys())
def test_an_invalid_amount_is_refused(customer, text):
    # given a valid amount starts a top-up (positive control)
    started = customer.wallet.add_money(amount=500)
    wallet = customer.wallet.get()
    transactions = customer.wallet.all_transactions()
    payments = customer.payments.all()

    # when the app sends the amount as this JSON text
    reply = customer.wallet.raw_add_money_text(f'{{"amount": {text}}}')

    # then it is a 400 naming the amount, and nothing was started
    body = expect_error(reply, HTTPStatus.BAD_REQUEST)
    if body.get("errors") and text not in NOT_JSON:
        assert "amount" in body["errors"], body
    assert customer.wallet.get() == wallet
    assert customer.wallet.all_transactions() == transactions
    assert customer.payments.all() == payments
    assert [str(t["payment_id"]) for t in transactions] == [str(started["payment_id"])]


@allure.feature("Wallet")
@allure.story("Top-up amounts")
def test_an_amount_left_out_is_refused(customer):
    reply = customer.wallet.raw_add_money()
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert customer.wallet.all_transactions() == []


@allure.feature("Wallet")
@allure.story("Top-up amounts")
@pytest.mark.parametrize(("text", "exact"), VALID_EDGES.values(), ids=VALID_EDGES.keys())
def test_the_edges_of_the_range_are_kept_exact(customer, gateway, text, exact):
    # when the app asks for an amount at an edge of the range
    reply = customer.wallet.raw_add_money_text(f'{{"amount": {text}}}')

    # then it is started for exactly that amount: in rupees here, in paise at the gateway
    assert reply.status_code == HTTPStatus.CREATED, reply.text[:300]
    started = reply.json()
    assert money(started["amount"]) == exact
    held = gateway.gateway_order(started["gateway_order_id"])["order"]
    assert held["amount"] == int(exact * 100)
