"""Object level: customer B cannot read, replace, edit or delete customer A's address; to B it
does not exist (404), and A's address is untouched."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

pytestmark = [pytest.mark.security]


@allure.feature("Security: object level")
@allure.story("Another customer's address")
def test_customer_cannot_read_another_customers_address(customer, other_customer, data):
    # given A's address, which A can read (positive control)
    address = customer.addresses.create(**data.address())
    assert customer.addresses.get(address["id"]) == address

    # when B asks for it
    reply = other_customer.addresses.raw_get(address["id"])

    # then to B it does not exist, and nothing of it leaks in the reply
    expect_error(reply, HTTPStatus.NOT_FOUND)
    assert address["address_line1"] not in reply.text


@allure.feature("Security: object level")
@allure.story("Another customer's address")
def test_customer_cannot_replace_or_edit_another_customers_address(customer, other_customer,
                                                                   data):
    # given A's address, which A can replace and edit (positive control)
    address = customer.addresses.create(**data.address(label="home"))
    address = customer.addresses.replace(address["id"], **data.address(label="home"))
    address = customer.addresses.update(address["id"], address_line2="Flat 1")

    # when B replaces it (PUT) and edits it (PATCH)
    replaced = other_customer.addresses.raw_replace(address["id"],
                                                    **data.address(label="work"))
    edited = other_customer.addresses.raw_update(address["id"], address_line2="Hijacked",
                                                 is_default=True)

    # then both answer 404, and A's address is exactly as A left it
    expect_error(replaced, HTTPStatus.NOT_FOUND)
    expect_error(edited, HTTPStatus.NOT_FOUND)
    assert customer.addresses.get(address["id"]) == address
    assert other_customer.addresses.list()["count"] == 0


@allure.feature("Security: object level")
@allure.story("Another customer's address")
def test_customer_cannot_delete_another_customers_address(customer, other_customer, data):
    # given A can delete an address of theirs (positive control) and keeps another one
    spare = customer.addresses.create(**data.address())
    customer.addresses.delete(spare["id"])
    address = customer.addresses.create(**data.address())

    # when B deletes A's address
    reply = other_customer.addresses.raw_delete(address["id"])

    # then it answers 404 and A still has the address, unchanged
    expect_error(reply, HTTPStatus.NOT_FOUND)
    assert customer.addresses.get(address["id"]) == address
    assert [a["id"] for a in customer.addresses.all()] == [address["id"]]
