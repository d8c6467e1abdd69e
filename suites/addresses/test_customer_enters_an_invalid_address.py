"""An address the server cannot deliver to is refused, naming the field, and nothing is stored."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

ONE_MEGABYTE = 1024 * 1024


@allure.feature("Addresses")
@allure.story("Address validation")
@pytest.mark.parametrize(("pincode", "why"), [
    ("56001", "5 digits"),
    ("5600011", "7 digits"),
    ("056001", "leading 0"),
    ("56A0B1", "letters"),
], ids=["5-digits", "7-digits", "leading-zero", "letters"])
def test_an_invalid_pincode_is_refused(customer, data, pincode, why):
    # given a valid PIN is accepted (positive control)
    valid = customer.addresses.create(**data.address(pincode="560001"))
    assert valid["pincode"] == "560001"

    # when the app sends a PIN that breaks one rule (`why`)
    reply = customer.addresses.raw_create(**data.address(pincode=pincode))

    # then it is refused as invalid input on `pincode`, and nothing more is stored
    body = expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert "pincode" in body.get("errors", {}), f"{why}: {body}"
    assert [a["id"] for a in customer.addresses.all()] == [valid["id"]]


@allure.feature("Addresses")
@allure.story("Address validation")
def test_an_unknown_label_is_refused(customer, data):
    # given the contract's labels are accepted (positive control)
    made = [customer.addresses.create(**data.address(label=label))
            for label in ("home", "work", "other")]

    # when the app sends a label the contract does not have
    reply = customer.addresses.raw_create(**data.address(label="mansion"))

    # then it is refused on `label`, and nothing more is stored
    body = expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert "label" in body.get("errors", {}), body
    assert sorted(a["id"] for a in customer.addresses.all()) == sorted(a["id"] for a in made)


@allure.feature("Addresses")
@allure.story("Address validation")
@pytest.mark.security
def test_a_one_megabyte_address_line_is_refused(customer, data):
    # given an ordinary address is accepted (positive control)
    valid = customer.addresses.create(**data.address())

    # when the app sends an address line of 1 MB
    reply = customer.addresses.raw_create(**data.address(address_line1="A" * ONE_MEGABYTE))

    # then it is refused (400 on the field; a body limit's 413 refuses it as well), and the
    # book holds only the valid address, unchanged
    assert reply.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE), \
        reply.text[:500]
    body = expect_error(reply, reply.status_code)
    if reply.status_code == HTTPStatus.BAD_REQUEST:
        assert "address_line1" in body.get("errors", {}), body
    assert customer.addresses.all() == [valid]
