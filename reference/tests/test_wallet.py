"""The wallet: made on first use, top-up through the gateway (amounts, idempotency), paying an
order from it (402 when short), its transactions and the ledger invariant."""

import json
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.conf import settings

from reference.payments.models import Payment, Wallet, WalletTransaction
from reference.payments.services import payments_reconcile
from reference.tests.conftest import ORDERS
from reference.tests.money import (
    ADD_MONEY,
    PAYMENTS,
    TRANSACTIONS,
    WALLET,
    balance,
    ledger_check,
    place_order,
    top_up,
    verify,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def test_the_wallet_is_made_on_first_use_and_shows_on_the_dashboard(customer, customer_user):
    response = customer.get(WALLET)

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == {"id", "balance", "currency", "updated_at"}
    assert (response.json()["balance"], response.json()["currency"]) == (0, "INR")
    assert Wallet.objects.filter(user=customer_user).count() == 1
    assert customer.get(WALLET).json()["id"] == response.json()["id"]
    assert customer.get("/api/mobile/dashboard/").json()["wallet_balance"] == 0


def test_add_money_makes_a_pending_credit_and_a_gateway_order(customer, gateway):
    body = top_up(customer, 499.5)

    assert set(body) == {"transaction_id", "payment_id", "amount", "currency",
                         "gateway_order_id", "key_id", "payment_url"}
    assert (body["amount"], body["currency"], body["key_id"]) == (499.5, "INR",
                                                                   settings.RAZORPAY_KEY_ID)
    assert body["gateway_order_id"] in body["payment_url"]
    assert gateway.orders[body["gateway_order_id"]]["amount"] == 49950
    assert balance(customer) == 0
    [pending] = customer.get(TRANSACTIONS).json()["results"]
    assert (pending["id"], pending["type"], pending["status"]) == (body["transaction_id"],
                                                                    "credit", "pending")
    assert pending["balance_after"] is None
    payment = customer.get(f"{PAYMENTS}{body['payment_id']}/").json()
    assert (payment["purpose"], payment["status"], payment["method"]) == ("wallet_topup",
                                                                          "created", "online")


def test_a_verified_top_up_credits_the_wallet_once(customer, customer_user, gateway):
    body = top_up(customer, 500)
    checkout = gateway.pay(body["gateway_order_id"])

    first = verify(customer, body["payment_id"], checkout)
    again = verify(customer, body["payment_id"], checkout)

    assert first.status_code == again.status_code == HTTPStatus.OK, first.content
    assert first.json()["status"] == "captured"
    assert first.json()["gateway_payment_id"] == checkout["razorpay_payment_id"]
    assert balance(customer) == 500
    [credit] = customer.get(TRANSACTIONS).json()["results"]
    assert (credit["status"], credit["balance_after"]) == ("completed", 500)
    ledger_check(customer_user)


@pytest.mark.parametrize(
    "raw",
    [
        '{"amount": 0}', '{"amount": -5}', '{"amount": 1e309}', '{"amount": 100.005}',
        '{"amount": NaN}', '{"amount": Infinity}', '{"amount": "100"}', '{"amount": "1e309"}',
        '{"amount": "100.005"}', '{"amount": true}', '{"amount": null}', '{"amount": 10000.01}',
        '{"amount": 0.99}', '{"amount": [100]}', "{}", '{"amount": 1' + "0" * 5000 + "}",
    ],
)
def test_bad_amounts_are_400_and_create_nothing(customer, gateway, raw):
    response = customer.post(ADD_MONEY, raw, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert not Payment.objects.exists()
    assert not gateway.calls_to("POST", "/v1/orders")


@pytest.mark.parametrize(("raw", "paise"), [("1", 100), ("10000", 1000000), ("99.99", 9999),
                                            ("250.10", 25010)])
def test_amounts_at_the_limits_and_with_paise_are_exact(customer, gateway, raw, paise):
    response = customer.post(ADD_MONEY, f'{{"amount": {raw}}}', content_type="application/json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert gateway.orders[response.json()["gateway_order_id"]]["amount"] == paise
    assert Payment.objects.get().amount == Decimal(raw)


def test_add_money_honours_the_idempotency_key(customer, gateway):
    first = customer.post(ADD_MONEY, {"amount": 300}, format="json",
                          headers={"Idempotency-Key": "topup-1"})
    again = customer.post(ADD_MONEY, {"amount": 300}, format="json",
                          headers={"Idempotency-Key": "topup-1"})
    other = customer.post(ADD_MONEY, {"amount": 400}, format="json",
                          headers={"Idempotency-Key": "topup-1"})

    assert first.status_code == again.status_code == HTTPStatus.CREATED
    assert json.loads(again.content) == json.loads(first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert Payment.objects.count() == WalletTransaction.objects.count() == 1
    assert len(gateway.orders) == 1


def test_a_gateway_outage_on_add_money_is_502_and_leaves_nothing(customer, gateway):
    gateway.fail("POST", r"/v1/orders", status=503)

    response = customer.post(ADD_MONEY, {"amount": 300}, format="json")

    assert (response.status_code, response.json()["code"]) == (502, "gateway_unavailable")
    assert not Payment.objects.exists()
    assert not WalletTransaction.objects.exists()


def test_an_order_is_paid_from_the_wallet_at_once(customer, customer_user, customer_address,
                                                   catalog, gateway):
    body = top_up(customer, 2000)
    verify(customer, body["payment_id"], gateway.pay(body["gateway_order_id"]))
    order = place_order(customer, customer_address, catalog)

    response = customer.post(PAYMENTS, {"order_id": order["id"], "method": "wallet"},
                             format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert (response.json()["status"], response.json()["method"]) == ("captured", "wallet")
    assert response.json()["payment_url"] is None
    assert balance(customer) == Decimal("2000") - Decimal(str(order["total"]))
    stored = customer.get(f"{ORDERS}{order['id']}/").json()
    assert (stored["payment_status"], stored["payment_method"]) == ("paid", "wallet")
    debit = customer.get(TRANSACTIONS).json()["results"][0]
    assert (debit["type"], debit["order_id"], debit["status"]) == ("debit", order["id"],
                                                                   "completed")
    ledger_check(customer_user)


def test_too_little_balance_is_402_and_nothing_changes(customer, customer_user,
                                                       customer_address, catalog, gateway):
    body = top_up(customer, 100)
    verify(customer, body["payment_id"], gateway.pay(body["gateway_order_id"]))
    order = place_order(customer, customer_address, catalog)
    payments_before = Payment.objects.count()

    response = customer.post(PAYMENTS, {"order_id": order["id"], "method": "wallet"},
                             format="json")

    assert response.status_code == HTTPStatus.PAYMENT_REQUIRED
    assert response.json()["code"] == "insufficient_balance"
    assert balance(customer) == 100
    assert Payment.objects.count() == payments_before
    assert customer.get(f"{ORDERS}{order['id']}/").json()["payment_status"] == "unpaid"
    ledger_check(customer_user)


def test_transactions_are_newest_first_and_belong_to_their_owner(customer, other_customer,
                                                                 gateway):
    first = top_up(customer, 100)
    second = top_up(customer, 200)

    rows = customer.get(TRANSACTIONS).json()["results"]

    assert [row["id"] for row in rows] == [second["transaction_id"], first["transaction_id"]]
    assert other_customer.get(TRANSACTIONS).json()["count"] == 0
    assert other_customer.get(f"{PAYMENTS}{first['payment_id']}/").status_code == 404


def test_reconciliation_settles_a_top_up_nobody_confirmed(customer, customer_user, gateway):
    body = top_up(customer, 120)
    gateway.pay(body["gateway_order_id"])  # paid at the gateway; no verify, no webhook

    captured = payments_reconcile(older_than_seconds=0)
    again = payments_reconcile(older_than_seconds=0)

    assert (captured, again) == (1, 0)
    assert balance(customer) == 120
    ledger_check(customer_user)
