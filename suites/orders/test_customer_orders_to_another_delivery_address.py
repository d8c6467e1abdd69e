"""A customer has the laundry picked up at one address and delivered to another: the order keeps
both as given, whichever the customer names first; without a delivery address it is the pickup
one (the contract's default)."""

import allure
import pytest


@allure.feature("Orders")
@allure.story("Pickup and delivery addresses")
@pytest.mark.parametrize("pickup_first", [True, False], ids=["home then office",
                                                            "office then home"])
def test_the_delivery_address_given_is_kept(customer, order_for, data, pickup_first):
    # given two addresses of the customer's, named in either order
    body = order_for(customer)
    office = customer.addresses.create(**data.address(label="work"))
    pickup, delivery = ((body["pickup_address"], office["id"]) if pickup_first
                        else (office["id"], body["pickup_address"]))

    # when they order with a pickup and another delivery address
    order = customer.orders.create(**{**body, "pickup_address": pickup,
                                      "delivery_address": delivery})

    # then the order keeps each as given
    assert (order["pickup_address"]["id"], order["delivery_address"]["id"]) == (pickup, delivery)


@allure.feature("Orders")
@allure.story("Pickup and delivery addresses")
def test_without_a_delivery_address_the_pickup_one_is_used(customer, order_for):
    # when a customer orders naming only the pickup address
    body = order_for(customer)
    body.pop("delivery_address", None)
    order = customer.orders.create(**body)

    # then the laundry comes back to it
    assert order["delivery_address"]["id"] == order["pickup_address"]["id"] == \
        body["pickup_address"]
