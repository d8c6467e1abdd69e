"""A customer pays an order online with their saved UPI id: the app gets a gateway order to
check out (with a test key), checkout hands back the triple, verify captures the payment and the
order is paid; the gateway's webhooks also arrive, and nothing is paid twice."""

import allure
import pytest

from fixtures.api.payments import TEST_KEY_PREFIX
from fixtures.gateway import CHECKOUT_EVENTS
from fixtures.orders import money
from fixtures.payments import paise

pytestmark = [pytest.mark.money]


@allure.feature("Payments")
@allure.story("Pay online with a saved UPI id")
def test_customer_pays_order_with_saved_upi(customer, gateway, unpaid_order, saved_upi):
    # Step 1 - the customer chooses their saved UPI id and gets a gateway order to pay
    with allure.step("the app starts an online payment with the saved UPI id"):
        started = customer.payments.pay(unpaid_order["id"], method="online",
                                        saved_method_id=saved_upi["id"])
    assert (started["purpose"], started["method"], started["status"]) == \
        ("order", "online", "created")
    assert str(started["order_id"]) == str(unpaid_order["id"])
    assert money(started["amount"]) == money(unpaid_order["total"])
    assert started["key_id"].startswith(TEST_KEY_PREFIX)
    assert started["gateway_order_id"]
    assert started["payment_url"]
    held = gateway.gateway_order(started["gateway_order_id"])["order"]
    assert (held["amount"], held["currency"]) == (paise(unpaid_order["total"]), "INR")
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "unpaid"

    # Step 2 - they approve it in their UPI app (checkout), and the app verifies
    with allure.step("checkout with the saved UPI id, then verify"):
        receipt = gateway.checkout(started["gateway_order_id"], vpa=saved_upi["upi_id"])
        verified = customer.payments.verify(started["id"], receipt)

    # then the payment is captured by that gateway payment and the order is paid
    assert verified["status"] == "captured"
    assert verified["gateway_payment_id"] == receipt["razorpay_payment_id"]
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"

    # Step 3 - the gateway's webhooks arrive too, and change nothing more
    with allure.step("the gateway's webhooks are delivered"):
        deliveries = gateway.wait_for_checkout_webhooks(started["gateway_order_id"])
    assert sorted(d["event"] for d in deliveries) == sorted(CHECKOUT_EVENTS)
    read_back = customer.payments.get(started["id"])
    assert (read_back["status"], read_back["gateway_payment_id"]) == \
        ("captured", receipt["razorpay_payment_id"])
    assert [p["id"] for p in customer.payments.all()] == [started["id"]]
    charged = gateway.gateway_payment(receipt["razorpay_payment_id"])["payment"]
    assert (charged["status"], charged["amount"], charged["vpa"]) == \
        ("captured", paise(unpaid_order["total"]), saved_upi["upi_id"])


@allure.feature("Payments")
@allure.story("Pay online with a saved UPI id")
def test_verifying_again_with_the_same_values_changes_nothing(customer, gateway, online_payment):
    # given a payment verified once
    receipt = gateway.checkout(online_payment["gateway_order_id"])
    first = customer.payments.verify(online_payment["id"], receipt)
    order_before = customer.orders.get(first["order_id"])

    # when the app verifies it again (a retry after a lost reply)
    again = customer.payments.verify(online_payment["id"], receipt)

    # then it is the same captured payment, and nothing more happened
    assert (again["status"], again["gateway_payment_id"]) == \
        ("captured", first["gateway_payment_id"])
    assert customer.orders.get(first["order_id"]) == order_before
    assert len(customer.payments.all()) == 1


@allure.feature("Payments")
@allure.story("Pay online with a saved UPI id")
def test_customer_reads_their_payments(customer, gateway, paid_order):
    # when the customer lists their payments and reads the one of the paid order
    listed = customer.payments.list()
    payment = customer.payments.get(listed["results"][0]["id"])

    # then it is that order's captured online payment, its amount a JSON number of rupees
    assert listed["count"] == 1
    assert (payment["purpose"], payment["method"], payment["status"]) == \
        ("order", "online", "captured")
    assert str(payment["order_id"]) == str(paid_order["id"])
    assert money(payment["amount"]) == money(paid_order["total"])
