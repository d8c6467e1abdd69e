"""Property level: an order body carrying its own totals, line prices, status or payment status
is priced and set up by the server all the same: those fields are ignored (or the order is
refused, creating nothing); the order is pending, unpaid and costs what the catalog says."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import charged, contract_price

pytestmark = [pytest.mark.security]

FORGED = {
    "total": 1,
    "subtotal": 1,
    "tax": 0,
    "delivery_fee": 0,
    "discount": 100000,
    "status": "delivered",
    "payment_status": "paid",
    "status_history": [{"status": "delivered", "note": "", "at": "2026-01-01T00:00:00+05:30"}],
}
FORGED_LINE = {"unit_price": 1, "total_price": 1}


def forged_lines(lines: list[dict]) -> list[dict]:
    return [line | FORGED_LINE for line in lines]


def as_the_server_sets_it(customer, reply, body: dict, prices: dict, already: list[str]) -> None:
    """Ignored (201, priced from the catalog, pending and unpaid) or refused (400, nothing
    created)."""
    if reply.status_code == HTTPStatus.CREATED:
        order = customer.orders.get(reply.json()["id"])
        assert charged(order) == contract_price(body["items"], prices)
        assert (order["status"], order["payment_status"]) == ("pending", "unpaid")
        assert [c["status"] for c in order["status_history"]] == ["pending"]
    else:
        expect_error(reply, HTTPStatus.BAD_REQUEST)
        assert [o["id"] for o in customer.orders.all()] == already


@allure.feature("Security: property level")
@allure.story("Mass assignment on orders")
@pytest.mark.parametrize("field", sorted(FORGED))
def test_customer_cannot_set_an_order_field_the_server_owns(customer, order_body, prices,
                                                            field):
    # given the plain body is priced from the catalog (positive control)
    plain = customer.orders.create(**order_body)
    assert charged(plain) == contract_price(order_body["items"], prices)

    # when the customer sends the same order with a value of their own for `field`
    reply = customer.orders.raw_create(**(order_body | {field: FORGED[field]}))

    # then the server sets it up as it would have anyway
    as_the_server_sets_it(customer, reply, order_body, prices, [plain["id"]])


@allure.feature("Security: property level")
@allure.story("Mass assignment on orders")
def test_customer_cannot_price_the_lines(customer, order_body, prices):
    # given the plain body is priced from the catalog (positive control)
    plain = customer.orders.create(**order_body)
    assert charged(plain) == contract_price(order_body["items"], prices)

    # when every line carries a unit price and line total of 1 rupee
    reply = customer.orders.raw_create(**(order_body | {"items": forged_lines(
        order_body["items"])}))

    # then the lines are priced from the catalog all the same
    as_the_server_sets_it(customer, reply, order_body, prices, [plain["id"]])


@allure.feature("Security: property level")
@allure.story("Mass assignment on orders")
def test_every_forged_field_rides_along_at_once(customer, order_body, prices):
    # given the plain body is priced from the catalog (positive control)
    plain = customer.orders.create(**order_body)

    # when one body forges everything the server owns
    forged = order_body | FORGED | {"items": forged_lines(order_body["items"])}
    reply = customer.orders.raw_create(**forged)

    # then the server sets it up as it would have anyway
    as_the_server_sets_it(customer, reply, order_body, prices, [plain["id"]])
