"""Anyone browses the laundry items: all of them, one category's, and one item's detail."""

import math
from collections import Counter
from http import HTTPStatus

import allure

from fixtures.api import expect_error


@allure.feature("Catalog")
@allure.story("Browse items")
def test_visitor_pages_through_every_item(anonymous):
    # given the count of items
    first = anonymous.catalog.items(page_size=3)
    assert first["count"] >= 1, "the catalog has no item to browse"

    # when a visitor follows the next links three at a time
    walked = anonymous.catalog.all_items(page_size=3)

    # then they see every item exactly once
    ids = [str(item["id"]) for item in walked]
    assert len(ids) == first["count"]
    assert not [i for i, n in Counter(ids).items() if n > 1], "an item shows on two pages"
    if first["count"] > 3:
        second = anonymous.catalog.items_at(first["next"])
        assert anonymous.catalog.items_at(second["previous"])["results"] == first["results"]


@allure.feature("Catalog")
@allure.story("Browse items")
def test_category_filter_returns_only_that_categorys_items(anonymous):
    # given every item and every category
    everything = {str(item["id"]): item for item in anonymous.catalog.all_items(page_size=100)}
    categories = anonymous.catalog.all_categories(page_size=100)

    # when the visitor opens each category
    shown = {str(c["id"]): anonymous.catalog.all_items(category=c["id"]) for c in categories}

    # then each shows only its own items, each of them listed in the whole catalog
    for category_id, items in shown.items():
        assert {str(item["category"]) for item in items} <= {category_id}, (category_id, items)
        assert {str(item["id"]) for item in items} <= everything.keys()
    filled = [items for items in shown.values() if items]
    assert filled, "no category has any item"
    # and the filter really filters: with items in two categories, neither shows them all
    if len(filled) > 1:
        assert all(len(items) < len(everything) for items in filled)


@allure.feature("Catalog")
@allure.story("Browse items")
def test_item_detail_equals_its_list_entry(anonymous):
    # given the items as the list shows them
    listed = anonymous.catalog.all_items(page_size=100)

    # when the visitor opens each one
    # then the detail is the list entry, field for field
    for entry in listed:
        assert anonymous.catalog.item(entry["id"]) == entry


@allure.feature("Catalog")
@allure.story("Browse items")
def test_items_past_the_last_page_are_404(anonymous):
    # given the last page of items exists (positive control)
    count = anonymous.catalog.items(page_size=5)["count"]
    last = max(1, math.ceil(count / 5))
    anonymous.catalog.items(page_size=5, page=last)

    # when the visitor asks for a page far past it
    reply = anonymous.catalog.raw_items(page_size=5, page=last + 1000)

    # then it is 404, as the JSON envelope
    expect_error(reply, HTTPStatus.NOT_FOUND)


@allure.feature("Catalog")
@allure.story("Browse items")
def test_an_item_that_does_not_exist_is_404(anonymous):
    # given an item that exists opens (positive control)
    entry = anonymous.catalog.items(page_size=1)["results"][0]
    anonymous.catalog.item(entry["id"])

    # when a visitor opens an id no item has (ids are opaque: one made up in each common form)
    replies = [anonymous.catalog.raw_item(made_up)
               for made_up in ("00000000-0000-4000-8000-000000000000", "999999999")]

    # then each is 404 as the JSON envelope
    for reply in replies:
        expect_error(reply, HTTPStatus.NOT_FOUND)
