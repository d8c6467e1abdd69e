"""The address book comes in pages, walked by the links the server writes; a page size is
capped at 100 whatever the app asks."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

MAX_PAGE_SIZE = 100  # the contract: `?page_size=` up to 100


@allure.feature("Addresses")
@allure.story("Pagination")
def test_customer_pages_through_address_book(customer, data):
    # given a customer with five addresses
    made = {customer.addresses.create(**data.address())["id"] for _ in range(5)}

    # when they read it two at a time, following the next links
    first = customer.addresses.list(page_size=2)
    second = customer.addresses.list_at(first["next"])
    third = customer.addresses.list_at(second["next"])

    # then the pages hold 2, 2 and 1 addresses, every one once, and the links chain both ways
    assert [p["count"] for p in (first, second, third)] == [5, 5, 5]
    assert [len(p["results"]) for p in (first, second, third)] == [2, 2, 1]
    assert first["previous"] is None
    assert third["next"] is None
    seen = [a["id"] for p in (first, second, third) for a in p["results"]]
    assert sorted(seen) == sorted(made)
    back = customer.addresses.list_at(second["previous"])
    assert [a["id"] for a in back["results"]] == [a["id"] for a in first["results"]]


@allure.feature("Addresses")
@allure.story("Pagination")
@pytest.mark.security
def test_a_huge_page_size_is_capped_at_100(customer, data):
    # given a customer with more addresses than one page may hold
    for _ in range(MAX_PAGE_SIZE + 1):
        customer.addresses.create(**data.address())

    # positive control: a page size within the limit is honoured
    assert len(customer.addresses.list(page_size=7)["results"]) == 7

    # when the app asks for 100000 a page
    page = customer.addresses.list(page_size=100000)

    # then it gets 100, and a link to the rest
    assert page["count"] == MAX_PAGE_SIZE + 1
    assert len(page["results"]) == MAX_PAGE_SIZE
    assert page["next"] is not None
    assert len(customer.addresses.list_at(page["next"])["results"]) == 1


@allure.feature("Addresses")
@allure.story("Pagination")
@pytest.mark.security
@pytest.mark.parametrize("page_size", ["-1", "0", "abc"])
def test_a_nonsense_page_size_is_handled(customer, data, page_size):
    # given a customer with three addresses, listed in full (positive control)
    for _ in range(3):
        customer.addresses.create(**data.address())
    assert len(customer.addresses.list()["results"]) == 3

    # when the app asks for a page size that is not one
    reply = customer.addresses.raw_list(page_size=page_size)

    # then it is ignored (the default page) or refused as invalid input, never a server error
    if reply.status_code == HTTPStatus.OK:
        assert len(reply.json()["results"]) == 3, reply.text
    else:
        expect_error(reply, HTTPStatus.BAD_REQUEST)
