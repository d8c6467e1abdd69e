"""While the gateway fails refunds of one payment (5xx, or no answer in time), staff gets a clear
502/503/504 envelope at once; a refund the gateway refused is not counted, one the gateway made
although its reply was lost is settled by the gateway's refund webhook, and once the gateway is
back a refund goes through. At the end the backend's processed refunds are exactly what the
gateway refunded: nothing made twice, nothing lost."""

import time
from decimal import Decimal
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import money
from fixtures.payments import paise, payments_of
from fixtures.polling import poll

pytestmark = [pytest.mark.money, pytest.mark.needs_staff]

DEPENDENCY_FAILED = (HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE,
                     HTTPStatus.GATEWAY_TIMEOUT)
# how long the sandbox holds a timed-out call: shorter than any sane backend timeout, so the
# backend sees the gateway's own 504 and the case stays quick
HOLD_SECONDS = 2
# how long staff may wait for an answer while the gateway is down
BOUNDED_SECONDS = 15
SETTLE_SECONDS = 30
PART = Decimal("10.00")


def refused_quickly(call):
    started = time.monotonic()
    reply = call()
    waited = time.monotonic() - started
    assert waited < BOUNDED_SECONDS, f"staff waited {waited:.1f} s for an answer"
    return reply


def processed(customer, payment_id: str) -> Decimal:
    """What the customer's processed refunds of one payment add up to."""
    return sum((money(refund["amount"]) for refund in customer.payments.all_refunds()
                if str(refund["payment_id"]) == str(payment_id)
                and refund["status"] == "processed"), Decimal("0"))


@allure.feature("Resilience")
@allure.story("Payment gateway outage")
def test_staff_refunds_while_the_gateway_fails(customer, staff, gateway, paid_order):
    (payment,) = payments_of(customer, paid_order["id"])
    gateway_payment_id = payment["gateway_payment_id"]

    # when the gateway answers 5xx to every call about this payment, and staff refunds a part
    with gateway.fault("http_5xx", match={"payment_id": gateway_payment_id}, status=500):
        reply = refused_quickly(lambda: staff.payments.raw_refund(
            payment["id"], float(PART), reason="Button missing"))

    # then staff gets a dependency failure as the JSON envelope, and nothing was refunded
    assert reply.status_code in DEPENDENCY_FAILED, reply.text[:300]
    expect_error(reply, reply.status_code)
    assert gateway.gateway_payment(gateway_payment_id)["payment"]["amount_refunded"] == 0
    assert processed(customer, payment["id"]) == 0

    # when the next refund call times out once (made at the gateway, the reply lost)
    with gateway.fault("timeout", match={"payment_id": gateway_payment_id}, times=1,
                       seconds=HOLD_SECONDS):
        reply = refused_quickly(lambda: staff.payments.raw_refund(
            payment["id"], float(PART), reason="Collar frayed"))

    # then staff gets a dependency failure too, and the gateway's refund webhook settles the
    # refund the gateway made: processed once, on both sides
    assert reply.status_code in DEPENDENCY_FAILED, reply.text[:300]
    expect_error(reply, reply.status_code)
    poll(lambda: processed(customer, payment["id"]), until=lambda total: total == PART,
         timeout=SETTLE_SECONDS, what="the timed-out refund settled by the gateway's webhook")
    assert gateway.gateway_payment(gateway_payment_id)["payment"]["amount_refunded"] == \
        paise(PART)

    # and once the gateway is back, a refund goes through at once (positive control), and
    # the backend's refunds are what the gateway refunded
    refund = staff.payments.refund(payment["id"], float(PART), reason="Stain remained")
    assert refund["status"] == "processed", refund
    assert processed(customer, payment["id"]) == 2 * PART
    assert gateway.gateway_payment(gateway_payment_id)["payment"]["amount_refunded"] == \
        paise(2 * PART)
