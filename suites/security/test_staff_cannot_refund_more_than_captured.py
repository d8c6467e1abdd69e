"""Payments and wallet integrity: a refund never exceeds what was captured minus what was
already refunded: not in one refund, not in several partial ones one after another, not in
partial ones sent at the same moment. For every way an order is paid: online (the gateway also
refuses to refund more than it captured), from the wallet and in cash (both refunded to the
wallet, where only the backend's own check stands between staff and an over-refund). Whatever
was refused moved nothing; what was refunded adds up, in the refunds list and where the money
went (the wallet, or the gateway)."""

from decimal import Decimal
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.concurrency import at_once
from fixtures.orders import LIFECYCLE, money, walk
from fixtures.payments import money_state, payments_of

pytestmark = [pytest.mark.security, pytest.mark.money, pytest.mark.needs_staff]

CONCURRENT_REFUNDS = 5
# 30 % of the capture: three fit in it, a fourth does not
PART = Decimal("0.3")
FITTING_PARTS = 3
PAISA = Decimal("0.01")
ZERO = Decimal("0")
REFUSED = (HTTPStatus.BAD_REQUEST, HTTPStatus.CONFLICT)


@pytest.fixture(params=["online", "wallet", "cash"])
def captured_payment(request, customer, staff) -> dict:
    """A captured payment of an order of the `customer`'s, made as the parameter says: online
    through checkout (`paid_order`), from the wallet (`wallet_paid_order`), or in cash handed
    over when staff delivered the order."""
    if request.param == "cash":
        order = request.getfixturevalue("cash_order")
        customer.payments.pay(order["id"], method="cash")
        walk(staff, order["id"], LIFECYCLE[1:])
    else:
        order = request.getfixturevalue("paid_order" if request.param == "online"
                                        else "wallet_paid_order")
    (payment,) = payments_of(customer, order["id"])
    assert (payment["method"], payment["status"]) == (request.param, "captured"), payment
    return payment


def refunded(customer, payment) -> Decimal:
    """What the refunds list says was refunded of the payment (pending and processed)."""
    return sum((money(r["amount"]) for r in customer.payments.all_refunds()
                if str(r["payment_id"]) == str(payment["id"]) and r["status"] != "failed"),
               ZERO)


def returned(customer, gateway, payment) -> Decimal:
    """What went back to the customer where the money went: the gateway's refunded amount of
    an online payment, or the refunds of the payment completed into the wallet."""
    if payment["method"] == "online":
        held = gateway.gateway_payment(payment["gateway_payment_id"])["payment"]
        return Decimal(held["amount_refunded"]) / 100
    return sum((money(t["amount"]) for t in customer.wallet.all_transactions()
                if t["type"] == "refund" and t["status"] == "completed"
                and str(t["payment_id"]) == str(payment["id"])), ZERO)


def everything(customer, gateway, payment) -> dict:
    """What a refused refund must leave as it was: the customer's money and the order, and
    the gateway's record of an online payment."""
    state = {"backend": money_state(customer, payment["order_id"])}
    if payment["method"] == "online":
        state["gateway"] = gateway.gateway_payment(payment["gateway_payment_id"])
    return state


def expect_refused(reply) -> None:
    assert reply.status_code in REFUSED, (
        f"expected the refund refused (400 or 409), got {reply.status_code}: {reply.text[:300]}")
    expect_error(reply, reply.status_code)


@allure.feature("Security: payments integrity")
@allure.story("Refunds within the capture")
def test_a_refund_above_the_captured_amount_is_refused(customer, staff, gateway,
                                                       captured_payment):
    payment = captured_payment
    captured = money(payment["amount"])
    before = everything(customer, gateway, payment)

    # when staff refunds a paisa more than was captured
    reply = staff.payments.raw_refund(payment["id"], float(captured + PAISA), reason="too much")

    # then it is refused, and nothing moved, here or at the gateway
    expect_refused(reply)
    assert everything(customer, gateway, payment) == before

    # while refunding exactly what was captured is accepted (positive control)
    staff.payments.refund(payment["id"], float(captured), reason="all of it")
    assert refunded(customer, payment) == returned(customer, gateway, payment) == captured

    # and after that, not a paisa more
    expect_refused(staff.payments.raw_refund(payment["id"], 0.01, reason="one more"))
    assert refunded(customer, payment) == returned(customer, gateway, payment) == captured


@allure.feature("Security: payments integrity")
@allure.story("Refunds within the capture")
def test_partial_refunds_one_after_another_stop_at_the_capture(customer, staff, gateway,
                                                               captured_payment):
    payment = captured_payment
    captured = money(payment["amount"])
    part = (captured * PART).quantize(PAISA)

    # given staff refunded 30 % of the payment three times (positive control)
    for n in range(FITTING_PARTS):
        staff.payments.refund(payment["id"], float(part), reason=f"part {n + 1}")
    assert refunded(customer, payment) == returned(customer, gateway, payment) == \
        part * FITTING_PARTS
    before = everything(customer, gateway, payment)

    # when staff refunds 30 % a fourth time, past what was captured
    reply = staff.payments.raw_refund(payment["id"], float(part), reason="part 4")

    # then it is refused, and nothing moved
    expect_refused(reply)
    assert everything(customer, gateway, payment) == before

    # while exactly what is left is refunded, and then not a paisa more
    staff.payments.refund(payment["id"], float(captured - part * FITTING_PARTS), reason="rest")
    expect_refused(staff.payments.raw_refund(payment["id"], 0.01, reason="one more"))
    assert refunded(customer, payment) == returned(customer, gateway, payment) == captured


@allure.feature("Security: payments integrity")
@allure.story("Refunds within the capture")
def test_concurrent_partial_refunds_never_add_up_to_more(customer, staff, callers, gateway,
                                                         captured_payment):
    payment = captured_payment
    captured = money(payment["amount"])
    part = (captured * PART).quantize(PAISA)
    desks = [callers.twin(staff, f"support desk {n}") for n in range(CONCURRENT_REFUNDS)]

    # when five support desks refund 30 % of it each at the same moment (150 % in all)
    replies = at_once([lambda desk=desk: desk.payments.raw_refund(payment["id"], float(part),
                                                                  reason="partial")
                       for desk in desks])

    # then those made fit in the capture (at least one: the positive control), the others
    # were refused
    made = [reply for reply in replies if reply.status_code == HTTPStatus.CREATED]
    assert 1 <= len(made) <= FITTING_PARTS, [f"{r.status_code} {r.text[:200]}"
                                             for r in replies]
    for reply in replies:
        if reply.status_code != HTTPStatus.CREATED:
            expect_refused(reply)

    # and the refunds listed, and the money that went back, are exactly those made
    total = part * len(made)
    assert refunded(customer, payment) == returned(customer, gateway, payment) == total

    # and what is left can still be refunded, to the paisa, and not a paisa more
    staff.payments.refund(payment["id"], float(captured - total), reason="rest")
    expect_refused(staff.payments.raw_refund(payment["id"], 0.01, reason="one more"))
    assert refunded(customer, payment) == returned(customer, gateway, payment) == captured
