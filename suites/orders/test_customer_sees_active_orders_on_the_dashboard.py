"""The home screen's dashboard: who is logged in, how many orders are under way, the recent
ones, the wallet balance and the categories to browse."""

import allure
import pytest

from fixtures.orders import LIFECYCLE, money, walk


@allure.feature("Orders")
@allure.story("Dashboard")
def test_a_new_customer_sees_an_empty_dashboard(customer, anonymous):
    # when a customer with no order opens the app
    dashboard = customer.mobile.dashboard()

    # then it is theirs, with nothing under way, an empty wallet and the catalog's categories
    assert str(dashboard["user"]["id"]) == customer.id
    assert (dashboard["active_orders"], dashboard["recent_orders"]) == (0, [])
    assert money(dashboard["wallet_balance"]) == 0
    listed = {str(c["id"]) for c in anonymous.catalog.all_categories(page_size=100)}
    assert {str(c["id"]) for c in dashboard["categories"]} <= listed
    assert dashboard["categories"], "the dashboard offers no category to browse"


@allure.feature("Orders")
@allure.story("Dashboard")
def test_dashboard_counts_active_orders(customer, order_body):
    # given three orders, one of them cancelled
    made = [customer.orders.create(**order_body) for _ in range(3)]
    customer.orders.cancel(made[0]["id"])

    # when the customer opens the app
    dashboard = customer.mobile.dashboard()

    # then two orders are under way, and the recent ones are theirs, newest first
    assert dashboard["active_orders"] == 2
    recent = [o["id"] for o in dashboard["recent_orders"]]
    assert set(recent) <= {o["id"] for o in made}
    assert recent[:2] == [made[2]["id"], made[1]["id"]]


@allure.feature("Orders")
@allure.story("Dashboard")
@pytest.mark.needs_staff
def test_a_delivered_order_is_no_longer_active(customer, staff, order_body):
    # given two orders under way
    kept = customer.orders.create(**order_body)
    delivered = customer.orders.create(**order_body)
    assert customer.mobile.dashboard()["active_orders"] == 2

    # when staff delivers one of them and picks up the other
    walk(staff, delivered["id"], LIFECYCLE[1:])
    walk(staff, kept["id"], LIFECYCLE[1:3])

    # then only the one still with the laundry counts as active
    assert customer.mobile.dashboard()["active_orders"] == 1
