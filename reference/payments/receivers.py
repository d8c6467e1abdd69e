"""Payments' side of an order's life (`reference.orders.signals`), connected in `apps.py`."""

from reference.orders.models import Order
from reference.payments.services import order_cash_collect, order_payments_refund


def order_cancelled_refund(sender: type[Order], *, order: Order, **_: object) -> None:
    """Refund a cancelled order's payment to where it came from: a wallet (or cash) payment
    back to the wallet, an online one through the gateway; payment_status becomes `refunded`.
    Runs inside the cancelling transaction. An unpaid order needs nothing; a paid one with no
    captured payment on record is refused (409 `refund_unavailable`) rather than cancelled
    with its money kept."""
    order_payments_refund(order=order)


def order_delivered_collect(sender: type[Order], *, order: Order, **_: object) -> None:
    """Cash on delivery: the cash handed over is captured and the order is paid."""
    order_cash_collect(order=order)
