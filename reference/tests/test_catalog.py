"""The public catalog and its loader."""

import io
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.management import call_command

from reference.catalog.models import Category, ServiceItem

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/services/categories/"
ITEMS = "/api/services/items/"


@pytest.fixture
def catalog() -> None:
    call_command("load_catalog", stdout=io.StringIO())


def test_load_catalog_is_idempotent(catalog):
    ids = set(ServiceItem.objects.values_list("id", flat=True))

    call_command("load_catalog", stdout=io.StringIO())

    assert Category.objects.count() == 5
    assert 18 <= ServiceItem.objects.count() <= 25
    assert set(ServiceItem.objects.values_list("id", flat=True)) == ids
    shirt = ServiceItem.objects.get(name="Shirt Wash & Iron")
    assert shirt.base_price == Decimal("49.00")
    assert set(ServiceItem.objects.values_list("unit", flat=True)) == {"piece", "kg", "pair", "set"}


def test_categories_are_public_and_paginated(api, catalog):
    body = api.get(CATEGORIES).json()

    assert body["count"] == 5
    assert body["next"] is None
    assert [row["display_order"] for row in body["results"]] == [1, 2, 3, 4, 5]
    assert set(body["results"][0]) == {
        "id", "name", "description", "icon", "display_order", "is_active",
    }


def test_items_filter_by_category(api, catalog):
    dry_cleaning = Category.objects.get(name="Dry Cleaning")

    body = api.get(ITEMS, {"category": str(dry_cleaning.pk)}).json()

    assert body["count"] == dry_cleaning.items.count()
    assert {row["category"] for row in body["results"]} == {str(dry_cleaning.pk)}
    item = body["results"][0]
    assert isinstance(item["base_price"], float)
    assert item["image"] is None


def test_item_detail_and_unknown_ids(api, catalog):
    item = ServiceItem.objects.first()

    assert api.get(f"{ITEMS}{item.pk}/").json()["name"] == item.name
    missing = api.get(f"{ITEMS}00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert missing.json()["code"] == "not_found"
    assert api.get(f"{ITEMS}12/").status_code == HTTPStatus.NOT_FOUND


def test_a_malformed_category_filter_is_400(api, catalog):
    response = api.get(ITEMS, {"category": "laundry"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "category" in response.json()["errors"]


def test_inactive_rows_are_hidden(api, catalog):
    item = ServiceItem.objects.first()
    ServiceItem.objects.filter(pk=item.pk).update(is_active=False)

    assert api.get(f"{ITEMS}{item.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert api.get(ITEMS, {"page_size": 100}).json()["count"] == ServiceItem.objects.count() - 1


@pytest.mark.parametrize(
    ("query", "size"), [({}, 20), ({"page_size": 5}, 5), ({"page_size": 100000}, 100),
                        ({"page_size": -3}, 20)]
)
def test_page_size_is_bounded(api, query, size):
    category = Category.objects.create(name="Bulk")
    ServiceItem.objects.bulk_create(
        ServiceItem(category=category, name=f"Item {n}", base_price=1, unit="piece",
                    processing_time=1)
        for n in range(120)
    )

    body = api.get(ITEMS, query).json()

    assert len(body["results"]) == size
    assert body["count"] == 120


@pytest.mark.parametrize("query", [{"page_size": "abc"}, {"page_size": ""}, {"page": "two"},
                                   {"page": ""}])
def test_a_page_or_page_size_that_is_not_a_number_is_refused(api, query):
    # the schema says integer: a lenient default would teach clients to send anything
    response = api.get(ITEMS, query)

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert set(response.json()["errors"]) == set(query)


def test_a_page_past_the_end_is_404(api, catalog):
    response = api.get(CATEGORIES, {"page": 2})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(("rows", "page_size", "queries", "has_next"),
                         [(5, 20, 1, False), (5, 5, 1, False), (6, 5, 2, True), (0, 20, 1, False)])
def test_a_first_page_that_holds_the_whole_list_is_counted_without_a_count_query(
        api, django_assert_num_queries, rows, page_size, queries, has_next):
    # the rows read are the count when one more than the page was asked for and not found; a
    # longer list (the control) is counted by a query, and its count is exact either way
    Category.objects.bulk_create(Category(name=f"C{n}", display_order=n) for n in range(rows))

    with django_assert_num_queries(queries):
        body = api.get(CATEGORIES, {"page_size": page_size}).json()

    assert body["count"] == rows
    assert len(body["results"]) == min(rows, page_size)
    assert (body["next"] is not None) is has_next


def test_later_pages_keep_their_count(api):
    Category.objects.bulk_create(Category(name=f"C{n}", display_order=n) for n in range(7))

    body = api.get(CATEGORIES, {"page_size": 5, "page": 2}).json()

    assert body["count"] == 7
    assert [row["display_order"] for row in body["results"]] == [5, 6]
    assert body["next"] is None
    assert body["previous"] is not None
