"""Object level: customer B cannot read or delete customer A's uploaded photo, nor upload a photo
onto A's order; to B they do not exist (404), and A's photo and order are untouched."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.images import comparable, stored_name

pytestmark = [pytest.mark.security]


@allure.feature("Security: object level")
@allure.story("Another customer's photo")
def test_customer_cannot_read_another_customers_photo(customer, other_customer, photos):
    # given A's photo, which A can read (positive control)
    image = customer.uploads.upload_image(photos.jpeg())
    assert comparable(customer.uploads.get_image(image["id"])) == comparable(image)

    # when B asks for it
    reply = other_customer.uploads.raw_get_image(image["id"])

    # then to B it does not exist, and its stored name does not leak
    expect_error(reply, HTTPStatus.NOT_FOUND)
    assert stored_name(image["url"]) not in reply.text


@allure.feature("Security: object level")
@allure.story("Another customer's photo")
def test_customer_cannot_delete_another_customers_photo(customer, other_customer, photos):
    # given A can delete a photo of theirs (positive control) and keeps another one
    spare = customer.uploads.upload_image(photos.jpeg())
    customer.uploads.delete_image(spare["id"])
    image = customer.uploads.upload_image(photos.jpeg())

    # when B deletes A's photo
    reply = other_customer.uploads.raw_delete_image(image["id"])

    # then it answers 404, and A's photo is still there and still served
    expect_error(reply, HTTPStatus.NOT_FOUND)
    assert comparable(customer.uploads.get_image(image["id"])) == comparable(image)
    customer.uploads.image_bytes(image["url"])


@allure.feature("Security: object level")
@allure.story("Another customer's order")
def test_customer_cannot_upload_a_photo_onto_another_customers_order(customer, other_customer,
                                                                     order, photos):
    # given A can upload a photo for their order (positive control)
    customer.uploads.upload_image(photos.jpeg(), order_id=order["id"])
    before = comparable(customer.orders.get(order["id"]))

    # when B uploads a photo naming A's order
    reply = other_customer.uploads.raw_upload_image(photos.jpeg(), order_id=order["id"])

    # then it is refused (invalid, or no such order), and A's order is unchanged
    assert reply.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND), \
        f"{reply.status_code} {reply.text[:300]}"
    expect_error(reply, reply.status_code)
    assert comparable(customer.orders.get(order["id"])) == before
