"""Payments and wallet integrity: a refund never exceeds what was captured minus what was
already refunded, also when partial refunds are sent at the same moment: the backend refuses
the excess, and the gateway never refunds more than it captured."""

from decimal import Decimal
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.concurrency import at_once
from fixtures.orders import money
from fixtures.payments import paise, payments_of

pytestmark = [pytest.mark.security, pytest.mark.money, pytest.mark.needs_staff]

CONCURRENT_REFUNDS = 5
PAISA = Decimal("0.01")


def refunded(customer, payment_id) -> Decimal:
    return sum((money(r["amount"]) for r in customer.payments.all_refunds()
                if str(r["payment_id"]) == str(payment_id) and r["status"] != "failed"),
               Decimal("0"))


@allure.feature("Security: payments integrity")
@allure.story("Refunds within the capture")
def test_a_refund_above_the_captured_amount_is_refused(customer, staff, gateway, paid_order):
    (payment,) = payments_of(customer, paid_order["id"])
    captured = money(payment["amount"])

    # when staff refunds a paisa more than was captured
    reply = staff.payments.raw_refund(payment["id"], float(captured + PAISA), reason="too much")

    # then it is refused, and nothing was refunded, here or at the gateway
    assert reply.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.CONFLICT), reply.text[:300]
    expect_error(reply, reply.status_code)
    assert refunded(customer, payment["id"]) == 0
    assert gateway.gateway_payment(payment["gateway_payment_id"])["payment"][
        "amount_refunded"] == 0

    # while refunding exactly what was captured is accepted (positive control)
    staff.payments.refund(payment["id"], float(captured), reason="all of it")
    assert refunded(customer, payment["id"]) == captured

    # and after that, not a paisa more
    again = staff.payments.raw_refund(payment["id"], 0.01, reason="one more")
    assert again.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.CONFLICT), again.text[:300]
    expect_error(again, again.status_code)
    assert refunded(customer, payment["id"]) == captured


@allure.feature("Security: payments integrity")
@allure.story("Refunds within the capture")
def test_concurrent_partial_refunds_never_add_up_to_more(customer, staff, callers, gateway,
                                                         paid_order):
    (payment,) = payments_of(customer, paid_order["id"])
    captured = money(payment["amount"])
    # 5 refunds of 30 % each: 150 % in all, so at most 3 can be made
    part = (captured * Decimal("0.3")).quantize(PAISA)
    desks = [callers.twin(staff, f"support desk {n}") for n in range(CONCURRENT_REFUNDS)]

    # when five support desks refund 30 % of it each at the same moment
    replies = at_once([lambda desk=desk: desk.payments.raw_refund(payment["id"], float(part),
                                                                  reason="partial")
                       for desk in desks])

    # then those made add up to no more than was captured, the others were refused
    made = [reply for reply in replies if reply.status_code == HTTPStatus.CREATED]
    assert 1 <= len(made) <= 3, [f"{r.status_code} {r.text[:200]}" for r in replies]
    for reply in replies:
        if reply.status_code != HTTPStatus.CREATED:
            assert reply.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.CONFLICT), \
                reply.text[:300]
            expect_error(reply, reply.status_code)
    total = refunded(customer, payment["id"])
    assert total == part * len(made) <= captured

    # and the gateway refunded exactly that, never more than it captured
    held = gateway.gateway_payment(payment["gateway_payment_id"])["payment"]
    assert held["amount_refunded"] == paise(total) <= held["amount"]
