"""The orders screen lists the customer's orders, all or by status; the history screen lists
the finished ones (delivered and cancelled)."""

import allure


@allure.feature("Orders")
@allure.story("Order lists")
def test_customer_lists_orders_by_status(customer, order_body):
    # given three orders, one of them cancelled
    made = [customer.orders.create(**order_body) for _ in range(3)]
    customer.orders.cancel(made[1]["id"])

    # when the customer lists them, all and by status
    everything = customer.orders.all()
    pending = customer.orders.all(status="pending")
    cancelled = customer.orders.all(status="cancelled")

    # then each list holds exactly the orders of its status, as summaries of the orders
    assert sorted(o["id"] for o in everything) == sorted(o["id"] for o in made)
    assert sorted(o["id"] for o in pending) == sorted([made[0]["id"], made[2]["id"]])
    assert [o["id"] for o in cancelled] == [made[1]["id"]]
    for summary in everything:
        order = customer.orders.get(summary["id"])
        assert {k: summary[k] for k in ("order_number", "status", "payment_status", "total")} \
            == {k: order[k] for k in ("order_number", "status", "payment_status", "total")}


@allure.feature("Orders")
@allure.story("Order lists")
def test_history_holds_only_finished_orders(customer, order_body):
    # given a pending order and a cancelled one
    pending = customer.orders.create(**order_body)
    cancelled = customer.orders.create(**order_body)
    customer.orders.cancel(cancelled["id"])

    # when the customer opens the history
    history = customer.orders.history()

    # then only the cancelled one is there
    assert [o["id"] for o in history["results"]] == [cancelled["id"]]
    assert pending["id"] not in {o["id"] for o in history["results"]}
