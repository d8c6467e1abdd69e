"""While the gateway fails for one order (5xx, or no answer in time) the app gets a clear
502/503/504 envelope at once, nothing is left half-made, other orders are paid meanwhile, and
once the gateway is back a retry pays the order; a timed-out gateway order is found again by its
receipt, not made twice."""

import time
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.payments import affordable, checkout_without_webhooks, money_state, pay_online

pytestmark = [pytest.mark.money]

DEPENDENCY_FAILED = (HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE,
                     HTTPStatus.GATEWAY_TIMEOUT)
# how long the sandbox holds a timed-out call: shorter than any sane backend timeout, so the
# backend sees the gateway's own 504 and the case stays quick
HOLD_SECONDS = 2
# how long the app may wait for an answer while the gateway is down
BOUNDED_SECONDS = 15


def assert_nothing_half_made(customer, order_id: str) -> None:
    """The order is unpaid, and no payment of it was left without its gateway order."""
    assert customer.orders.get(order_id)["payment_status"] == "unpaid"
    for payment in customer.payments.all():
        if str(payment["order_id"]) == str(order_id):
            assert payment["status"] == "failed" or payment["gateway_order_id"], (
                f"a payment was left half-made: {payment}")


def refused_quickly(call):
    started = time.monotonic()
    reply = call()
    waited = time.monotonic() - started
    assert waited < BOUNDED_SECONDS, f"the app waited {waited:.1f} s for an answer"
    return reply


@allure.feature("Resilience")
@allure.story("Payment gateway outage")
def test_customer_pays_after_the_gateway_answers_5xx(customer, gateway, unpaid_order,
                                                     order_body, order_receipt):
    receipt = order_receipt(unpaid_order)
    neighbour = customer.orders.create(**affordable(order_body, payment_method="online"))

    # when the gateway answers 5xx to every call about this order's gateway order
    with gateway.fault("http_5xx", match={"receipt": receipt}, status=500):
        # positive control: another order is paid meanwhile
        pay_online(customer, gateway, neighbour["id"])

        reply = refused_quickly(lambda: customer.payments.raw_pay(unpaid_order["id"],
                                                                  method="online"))

        # then the app gets a dependency failure as the JSON envelope, and nothing half-made
        assert reply.status_code in DEPENDENCY_FAILED, reply.text[:300]
        expect_error(reply, reply.status_code)
        assert_nothing_half_made(customer, unpaid_order["id"])

    # and once the gateway is back, a retry pays the order
    paid = pay_online(customer, gateway, unpaid_order["id"])
    assert paid.payment["status"] == "captured"
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"


@allure.feature("Resilience")
@allure.story("Payment gateway outage")
def test_customer_pays_after_the_gateway_times_out(customer, gateway, unpaid_order,
                                                   order_receipt):
    receipt = order_receipt(unpaid_order)

    # when creating this order's gateway order times out once (made at the gateway, the
    # reply lost)
    with gateway.fault("timeout", match={"receipt": receipt}, times=1, seconds=HOLD_SECONDS):
        reply = refused_quickly(lambda: customer.payments.raw_pay(unpaid_order["id"],
                                                                  method="online"))

    # then the app gets a dependency failure as the JSON envelope, and nothing half-made
    assert reply.status_code in DEPENDENCY_FAILED, reply.text[:300]
    expect_error(reply, reply.status_code)
    assert_nothing_half_made(customer, unpaid_order["id"])

    # and a retry sends the same receipt, so it gets the gateway order the lost reply was
    # about (the gateway answers a receipt it knows with its first order), and pays it
    paid = pay_online(customer, gateway, unpaid_order["id"])
    held = gateway.gateway_order(paid.gateway_order_id)["order"]
    assert held["receipt"] == receipt, (
        "the retry named another receipt, so it made a second gateway order instead of "
        "finding the one the timed-out call made")
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"


@allure.feature("Resilience")
@allure.story("Payment gateway outage")
def test_verify_survives_the_gateway_failing(customer, gateway, online_payment, unpaid_order,
                                             order_body):
    # given a payment made at checkout (its webhooks held back: verify alone confirms it)
    triple = checkout_without_webhooks(gateway, online_payment["gateway_order_id"])
    payment_id = triple["razorpay_payment_id"]
    neighbour = customer.orders.create(**affordable(order_body, payment_method="online"))
    before = money_state(customer, unpaid_order["id"])

    # when the gateway fails every call about that payment, 5xx and then a timeout
    for fault, options in (("http_5xx", {"status": 503}), ("timeout", {"seconds": HOLD_SECONDS})):
        with allure.step(f"verify while the gateway's {fault}"), \
                gateway.fault(fault, match={"payment_id": payment_id}, **options):
            reply = refused_quickly(lambda: customer.payments.raw_verify(online_payment["id"],
                                                                         triple))
            # then the app gets a dependency failure, and nothing changed
            assert reply.status_code in DEPENDENCY_FAILED, reply.text[:300]
            expect_error(reply, reply.status_code)
            assert money_state(customer, unpaid_order["id"]) == before

    # positive control: another order is paid meanwhile
    pay_online(customer, gateway, neighbour["id"])

    # and once the gateway is back, the same verify captures the payment
    assert customer.payments.verify(online_payment["id"], triple)["status"] == "captured"
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"
