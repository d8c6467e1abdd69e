"""Anyone, logged in or not, browses the laundry categories page by page."""

import math
from http import HTTPStatus

import allure

from fixtures.api import expect_error


@allure.feature("Catalog")
@allure.story("Browse categories")
def test_visitor_browses_service_categories(anonymous):
    # given the whole list of categories, read without logging in
    everything = anonymous.catalog.categories(page_size=100)
    assert everything["count"] >= 1, "the catalog has no category to browse"
    assert everything["count"] == len(everything["results"])

    # when a visitor reads them two at a time, following the next links
    walked = anonymous.catalog.all_categories(page_size=2)

    # then they see every category once, the same as in one page
    assert [c["id"] for c in walked] == [c["id"] for c in everything["results"]]
    assert walked == everything["results"]


@allure.feature("Catalog")
@allure.story("Browse categories")
def test_the_previous_link_leads_back(anonymous):
    # given a catalog of at least two pages of one category
    first = anonymous.catalog.categories(page_size=1)
    assert first["previous"] is None
    assert first["next"], "one category a page must leave a next page"

    # when the visitor goes forward and back
    second = anonymous.catalog.categories_at(first["next"])
    back = anonymous.catalog.categories_at(second["previous"])

    # then they are where they started
    assert back["results"] == first["results"]
    assert second["results"] != first["results"]


@allure.feature("Catalog")
@allure.story("Browse categories")
def test_a_page_past_the_end_is_404(anonymous):
    # given the last page exists (positive control)
    page_size = 2
    count = anonymous.catalog.categories(page_size=page_size)["count"]
    last = math.ceil(count / page_size)
    assert anonymous.catalog.categories(page_size=page_size, page=last)["next"] is None

    # when the visitor asks for the page after it
    reply = anonymous.catalog.raw_categories(page_size=page_size, page=last + 1)

    # then it is 404, as the JSON envelope
    expect_error(reply, HTTPStatus.NOT_FOUND)
