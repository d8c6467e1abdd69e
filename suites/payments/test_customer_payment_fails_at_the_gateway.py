"""When the customer's UPI app declines (failure@razorpay), the order stays unpaid and the
payment shows a reason the customer can read; a second try at the same checkout pays it."""

import allure
import pytest

from fixtures.gateway import FAILURE_VPA, SUCCESS_VPA, checkout_failed

pytestmark = [pytest.mark.money]


@allure.feature("Payments")
@allure.story("A payment fails at the gateway")
def test_a_failed_payment_leaves_the_order_unpaid_with_a_reason(customer, gateway, unpaid_order,
                                                                online_payment):
    # when the customer's UPI app declines the payment
    reply = gateway.checkout(online_payment["gateway_order_id"], vpa=FAILURE_VPA)
    assert checkout_failed(reply), reply
    gateway.wait_for_webhook(order_id=online_payment["gateway_order_id"],
                             event="payment.failed")

    # then the order is unpaid, and the payment failed with a readable reason
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "unpaid"
    payment = customer.payments.get(online_payment["id"])
    assert payment["status"] == "failed", payment
    reason = payment["failure_reason"] or ""
    readable = len(reason) > 10 and " " in reason
    assert readable, f"not a sentence for the customer: {reason!r}"
    assert payment["gateway_payment_id"] in (None, "", reply["razorpay_payment_id"])


@allure.feature("Payments")
@allure.story("A payment fails at the gateway")
def test_customer_pays_at_the_second_try(customer, gateway, unpaid_order, online_payment):
    # given a first try the UPI app declined
    failed = gateway.checkout(online_payment["gateway_order_id"], vpa=FAILURE_VPA)
    assert checkout_failed(failed), failed
    gateway.wait_for_webhook(order_id=online_payment["gateway_order_id"],
                             event="payment.failed")

    # when the customer tries again at the same checkout, and it succeeds
    receipt = gateway.checkout(online_payment["gateway_order_id"], vpa=SUCCESS_VPA)
    verified = customer.payments.verify(online_payment["id"], receipt)

    # then the order is paid by the second gateway payment, not the failed one
    assert verified["status"] == "captured"
    assert verified["gateway_payment_id"] == receipt["razorpay_payment_id"]
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"
    gateway.wait_for_webhook(order_id=online_payment["gateway_order_id"], event="order.paid")
