"""The server prices every order from the catalog: each line at the item's base price, subtotal,
18 % tax, a delivery fee of 50 and the total, exact to the paisa, the same on every read."""

import allure
import pytest

from fixtures.orders import charged, contract_price, money

MAX_QUANTITY = 100  # the contract: quantity 1..100


def check_lines(order: dict, prices: dict) -> None:
    """Each line is priced at its item's catalog price times its quantity."""
    for line in order["items"]:
        unit = prices[str(line["service_item"])]
        assert money(line["unit_price"]) == unit, line
        assert money(line["total_price"]) == unit * line["quantity"], line


@allure.feature("Orders")
@allure.story("Server-side pricing")
@pytest.mark.parametrize("lines", [1, 2, 3, 5], ids=lambda n: f"{n}-lines")
def test_the_server_prices_the_order_from_catalog_prices(customer, order_body, catalog_items,
                                                        prices, data, lines):
    # given a basket of `lines` catalog items in quantities of 1 to 5
    body = order_body | {"items": data.order_lines(catalog_items, count=lines)}

    # when the customer orders it
    order = customer.orders.create(**body)

    # then every line and every total is the contract's price, to the paisa
    check_lines(order, prices)
    assert charged(order) == contract_price(body["items"], prices)

    # and reading it back, or in the list, gives the same money
    assert charged(customer.orders.get(order["id"])) == charged(order)
    summary = customer.orders.all()[0]
    assert (summary["id"], money(summary["total"])) == (order["id"], money(order["total"]))
    assert summary["item_count"] in (len(body["items"]),
                                     sum(line["quantity"] for line in body["items"]))


@allure.feature("Orders")
@allure.story("Server-side pricing")
def test_a_full_basket_is_priced_to_the_paisa(customer, order_body, catalog_items, prices):
    # given every item of the catalog, 100 of each (the largest quantity a line may have)
    items = [{"service_item": item["id"], "quantity": MAX_QUANTITY, "notes": ""}
             for item in catalog_items[:50]]

    # when the customer orders it all
    order = customer.orders.create(**(order_body | {"items": items}))

    # then the large sums are still exact
    check_lines(order, prices)
    assert charged(order) == contract_price(items, prices)
