"""An order the laundry cannot serve is refused (400, naming the field) and nothing is created:
an unknown slot, a past date, quantities outside 1..100, no lines or more than 50, an item the
catalog lacks, a payment method the contract lacks."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

MADE_UP_ID = "00000000-0000-4000-8000-000000000000"
MAX_LINES = 50
NIGHT_SLOT = "02:00-02:30"  # no laundry collects at this hour


def with_line(body: dict, **changes) -> dict:
    """The body with its first line changed."""
    return body | {"items": [body["items"][0] | changes, *body["items"][1:]]}


def lines_of(catalog: list[dict], count: int) -> list[dict]:
    """`count` lines, going round the catalog as often as it takes."""
    return [{"service_item": catalog[n % len(catalog)]["id"], "quantity": 1, "notes": ""}
            for n in range(count)]


def names(errors: dict, field: str) -> bool:
    """Whether the validation errors name `field` (or, for `items`, one of its lines)."""
    return any(key == field or key.startswith((f"{field}.", f"{field}["))
               for key in errors)


INVALID = {
    "unknown-slot": (lambda body, ctx: body | {"pickup_time_slot": NIGHT_SLOT},
                     "pickup_time_slot"),
    "past-date": (lambda body, ctx: body | {"pickup_date": ctx["data"].pickup_date(-2)},
                  "pickup_date"),
    "not-a-date": (lambda body, ctx: body | {"pickup_date": "tomorrow"}, "pickup_date"),
    "quantity-0": (lambda body, ctx: with_line(body, quantity=0), "items"),
    "quantity-101": (lambda body, ctx: with_line(body, quantity=101), "items"),
    "quantity-negative": (lambda body, ctx: with_line(body, quantity=-1), "items"),
    "no-lines": (lambda body, ctx: body | {"items": []}, "items"),
    "51-lines": (lambda body, ctx: body | {"items": lines_of(ctx["catalog"], MAX_LINES + 1)},
                 "items"),
    "unknown-item": (lambda body, ctx: with_line(body, service_item=MADE_UP_ID), "items"),
    "unknown-payment-method": (lambda body, ctx: body | {"payment_method": "barter"},
                               "payment_method"),
}


@allure.feature("Orders")
@allure.story("Order validation")
@pytest.mark.parametrize("case", sorted(INVALID))
def test_an_invalid_order_is_refused(customer, order_body, catalog_items, app_config, data,
                                     case):
    # given the valid body is accepted (positive control)
    made = customer.orders.create(**order_body)
    assert NIGHT_SLOT not in app_config["pickup_time_slots"]
    change, field = INVALID[case]
    context = {"data": data, "catalog": catalog_items}

    # when the app sends it with one thing wrong (`case`)
    reply = customer.orders.raw_create(**change(order_body, context))

    # then it is refused as invalid input naming that field, and no order was created
    body = expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert names(body.get("errors", {}), field), f"{case}: errors should name {field}: {body}"
    assert [o["id"] for o in customer.orders.all()] == [made["id"]]


@allure.feature("Orders")
@allure.story("Order validation")
def test_a_pickup_today_is_accepted(customer, order_body, data):
    # when the app asks for a pickup today (in India), the earliest date the contract allows
    today = data.pickup_date(0)
    order = customer.orders.create(**(order_body | {"pickup_date": today}))

    # then it is booked for today
    assert order["pickup_date"] == today


@allure.feature("Orders")
@allure.story("Order validation")
def test_the_largest_valid_order_is_accepted(customer, order_body, catalog_items):
    # when the app sends 50 lines (the most an order may have), one at quantity 100
    lines = lines_of(catalog_items, MAX_LINES)
    lines[0]["quantity"] = 100
    order = customer.orders.create(**(order_body | {"items": lines}))

    # then every line is kept
    assert len(order["items"]) == MAX_LINES
    assert order["items"][0]["quantity"] == 100


@allure.feature("Orders")
@allure.story("Order validation")
@pytest.mark.security
def test_an_order_of_ten_thousand_lines_is_refused(customer, order_body, catalog_items):
    # given the valid body is accepted (positive control)
    made = customer.orders.create(**order_body)

    # when the app sends 10,000 lines
    reply = customer.orders.raw_create(**(order_body | {"items": lines_of(catalog_items, 10_000)}))

    # then it is refused (400 on the lines; a body limit's 413 refuses it as well), and
    # nothing more was created
    assert reply.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE), \
        reply.text[:500]
    body = expect_error(reply, reply.status_code)
    if reply.status_code == HTTPStatus.BAD_REQUEST:
        assert names(body.get("errors", {}), "items"), body
    assert [o["id"] for o in customer.orders.all()] == [made["id"]]
