"""Payments and wallet integrity: webhooks come in no guaranteed order. A payment.failed of an
earlier, declined attempt that arrives after the order was paid leaves the order paid and its
payment captured: a paid order never goes back."""

import allure
import pytest

from fixtures.gateway import FAILURE_VPA, checkout_failed
from fixtures.payments import money_state

pytestmark = [pytest.mark.security, pytest.mark.money]

# long enough for the second attempt to be paid, verified and announced first, even under load
DELAY_SECONDS = 5


@allure.feature("Security: payments integrity")
@allure.story("payment.failed after order.paid")
def test_a_late_payment_failed_leaves_the_order_paid(customer, gateway, online_payment,
                                                     unpaid_order):
    oid = online_payment["gateway_order_id"]
    # given a first attempt the UPI app declined, whose payment.failed the gateway holds back
    with gateway.fault("webhook_delay", match={"order_id": oid, "event": "payment.failed"},
                       seconds=DELAY_SECONDS):
        declined = gateway.checkout(oid, vpa=FAILURE_VPA)
    assert checkout_failed(declined), declined

    # and a second attempt that succeeded and was verified: the order is paid
    receipt = gateway.checkout(oid)
    customer.payments.verify(online_payment["id"], receipt)
    (paid,) = gateway.wait_for_webhook(order_id=oid, event="order.paid")
    assert customer.orders.get(unpaid_order["id"])["payment_status"] == "paid"
    before = money_state(customer, unpaid_order["id"])

    # when the late payment.failed arrives
    (failed,) = gateway.wait_for_webhook(order_id=oid, event="payment.failed")
    assert failed["delivered_at"] > paid["delivered_at"], (
        f"the harness meant payment.failed to arrive after order.paid: {failed['delivered_at']}"
        f" <= {paid['delivered_at']} (raise DELAY_SECONDS)")

    # then it was answered 2xx (above) and the order is still paid, its payment captured
    after = money_state(customer, unpaid_order["id"])
    assert after == before
    assert after["orders"][0]["payment_status"] == "paid"
    assert customer.payments.get(online_payment["id"])["status"] == "captured"

    # and replaying it changes nothing either
    gateway.wait_for_delivery(gateway.redeliver(failed["event_id"]))
    assert money_state(customer, unpaid_order["id"]) == before
