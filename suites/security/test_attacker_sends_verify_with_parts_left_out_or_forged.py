"""Payments and wallet integrity: verify takes only the whole triple checkout returned for this
payment. Each of its three fields may be genuine, left out, forged, or taken from another
payment's checkout; every one of the 63 mixes other than all genuine is refused (400) and
changes nothing (the payment, the order, the wallet, the gateway's records), after which the
genuine triple verifies (the positive control of each case)."""

import hashlib
import hmac
import itertools
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.payments import affordable, checkout_without_webhooks, money_state

pytestmark = [pytest.mark.security, pytest.mark.money]

FIELDS = ("razorpay_payment_id", "razorpay_order_id", "razorpay_signature")
# each field as checkout returned it, left out, made up, or from another payment's checkout
GENUINE, ABSENT, FORGED, BORROWED = "genuine", "absent", "forged", "borrowed"
SHORT = {"razorpay_payment_id": "payment_id", "razorpay_order_id": "order_id",
         "razorpay_signature": "signature"}
MIXES = [mix for mix in itertools.product((GENUINE, ABSENT, FORGED, BORROWED), repeat=3)
         if mix != (GENUINE, GENUINE, GENUINE)]


def mix_id(mix: tuple[str, ...]) -> str:
    return "-".join(f"{SHORT[field]}:{state}"
                    for field, state in zip(FIELDS, mix, strict=True))


def forged(receipt: dict) -> dict[str, str]:
    """Values an attacker makes up without the gateway's key: ids of the gateway's shape that
    it never issued, and the signature of the genuine ids under a guessed secret."""
    message = f"{receipt['razorpay_order_id']}|{receipt['razorpay_payment_id']}".encode()
    return {"razorpay_payment_id": "pay_F0rgedPayment1",
            "razorpay_order_id": "order_F0rgedOrder123",
            "razorpay_signature": hmac.new(b"guessed-secret", message,
                                           hashlib.sha256).hexdigest()}


def triple(mix: tuple[str, ...], genuine: dict, borrowed: dict) -> dict:
    """The body verify gets: each field as `mix` says (None leaves it out)."""
    made_up = forged(genuine)
    source = {GENUINE: genuine, FORGED: made_up, BORROWED: borrowed}
    return {field: (source[state][field] if state != ABSENT else None)
            for field, state in zip(FIELDS, mix, strict=True)}


def everything(customer, gateway, orders: list[dict], payments: list[dict]) -> dict:
    """What a refused verify must leave as it was: the customer's money and orders, and the
    gateway's records of both gateway orders."""
    return {"backend": money_state(customer, *(order["id"] for order in orders)),
            "gateway": [gateway.gateway_order(payment["gateway_order_id"])
                        for payment in payments]}


@pytest.fixture
def second_payment(customer, order_body) -> dict:
    """Another unpaid order of the `customer`, with an online payment started for it."""
    order = customer.orders.create(**affordable(order_body, payment_method="online"))
    return {"order": order, "payment": customer.payments.pay(order["id"], method="online")}


@allure.feature("Security: payments integrity")
@allure.story("Verify with parts of checkout's reply left out or forged")
@pytest.mark.parametrize("mix", MIXES, ids=mix_id)
def test_verify_needs_the_whole_genuine_triple(customer, gateway, online_payment, unpaid_order,
                                               second_payment, mix):
    # given two genuine checkouts of the customer's, whose webhooks the backend refuses (so
    # only verify can confirm either payment)
    other = second_payment["payment"]
    genuine = checkout_without_webhooks(gateway, online_payment["gateway_order_id"])
    borrowed = checkout_without_webhooks(gateway, other["gateway_order_id"])
    orders = [unpaid_order, second_payment["order"]]
    before = everything(customer, gateway, orders, [online_payment, other])

    # when the app verifies the first payment with the fields mixed as `mix` says
    sent = triple(mix, genuine, borrowed)
    with allure.step(f"verify with {mix_id(mix)}"):
        reply = customer.payments.raw_verify(online_payment["id"], sent)

    # then it is refused, and nothing changed here or at the gateway
    expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert everything(customer, gateway, orders, [online_payment, other]) == before, (
        f"a refused verify ({mix_id(mix)}) changed the money, the orders or the gateway")

    # while the genuine triple verifies (positive control): this order is paid, the other
    # payment still waits
    assert customer.payments.verify(online_payment["id"], genuine)["status"] == "captured"
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"
    assert customer.payments.get(other["id"])["status"] == other["status"]
    assert customer.orders.get(second_payment["order"]["id"])["payment_status"] == "unpaid"
