"""Writes of the payments domain, one module per concern: saved methods, the wallet and its
ledger, paying an order, an online payment's capture, refunds, webhooks, reconciliation, and the
hooks the orders domain calls. Callers use this package's names (`services.payment_create(...)`).

Exactly once. Whatever confirms an online payment (the app's verify call, a gateway webhook, a
redelivery of either, in any order and at the same time) ends in `payment_capture_apply`, which
locks the Payment row, returns at once if it is already captured, and otherwise marks it
captured and credits the wallet (top-up) or marks the order paid, in one transaction.

Concurrency. Every money write takes row locks (`select_for_update`) in one order, order ->
payment -> wallet, so PostgreSQL never deadlocks on them; the wallet debit is also a conditional
UPDATE (`balance >= amount`) and the database refuses a negative balance. SQLite ignores FOR
UPDATE; there the embedded profile's IMMEDIATE transactions queue every writer behind the one
holding the write lock, which gives the same guarantees.

Outside calls. The gateway is called outside of these services' own transactions wherever the
flow allows (a row is committed first, the gateway called, the result applied), so a slow
gateway holds no lock; a cancellation's refund is the exception, as it runs inside the
cancelling transaction of the orders domain.
"""

from reference.payments.services.capture import payment_verify
from reference.payments.services.order_hooks import order_cash_collect, order_payments_refund
from reference.payments.services.paying import payment_create
from reference.payments.services.reconciliation import payments_reconcile
from reference.payments.services.refunds import refund_create
from reference.payments.services.saved_methods import (
    saved_method_create,
    saved_method_delete,
    saved_method_set_default,
)
from reference.payments.services.wallet import wallet_get_or_create, wallet_top_up_start
from reference.payments.services.webhooks import webhook_receive

__all__ = [
    "order_cash_collect",
    "order_payments_refund",
    "payment_create",
    "payment_verify",
    "payments_reconcile",
    "refund_create",
    "saved_method_create",
    "saved_method_delete",
    "saved_method_set_default",
    "wallet_get_or_create",
    "wallet_top_up_start",
    "webhook_receive",
]
