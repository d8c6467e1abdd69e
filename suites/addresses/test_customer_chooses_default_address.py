"""Exactly one address is the default while any exists; the customer moves it, and deleting
it hands it to the newest remaining address."""

import allure


def defaults(customer) -> list[str]:
    """The ids of the customer's addresses marked default, read back through the list."""
    return [a["id"] for a in customer.addresses.all() if a["is_default"]]


@allure.feature("Addresses")
@allure.story("Default address")
def test_a_new_default_address_takes_over(customer, data):
    # given a first address, which is the default
    home = customer.addresses.create(**data.address(label="home"))
    assert defaults(customer) == [home["id"]]

    # when the customer adds another one as the default
    work = customer.addresses.create(**data.address(label="work", is_default=True))

    # then it is the one and only default
    assert work["is_default"] is True
    assert defaults(customer) == [work["id"]]
    assert customer.addresses.get(home["id"])["is_default"] is False


@allure.feature("Addresses")
@allure.story("Default address")
def test_customer_moves_the_default_to_another_address(customer, data):
    # given two addresses, the first the default
    home = customer.addresses.create(**data.address(label="home"))
    work = customer.addresses.create(**data.address(label="work"))
    assert work["is_default"] is False
    assert defaults(customer) == [home["id"]]

    # when the customer marks the second as the default
    moved = customer.addresses.update(work["id"], is_default=True)

    # then it is the one and only default
    assert moved["is_default"] is True
    assert defaults(customer) == [work["id"]]


@allure.feature("Addresses")
@allure.story("Default address")
def test_deleting_the_default_makes_the_newest_remaining_one_default(customer, data):
    # given three addresses made in turn, the middle one the default
    oldest = customer.addresses.create(**data.address())
    middle = customer.addresses.create(**data.address())
    newest = customer.addresses.create(**data.address())
    customer.addresses.update(middle["id"], is_default=True)
    assert defaults(customer) == [middle["id"]]

    # positive control: deleting an address that is not the default leaves the default alone
    spare = customer.addresses.create(**data.address())
    customer.addresses.delete(spare["id"])
    assert defaults(customer) == [middle["id"]]

    # when the customer deletes the default
    customer.addresses.delete(middle["id"])

    # then the newest remaining address (not the oldest) is the one default
    assert defaults(customer) == [newest["id"]]
    assert customer.addresses.get(oldest["id"])["is_default"] is False


@allure.feature("Addresses")
@allure.story("Default address")
def test_deleting_the_last_address_leaves_an_empty_book(customer, data):
    # given one address, the default
    only = customer.addresses.create(**data.address())

    # when the customer deletes it
    customer.addresses.delete(only["id"])

    # then the book is empty, and the next address is the default again
    assert customer.addresses.list()["count"] == 0
    assert customer.addresses.create(**data.address())["is_default"] is True
