"""A customer keeps an address book: adds, reads, replaces, edits and deletes addresses."""

from http import HTTPStatus

import allure

from fixtures.api import expect_error

FIELDS = ("label", "address_line1", "address_line2", "city", "state", "pincode")


def same_place(address: dict, body: dict) -> bool:
    """Whether the stored address holds what was sent (coordinates to 6 decimals)."""
    return all(address[f] == body[f] for f in FIELDS) and all(
        round(float(address[f]), 6) == round(float(body[f]), 6) for f in ("latitude", "longitude"))


@allure.feature("Addresses")
@allure.story("Address book")
def test_first_address_becomes_the_default(customer, data):
    # given a customer with no address
    assert customer.addresses.list()["count"] == 0

    # when they add one without asking for it to be the default
    body = data.address(is_default=False)
    created = customer.addresses.create(**body)

    # then it is stored as sent, and it is the default
    assert same_place(created, body), (created, body)
    assert created["is_default"] is True
    assert customer.addresses.get(created["id"]) == created


@allure.feature("Addresses")
@allure.story("Address book")
def test_customer_lists_their_addresses(customer, data):
    # given a customer who added three addresses
    made = [customer.addresses.create(**data.address()) for _ in range(3)]

    # when they list them
    page = customer.addresses.list()

    # then the page holds exactly those three, each as it reads alone
    assert page["count"] == 3
    assert {a["id"] for a in page["results"]} == {a["id"] for a in made}
    for row in page["results"]:
        assert customer.addresses.get(row["id"]) == row


@allure.feature("Addresses")
@allure.story("Address book")
def test_customer_replaces_an_address(customer, data):
    # given an address
    address = customer.addresses.create(**data.address(label="home"))

    # when the customer replaces it whole (PUT)
    replacement = data.address(label="work")
    replaced = customer.addresses.replace(address["id"], **replacement)

    # then every field is the new one, read back too, and the id and creation time are kept
    assert same_place(replaced, replacement), (replaced, replacement)
    assert (replaced["id"], replaced["created_at"]) == (address["id"], address["created_at"])
    assert customer.addresses.get(address["id"]) == replaced


@allure.feature("Addresses")
@allure.story("Address book")
def test_customer_edits_one_field_of_an_address(customer, data):
    # given an address
    address = customer.addresses.create(**data.address(label="home"))

    # when the customer changes only its second line (PATCH)
    line = f"Near {data.faker.street_name()}"
    edited = customer.addresses.update(address["id"], address_line2=line)

    # then only that field changed
    assert edited["address_line2"] == line
    unchanged = {k: v for k, v in address.items() if k != "address_line2"}
    assert {k: edited[k] for k in unchanged} == unchanged
    assert customer.addresses.get(address["id"]) == edited


@allure.feature("Addresses")
@allure.story("Address book")
def test_customer_deletes_an_address(customer, data):
    # given two addresses
    kept = customer.addresses.create(**data.address())
    gone = customer.addresses.create(**data.address())

    # when the customer deletes one
    customer.addresses.delete(gone["id"])

    # then it is absent (404) and no longer listed, and the other is untouched
    expect_error(customer.addresses.raw_get(gone["id"]), HTTPStatus.NOT_FOUND)
    assert [a["id"] for a in customer.addresses.all()] == [kept["id"]]
    assert customer.addresses.get(kept["id"]) == kept
