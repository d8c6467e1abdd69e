"""Helpers of the payments tests: placing orders, topping up, and the ledger invariant."""

from decimal import Decimal
from http import HTTPStatus

from django.db.models import Sum
from rest_framework.test import APIClient

from reference.accounts.models import Address, User
from reference.catalog.models import ServiceItem
from reference.payments.models import Wallet, WalletTransaction
from reference.tests.conftest import ORDERS, order_body

PAYMENTS = "/api/payments/payments/"
WALLET = "/api/payments/wallets/"
ADD_MONEY = "/api/payments/wallets/add-money/"
TRANSACTIONS = "/api/payments/wallets/transactions/"
REFUNDS = "/api/payments/refunds/"
WEBHOOK = "/api/payments/webhooks/razorpay/"
LIFECYCLE = ("confirmed", "picked_up", "in_process", "ready", "out_for_delivery", "delivered")


def place_order(client: APIClient, address: Address, catalog: dict[str, ServiceItem],
                **overrides: object) -> dict:
    """A new order of `client` (total 1002.10: 3 shirts and a silk saree, tax, delivery)."""
    response = client.post(ORDERS, order_body(address, catalog, **overrides), format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def deliver(staff: APIClient, order: dict) -> None:
    for status in LIFECYCLE:
        response = staff.post(f"{ORDERS}{order['id']}/status/", {"status": status}, format="json")
        assert response.status_code == HTTPStatus.OK, response.content


def top_up(client: APIClient, amount: float | int = 500, **headers: str) -> dict:
    response = client.post(ADD_MONEY, {"amount": amount}, format="json", headers=headers)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def verify(client: APIClient, payment_id: str, checkout: dict):
    return client.post(f"{PAYMENTS}{payment_id}/verify/", checkout, format="json")


def balance(client: APIClient) -> Decimal:
    return Decimal(str(client.get(WALLET).json()["balance"]))


def ledger_check(user: User) -> None:
    """The wallet balance equals the sum of its completed transactions."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        return
    completed = WalletTransaction.objects.filter(
        wallet=wallet, status=WalletTransaction.Status.COMPLETED
    )

    def total(*types: str) -> Decimal:
        return completed.filter(type__in=types).aggregate(s=Sum("amount"))["s"] or Decimal(0)

    expected = total("credit", "refund") - total("debit")
    assert wallet.balance == expected, f"balance {wallet.balance} != ledger {expected}"
    assert wallet.balance >= 0
