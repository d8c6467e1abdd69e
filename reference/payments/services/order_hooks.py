"""The payments side of an order: whether it can be paid, marking it paid, and the hooks the
orders domain calls inside its own transaction, the order row locked: on delivery (the cash is
collected) and on cancellation (the money goes back)."""

from django.utils import timezone

from reference.orders.models import Order
from reference.payments.exceptions import OrderAlreadyPaid, OrderNotPayable, RefundUnavailable
from reference.payments.models import CURRENCY, Payment
from reference.payments.services.notify import notify_captured
from reference.payments.services.refunds import (
    refund_through_gateway_now,
    refund_to_wallet,
    refunded_amount,
)


def order_payable(order: Order) -> None:
    if order.payment_status != Order.PaymentStatus.UNPAID:
        raise OrderAlreadyPaid()
    if order.status == Order.Status.CANCELLED:
        raise OrderNotPayable()


def order_mark_paid(*, order: Order, method: str) -> None:
    order.payment_status = Order.PaymentStatus.PAID
    order.payment_method = method
    order.save(update_fields=["payment_status", "payment_method", "updated_at"])


def order_cash_collect(*, order: Order) -> None:
    """On delivery (inside its transaction, the order row locked): the cash an unpaid cash
    order's customer hands over is captured and the order is paid. Pending cash payments of an
    order paid another way meanwhile are closed as failed."""
    pending = Payment.objects.filter(
        order=order, method=Payment.Method.CASH, status=Payment.Status.PENDING
    )
    if order.payment_status != Order.PaymentStatus.UNPAID:
        pending.update(
            status=Payment.Status.FAILED,
            failure_reason="The order was paid another way.",
            updated_at=timezone.now(),
        )
        return
    payment = pending.select_for_update().first()
    if payment is None:
        if order.payment_method != Order.PaymentMethod.CASH:
            return
        payment = Payment(
            user_id=order.user_id,
            purpose=Payment.Purpose.ORDER,
            order=order,
            amount=order.total,
            currency=CURRENCY,
            method=Payment.Method.CASH,
        )
    payment.status = Payment.Status.CAPTURED
    payment.captured_at = timezone.now()
    payment.save()
    order_mark_paid(order=order, method=Payment.Method.CASH)
    notify_captured(payment=payment, order=order)


def order_payments_refund(*, order: Order) -> None:
    """On cancellation (inside its transaction, the order row locked): a paid order's money
    goes back where it came from (wallet and cash payments to the wallet, online ones through
    the gateway) and its payment_status becomes `refunded`. Pending cash payments are closed.
    A paid order with no captured payment on record is refused (409) rather than cancelled
    with the money kept."""
    Payment.objects.filter(
        order=order, method=Payment.Method.CASH, status=Payment.Status.PENDING
    ).update(
        status=Payment.Status.FAILED,
        failure_reason="The order was cancelled.",
        updated_at=timezone.now(),
    )
    if order.payment_status != Order.PaymentStatus.PAID:
        return
    captured = list(
        Payment.objects.select_for_update()
        .filter(order=order, purpose=Payment.Purpose.ORDER, status=Payment.Status.CAPTURED)
        .order_by("created_at")
    )
    if not captured:
        raise RefundUnavailable(
            "This order is marked paid but no captured payment is on record to refund; it "
            "stays as it is."
        )
    reason = f"Order {order.order_number} was cancelled."
    for payment in captured:
        left = payment.amount - refunded_amount(payment=payment)
        if left <= 0:
            continue
        if payment.method == Payment.Method.ONLINE:
            refund_through_gateway_now(payment=payment, order=order, amount=left, reason=reason)
        else:
            refund_to_wallet(payment=payment, order=order, amount=left, reason=reason)
    order.payment_status = Order.PaymentStatus.REFUNDED
    order.save(update_fields=["payment_status", "updated_at"])
