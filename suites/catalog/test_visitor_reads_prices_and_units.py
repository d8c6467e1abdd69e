"""Prices are rupees as JSON numbers with at most 2 decimals; units are the contract's."""

import json
from decimal import Decimal

import allure

UNITS = {"piece", "kg", "pair", "set"}


def exact(reply) -> dict:
    """The reply's JSON with its numbers as written (Decimal), not rounded through float."""
    return json.loads(reply.text, parse_float=Decimal)


def price_problem(item: dict) -> str | None:
    price = item["base_price"]
    if isinstance(price, bool) or not isinstance(price, int | Decimal):
        return f"base_price must be a JSON number, got {price!r}"
    if isinstance(price, Decimal) and price.as_tuple().exponent < -2:
        return f"base_price has more than 2 decimals: {price}"
    if price < 0:
        return f"base_price is negative: {price}"
    return None


@allure.feature("Catalog")
@allure.story("Prices and units")
def test_prices_are_numbers_with_at_most_two_decimals(anonymous):
    # given the list of items (its shape checked), read again with its numbers as written
    anonymous.catalog.items(page_size=100)
    items = exact(anonymous.catalog.raw_items(page_size=100))["results"]
    assert items, "the catalog has no item"

    # then every price in the list and in each detail is a number of rupees and paise
    problems = {f"item {item['id']}": price_problem(item) for item in items}
    for item in items:
        anonymous.catalog.item(item["id"])
        detail = exact(anonymous.catalog.raw_item(item["id"]))
        problems[f"item {item['id']} (detail)"] = price_problem(detail)
        assert detail["base_price"] == item["base_price"]
    assert not {k: v for k, v in problems.items() if v}, problems


@allure.feature("Catalog")
@allure.story("Prices and units")
def test_units_are_the_contracts(anonymous):
    # when a visitor reads every item
    items = anonymous.catalog.all_items(page_size=100)

    # then each is priced per piece, kg, pair or set
    assert {item["unit"] for item in items} <= UNITS
