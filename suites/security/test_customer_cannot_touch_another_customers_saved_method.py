"""Object level: customer B cannot read, change, delete or pay with customer A's saved payment
method (to B it does not exist: 404, or 400 when paying); B never sees it listed, and A's method
stays exactly as it was."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.payments import affordable, upi_details

pytestmark = [pytest.mark.security]

REFUSED = (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND)


@allure.feature("Security: object level")
@allure.story("Another customer's saved method")
def test_customer_cannot_read_change_or_delete_another_customers_method(customer,
                                                                       other_customer,
                                                                       saved_card, data):
    # given A reads their card, and B has a method of their own (positive control)
    assert customer.payments.get_method(saved_card["id"]) == saved_card
    own = other_customer.payments.save_method(**upi_details(data))

    # when B reads, makes default and deletes A's card
    replies = {"read": other_customer.payments.raw_get_method(saved_card["id"]),
               "set default": other_customer.payments.raw_set_default(saved_card["id"]),
               "delete": other_customer.payments.raw_delete_method(saved_card["id"])}

    # then to B it does not exist, nothing of it leaks, and A's card is as it was
    for name, reply in replies.items():
        with allure.step(f"B's {name}"):
            expect_error(reply, HTTPStatus.NOT_FOUND)
            assert "last4" not in reply.text
    assert customer.payments.all_methods() == [saved_card]
    # and B's own default is B's own method, untouched
    assert [m["id"] for m in other_customer.payments.all_methods()] == [own["id"]]
    assert other_customer.payments.get_method(own["id"])["is_default"] is True


@allure.feature("Security: object level")
@allure.story("Another customer's saved method")
def test_customer_never_sees_another_customers_methods_in_lists(customer, other_customer,
                                                                saved_card, saved_upi):
    # given A has two methods, listed to A (positive control)
    assert customer.payments.list_methods()["count"] == 2

    # when B lists methods, also asking for A's by user id
    pages = [other_customer.payments.list_methods(),
             other_customer.payments.list_methods(user=customer.id)]

    # then none shows anything of A's
    for page in pages:
        assert (page["count"], page["results"]) == (0, [])


@allure.feature("Security: object level")
@allure.story("Another customer's saved method")
@pytest.mark.money
def test_customer_cannot_pay_with_another_customers_method(customer, other_customer,
                                                           saved_upi, order_for, data):
    # given B has an unpaid order and a method of their own, which pays it (positive control)
    body = affordable(order_for(other_customer), payment_method="online")
    spare = other_customer.orders.create(**body)
    own = other_customer.payments.save_method(**upi_details(data))
    other_customer.payments.pay(spare["id"], method="online", saved_method_id=own["id"])
    order = other_customer.orders.create(**body)
    payments = other_customer.payments.all()

    # when B pays the other order online naming A's saved UPI id
    reply = other_customer.payments.raw_pay(order["id"], method="online",
                                            saved_method_id=saved_upi["id"])

    # then it is refused, no payment is made for B, and A's method is as it was
    assert reply.status_code in REFUSED, reply.text[:300]
    expect_error(reply, reply.status_code)
    assert saved_upi["upi_id"] not in reply.text
    assert other_customer.payments.all() == payments
    assert other_customer.orders.get(order["id"])["payment_status"] == "unpaid"
    assert customer.payments.get_method(saved_upi["id"]) == saved_upi
