"""The ledger sees each broken money invariant, and passes a consistent set of books.

It is fed the books of a customer (wallet, transactions, payments, refunds, orders) and the
gateway's records as plain data, the way the API and the sandbox would answer them."""

from types import SimpleNamespace

import pytest

from fixtures.ledger import Ledger

NOW = "2026-11-27T10:00:00+05:30"


def txn(kind: str, value: float, *, payment=None, order=None, status="completed",
        after=None) -> dict:
    return {"id": f"t-{kind}-{payment or order}", "type": kind, "amount": value,
            "balance_after": after, "status": status, "payment_id": payment, "order_id": order,
            "description": "", "created_at": NOW}


def payment(pid: str, *, purpose="wallet_topup", method="online", status="captured",
            value=500.0, order=None, gateway_payment=None) -> dict:
    return {"id": pid, "purpose": purpose, "order_id": order, "amount": value, "currency": "INR",
            "method": method, "status": status, "gateway_order_id": f"order_{pid}",
            "gateway_payment_id": gateway_payment if gateway_payment is not None
            else (f"pay_{pid}" if method == "online" else None)}


def order(oid: str, total: float, payment_status: str) -> dict:
    return {"id": oid, "order_number": f"LC-{oid}", "total": total,
            "payment_status": payment_status}


def customer(*, balance, transactions=(), payments=(), refunds=(), orders=()):
    wallet = {"id": "w", "balance": balance, "currency": "INR", "updated_at": NOW}
    return SimpleNamespace(
        id="u1", session=SimpleNamespace(name="customer"),
        wallet=SimpleNamespace(get=lambda: wallet, all_transactions=lambda: list(transactions)),
        payments=SimpleNamespace(all=lambda: list(payments), all_refunds=lambda: list(refunds)),
        orders=SimpleNamespace(all=lambda: list(orders)))


class Gateway:
    """The gateway's records: captured payments as the backend's payments say, unless told."""

    def __init__(self, *payments: dict, **overrides: dict):
        self.payments = {}
        for p in payments:
            if p["gateway_payment_id"]:
                held = {"id": p["gateway_payment_id"], "status": "captured",
                        "order_id": p["gateway_order_id"], "amount": round(p["amount"] * 100),
                        "currency": "INR", "amount_refunded": 0}
                self.payments[held["id"]] = held | overrides.get(held["id"], {})

    def gateway_payment(self, payment_id: str) -> dict:
        return {"payment": self.payments[payment_id], "refunds": []}

    def gateway_order(self, order_id: str) -> dict:
        return {"order": {"id": order_id},
                "payments": [p for p in self.payments.values() if p["order_id"] == order_id]}


TOP_UP = payment("p1", value=500.0)
WALLET_PAY = payment("p2", purpose="order", method="wallet", value=123.45, order="o1")
ONLINE_PAY = payment("p3", purpose="order", value=200.0, order="o2")
CONSISTENT = {
    "balance": 376.55,
    "transactions": [txn("debit", 123.45, order="o1", payment="p2", after=376.55),
                     txn("credit", 500.0, payment="p1", after=500.0)],
    "payments": [TOP_UP, WALLET_PAY, ONLINE_PAY],
    "orders": [order("o1", 123.45, "paid"), order("o2", 200.0, "paid"),
               order("o3", 99.0, "unpaid")],
}


def problems(books: dict, gateway: Gateway | None = None) -> str:
    gateway = gateway or Gateway(*books.get("payments", ()))
    try:
        Ledger(gateway).assert_consistent(customer(**books))
    except AssertionError as error:
        return str(error)
    return ""


def test_consistent_books_pass():
    assert problems(CONSISTENT) == ""


def test_a_balance_that_is_not_the_sum_of_transactions_is_seen():
    assert "wallet balance 400.0 != credits and refunds 500.0 minus debits 123.45" in \
        problems(CONSISTENT | {"balance": 400.00})


def test_pending_and_failed_transactions_do_not_count():
    books = CONSISTENT | {"transactions": [
        *CONSISTENT["transactions"], txn("credit", 70.0, status="pending", payment="p9"),
        txn("credit", 80.0, status="failed", payment="p8")],
        "payments": [*CONSISTENT["payments"], payment("p9", status="created"),
                     payment("p8", status="failed")]}
    assert problems(books) == ""


def test_a_payment_credited_twice_is_seen():
    books = CONSISTENT | {"balance": 876.55, "transactions": [
        *CONSISTENT["transactions"], txn("credit", 500.0, payment="p1")]}
    assert "payment p1 was credited 2 times" in problems(books)


def test_a_captured_top_up_never_credited_is_seen():
    books = CONSISTENT | {"balance": -123.45, "transactions": CONSISTENT["transactions"][:1]}
    found = problems(books)
    assert "top-up p1 is captured but was credited 0 times" in found
    assert "wallet balance is negative" in found


def test_a_credit_for_a_top_up_not_captured_is_seen():
    books = CONSISTENT | {"payments": [payment("p1", status="failed"), WALLET_PAY, ONLINE_PAY]}
    assert "not a captured top-up" in problems(books, Gateway(ONLINE_PAY))


def test_one_gateway_payment_behind_two_payments_is_seen():
    reused = payment("p4", purpose="order", value=200.0, order="o4", gateway_payment="pay_p3")
    books = CONSISTENT | {"payments": [*CONSISTENT["payments"], reused],
                          "orders": [*CONSISTENT["orders"], order("o4", 200.0, "paid")]}
    assert "gateway payment pay_p3 is used twice" in problems(books, Gateway(TOP_UP, ONLINE_PAY))


def test_a_paid_order_the_gateway_holds_for_less_is_seen():
    gateway = Gateway(TOP_UP, ONLINE_PAY, pay_p3={"amount": 100})
    assert "has amount 100 at the gateway, expected 20000" in problems(CONSISTENT, gateway)


def test_a_payment_the_gateway_failed_is_seen():
    gateway = Gateway(TOP_UP, ONLINE_PAY, pay_p3={"status": "failed"})
    assert "has status 'failed' at the gateway" in problems(CONSISTENT, gateway)


def test_a_paid_order_without_a_captured_payment_is_seen():
    books = CONSISTENT | {"orders": [*CONSISTENT["orders"], order("o5", 50.0, "paid")]}
    assert "paid order LC-o5 (50.0) has 0 captured payments" in problems(books)


def test_a_wallet_paid_order_without_its_debit_is_seen():
    books = CONSISTENT | {"balance": 500.0, "transactions": CONSISTENT["transactions"][1:]}
    assert "was paid from the wallet, but its completed debits are []" in problems(books)


def test_an_unpaid_order_with_a_captured_payment_is_seen():
    books = CONSISTENT | {"orders": [order("o1", 123.45, "paid"), order("o2", 200.0, "unpaid")]}
    assert "order LC-o2 is unpaid but payment p3 (online) is captured" in problems(books)


def test_refunds_beyond_the_capture_are_seen():
    refund = {"id": "r1", "payment_id": "p3", "order_id": "o2", "amount": 200.01,
              "status": "processed", "reason": "", "created_at": NOW}
    assert "payment p3 of 200.0 has 200.01 refunded" in \
        problems(CONSISTENT | {"refunds": [refund]})


@pytest.mark.parametrize("value", ["12.30", 12.3])
def test_amounts_as_numbers_or_strings_are_read_exactly(value):
    books = {"balance": value, "transactions": [txn("credit", 12.3, payment="p1")],
             "payments": [payment("p1", value=12.3)]}
    assert problems(books) == ""
