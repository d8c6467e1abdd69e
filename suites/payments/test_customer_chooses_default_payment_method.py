"""Exactly one saved method is the default while any exists: the first becomes it, the
customer moves it with PATCH, and deleting it hands it to the newest remaining method; a
deleted method is never listed again."""

from http import HTTPStatus

import allure

from fixtures.api import expect_error
from fixtures.payments import upi_details


def defaults(customer) -> list[str]:
    """The ids of the customer's saved methods marked default, read back through the list."""
    return [m["id"] for m in customer.payments.all_methods() if m["is_default"]]


@allure.feature("Payments")
@allure.story("Default payment method")
def test_the_first_method_is_the_default(customer, data):
    # when the customer saves a first method, without asking for it to be the default
    first = customer.payments.save_method(**upi_details(data), is_default=False)

    # then it is the default; the next one is not
    assert first["is_default"] is True
    second = customer.payments.save_method(**upi_details(data))
    assert second["is_default"] is False
    assert defaults(customer) == [first["id"]]


@allure.feature("Payments")
@allure.story("Default payment method")
def test_a_new_method_saved_as_default_takes_over(customer, data, visa_card):
    # given a first method, the default
    first = customer.payments.save_method(**upi_details(data))

    # when the customer saves a card as the default
    card = customer.payments.save_method(**visa_card, is_default=True)

    # then the card is the one default
    assert card["is_default"] is True
    assert defaults(customer) == [card["id"]]
    assert customer.payments.get_method(first["id"])["is_default"] is False


@allure.feature("Payments")
@allure.story("Default payment method")
def test_customer_moves_the_default_with_patch(customer, data):
    # given two methods, the first the default
    first = customer.payments.save_method(**upi_details(data))
    second = customer.payments.save_method(**upi_details(data))
    assert defaults(customer) == [first["id"]]

    # when the customer marks the second as the default
    moved = customer.payments.set_default(second["id"])

    # then it is the one default, in the reply and read back
    assert moved["is_default"] is True
    assert defaults(customer) == [second["id"]]

    # and unmarking the one default leaves it the default (exactly one while any exist)
    reply = customer.payments.raw_update_method(second["id"], is_default=False)
    assert reply.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST), reply.text[:300]
    if reply.status_code == HTTPStatus.BAD_REQUEST:
        expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert defaults(customer) == [second["id"]]


@allure.feature("Payments")
@allure.story("Default payment method")
def test_deleting_the_default_makes_the_newest_remaining_one_default(customer, data):
    # given three methods made in turn, the middle one the default
    oldest = customer.payments.save_method(**upi_details(data))
    middle = customer.payments.save_method(**upi_details(data))
    newest = customer.payments.save_method(**upi_details(data))
    customer.payments.set_default(middle["id"])

    # positive control: deleting a method that is not the default leaves the default alone
    spare = customer.payments.save_method(**upi_details(data))
    customer.payments.delete_method(spare["id"])
    assert defaults(customer) == [middle["id"]]

    # when the customer deletes the default
    customer.payments.delete_method(middle["id"])

    # then the newest remaining method (not the oldest) is the one default
    assert defaults(customer) == [newest["id"]]
    assert customer.payments.get_method(oldest["id"])["is_default"] is False

    # and the deleted ones are never listed, nor found
    listed = [m["id"] for m in customer.payments.all_methods()]
    assert sorted(listed) == sorted([oldest["id"], newest["id"]])
    for gone in (middle, spare):
        expect_error(customer.payments.raw_get_method(gone["id"]), HTTPStatus.NOT_FOUND)


@allure.feature("Payments")
@allure.story("Default payment method")
def test_deleting_the_last_method_leaves_none(customer, data):
    # given one method, the default
    only = customer.payments.save_method(**upi_details(data))

    # when the customer deletes it
    customer.payments.delete_method(only["id"])

    # then nothing is listed, and the next method saved is the default again
    assert customer.payments.list_methods()["count"] == 0
    assert customer.payments.save_method(**upi_details(data))["is_default"] is True
