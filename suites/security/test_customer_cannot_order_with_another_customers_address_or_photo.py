"""Object level: customer B cannot place an order that collects from or delivers to customer
A's address, or that attaches A's photo (400 or 404); no order is created for B, and A's
address and photo stay A's."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.images import comparable, stored_name

pytestmark = [pytest.mark.security]

REFUSED = (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND)


@pytest.fixture
def victim_address(customer, data) -> dict:
    """An address of customer A (`customer`), the victim."""
    return customer.addresses.create(**data.address())


@pytest.fixture
def victim_photo(customer, photos) -> dict:
    """A photo customer A (`customer`) uploaded."""
    return customer.uploads.upload_image(photos.jpeg())


@pytest.fixture
def attacker_body(other_customer, order_for) -> dict:
    """A valid order body of customer B (`other_customer`), from B's own address."""
    return order_for(other_customer)


def order_ids(caller) -> list[str]:
    return [o["id"] for o in caller.orders.all()]


@allure.feature("Security: object level")
@allure.story("Ordering with another customer's things")
@pytest.mark.parametrize("side", ["pickup_address", "delivery_address"])
def test_customer_cannot_order_with_another_customers_address(customer, other_customer,
                                                              victim_address, attacker_body,
                                                              side):
    # given B can order from their own address (positive control)
    made = other_customer.orders.create(**attacker_body)

    # when B orders naming A's address as the `side`
    reply = other_customer.orders.raw_create(**(attacker_body | {side: victim_address["id"]}))

    # then it is refused, B has only the one order, and A's address is A's, unchanged
    assert reply.status_code in REFUSED, f"{reply.status_code} {reply.text[:300]}"
    expect_error(reply, reply.status_code)
    assert victim_address["address_line1"] not in reply.text
    assert order_ids(other_customer) == [made["id"]]
    assert customer.addresses.get(victim_address["id"]) == victim_address


@allure.feature("Security: object level")
@allure.story("Ordering with another customer's things")
def test_customer_cannot_attach_another_customers_photo(customer, other_customer, victim_photo,
                                                        attacker_body, photos):
    # given B can order with a photo of their own (positive control)
    own = other_customer.uploads.upload_image(photos.jpeg())
    made = other_customer.orders.create(**attacker_body, image_ids=[own["id"]])
    assert [str(i["id"]) for i in made["images"]] == [str(own["id"])]

    # when B orders attaching A's photo
    reply = other_customer.orders.raw_create(**attacker_body, image_ids=[victim_photo["id"]])

    # then it is refused, B has only the one order, and A's photo is A's, unchanged
    assert reply.status_code in REFUSED, f"{reply.status_code} {reply.text[:300]}"
    expect_error(reply, reply.status_code)
    assert stored_name(victim_photo["url"]) not in reply.text
    assert order_ids(other_customer) == [made["id"]]
    assert comparable(customer.uploads.get_image(victim_photo["id"])) == comparable(victim_photo)
    expect_error(other_customer.uploads.raw_get_image(victim_photo["id"]), HTTPStatus.NOT_FOUND)
