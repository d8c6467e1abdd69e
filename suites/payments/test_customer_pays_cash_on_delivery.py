"""A customer chooses cash on delivery: the payment stays pending and the order unpaid until
the laundry delivers it."""

import allure
import pytest

from fixtures.orders import LIFECYCLE, money, walk

pytestmark = [pytest.mark.money]


@allure.feature("Payments")
@allure.story("Cash on delivery")
def test_cash_payment_is_pending_until_delivery(customer, cash_order):
    # when the customer chooses to pay in cash
    payment = customer.payments.pay(cash_order["id"], method="cash")

    # then the payment is pending, with no gateway order, and the order is not paid yet
    assert (payment["method"], payment["status"]) == ("cash", "pending")
    assert money(payment["amount"]) == money(cash_order["total"])
    assert payment["gateway_order_id"] is None
    assert customer.orders.get(cash_order["id"])["payment_status"] == "unpaid"
    assert money(customer.wallet.get()["balance"]) == 0


@allure.feature("Payments")
@allure.story("Cash on delivery")
@pytest.mark.needs_staff
def test_cash_is_collected_on_delivery(customer, staff, cash_order):
    # given a pending cash payment
    payment = customer.payments.pay(cash_order["id"], method="cash")

    # when the laundry delivers the order
    walk(staff, cash_order["id"], LIFECYCLE[1:])

    # then the cash is captured and the order is paid
    assert customer.orders.get(cash_order["id"])["payment_status"] == "paid"
    assert customer.payments.get(payment["id"])["status"] == "captured"


@allure.feature("Payments")
@allure.story("Cash on delivery")
@pytest.mark.needs_staff
def test_cash_stays_pending_at_every_step_before_delivery(customer, staff, cash_order):
    # given a pending cash payment
    payment = customer.payments.pay(cash_order["id"], method="cash")

    # when the laundry moves the order along, one step at a time, up to the door
    for status in LIFECYCLE[1:-1]:
        walk(staff, cash_order["id"], [status])

        # then at each step nothing is collected yet: the cash changes hands on delivery
        assert customer.orders.get(cash_order["id"])["payment_status"] == "unpaid", status
        assert customer.payments.get(payment["id"])["status"] == "pending", status

    # and on delivery it is (the positive control)
    walk(staff, cash_order["id"], LIFECYCLE[-1:])
    assert customer.orders.get(cash_order["id"])["payment_status"] == "paid"
