"""A page size beyond the limit is capped at 100; a negative one is ignored or refused."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

MAX_PAGE_SIZE = 100  # the contract: `?page_size=` up to 100
DEFAULT_PAGE_SIZE = 20


@allure.feature("Catalog")
@allure.story("Page sizes")
@pytest.mark.security
def test_a_huge_page_size_is_capped(anonymous):
    # given a page size within the limit is honoured (positive control)
    small = anonymous.catalog.items(page_size=2)
    assert len(small["results"]) == min(2, small["count"])

    # when a visitor asks for 100000 items a page
    page = anonymous.catalog.items(page_size=100000)

    # then the page holds at most 100, and links to the rest when there are more
    assert len(page["results"]) == min(page["count"], MAX_PAGE_SIZE)
    assert (page["next"] is not None) == (page["count"] > MAX_PAGE_SIZE)


@allure.feature("Catalog")
@allure.story("Page sizes")
@pytest.mark.security
@pytest.mark.parametrize("page_size", ["-5", "0"])
def test_a_negative_or_zero_page_size_is_handled(anonymous, page_size):
    # given the default page (positive control)
    default = anonymous.catalog.items()
    assert len(default["results"]) == min(default["count"], DEFAULT_PAGE_SIZE)

    # when a visitor asks for a page size that is not positive
    reply = anonymous.catalog.raw_items(page_size=page_size)

    # then it is ignored (the default page) or refused as invalid input, never a server error
    if reply.status_code == HTTPStatus.OK:
        assert reply.json()["results"] == default["results"], reply.text[:500]
    else:
        expect_error(reply, HTTPStatus.BAD_REQUEST)
