"""An app that retries "place order" after a lost reply sends the same Idempotency-Key: the same
key and body return the first order and create nothing new; the same key with another body is
refused (422), and while the first is still running, 409; keys belong to one user."""

import threading
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import allure

from fixtures.api import expect_error

CONCURRENT_RETRIES = 8


def order_ids(caller) -> list[str]:
    return [o["id"] for o in caller.orders.all()]


@allure.feature("Orders")
@allure.story("Idempotent order creation")
def test_the_same_key_and_body_give_back_the_first_order(customer, order_body, data):
    # given two orders sent without a key are two orders (positive control)
    plain = [customer.orders.create(**order_body)["id"] for _ in range(2)]
    assert len(set(plain)) == 2
    key = f"order-{data.faker.uuid4()}"

    # when the app sends the order with a key, and then again with the same key and body
    first = customer.orders.create(idempotency_key=key, **order_body)
    again = customer.orders.raw_create(idempotency_key=key, **order_body)

    # then the retry answers the first reply, and there is one order more, not two
    assert again.status_code == HTTPStatus.CREATED, again.text[:500]
    assert again.json() == first
    assert sorted(order_ids(customer)) == sorted([*plain, first["id"]])


@allure.feature("Orders")
@allure.story("Idempotent order creation")
def test_the_same_key_with_another_body_is_refused(customer, order_body, data):
    # given an order placed with a key
    key = f"order-{data.faker.uuid4()}"
    first = customer.orders.create(idempotency_key=key, **order_body)

    # when the app reuses the key for a different basket
    other = order_body | {"items": [order_body["items"][0] | {"quantity": 7}]}
    reply = customer.orders.raw_create(idempotency_key=key, **other)

    # then it is refused (422), and the first order is the only one, unchanged
    expect_error(reply, HTTPStatus.UNPROCESSABLE_ENTITY)
    assert order_ids(customer) == [first["id"]]
    assert customer.orders.get(first["id"]) == first


@allure.feature("Orders")
@allure.story("Idempotent order creation")
def test_keys_belong_to_one_customer(customer, other_customer, order_body, order_for, data):
    # given customer A placed an order with a key
    key = f"order-{data.faker.uuid4()}"
    first = customer.orders.create(idempotency_key=key, **order_body)

    # when customer B, by chance or on purpose, sends the same key: first with A's very body,
    # then with a body of their own
    copied = other_customer.orders.raw_create(idempotency_key=key, **order_body)
    own = other_customer.orders.create(idempotency_key=key, **order_for(other_customer))

    # then B never gets A's order back (A's body names A's address, which B may not use),
    # B's own body makes B's own order, and A still has exactly theirs
    assert copied.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND), \
        copied.text[:500]
    expect_error(copied, copied.status_code)
    assert str(first["id"]) not in copied.text
    assert first["order_number"] not in copied.text
    assert own["id"] != first["id"]
    assert order_ids(other_customer) == [own["id"]]
    assert order_ids(customer) == [first["id"]]


@allure.feature("Orders")
@allure.story("Idempotent order creation")
def test_concurrent_retries_with_one_key_make_one_order(customer, order_body, data):
    # given a key the app has not used yet
    key = f"order-{data.faker.uuid4()}"
    start = threading.Barrier(CONCURRENT_RETRIES, timeout=30)

    def send():
        start.wait()
        return customer.orders.raw_create(idempotency_key=key, **order_body)

    # when the app, on a flaky network, sends the same order with that key 8 times at once
    with ThreadPoolExecutor(max_workers=CONCURRENT_RETRIES) as pool:
        replies = [future.result() for future in
                   [pool.submit(send) for _ in range(CONCURRENT_RETRIES)]]

    # then every reply is that one order (201) or "still running" (409), and there is one order
    created = [reply for reply in replies if reply.status_code == HTTPStatus.CREATED]
    assert created, [f"{r.status_code} {r.text[:200]}" for r in replies]
    for reply in replies:
        if reply.status_code != HTTPStatus.CREATED:
            expect_error(reply, HTTPStatus.CONFLICT)
    assert {reply.json()["id"] for reply in created} == {created[0].json()["id"]}
    assert order_ids(customer) == [created[0].json()["id"]]
