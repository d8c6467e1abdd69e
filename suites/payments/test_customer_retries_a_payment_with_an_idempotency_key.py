"""An app that retries "pay" after a lost reply sends the same Idempotency-Key: the same key
and body give back the first payment (a wallet is debited once); another body with the key is
422; the same key sent many times at once makes one payment; keys belong to one customer."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.concurrency import at_once
from fixtures.orders import money
from fixtures.payments import affordable, payments_of

pytestmark = [pytest.mark.money, pytest.mark.security]

CONCURRENT_RETRIES = 8


@allure.feature("Payments")
@allure.story("Idempotent payment")
def test_a_wallet_payment_retried_with_its_key_is_debited_once(customer, wallet_with_balance,
                                                               cash_order, data):
    balance = money(wallet_with_balance["balance"])
    key = f"pay-{data.faker.uuid4()}"

    # when the app pays from the wallet with a key, and retries with the same key and body
    first = customer.payments.pay(cash_order["id"], method="wallet", idempotency_key=key)
    again = customer.payments.raw_pay(cash_order["id"], method="wallet", idempotency_key=key)

    # then the retry answers the first reply, and the wallet was debited once
    assert again.status_code == HTTPStatus.CREATED, again.text[:500]
    assert again.json() == first
    assert money(customer.wallet.get()["balance"]) == balance - money(cash_order["total"])
    assert [p["id"] for p in payments_of(customer, cash_order["id"])] == [first["id"]]

    # while a retry without the key is what it is: the order is paid already (control)
    expect_error(customer.payments.raw_pay(cash_order["id"], method="wallet"),
                 HTTPStatus.CONFLICT)


@allure.feature("Payments")
@allure.story("Idempotent payment")
def test_an_online_payment_retried_with_its_key_is_one_gateway_order(customer, unpaid_order,
                                                                     data):
    key = f"pay-{data.faker.uuid4()}"

    # when the app starts an online payment with a key, and retries it
    first = customer.payments.pay(unpaid_order["id"], method="online", idempotency_key=key)
    again = customer.payments.raw_pay(unpaid_order["id"], method="online", idempotency_key=key)

    # then it is the same payment with the same gateway order
    assert again.status_code == HTTPStatus.CREATED, again.text[:500]
    assert again.json() == first
    assert [p["id"] for p in payments_of(customer, unpaid_order["id"])] == [first["id"]]


@allure.feature("Payments")
@allure.story("Idempotent payment")
def test_the_same_key_with_another_body_is_refused(customer, unpaid_order, order_body, data):
    # given a payment started with a key
    key = f"pay-{data.faker.uuid4()}"
    first = customer.payments.pay(unpaid_order["id"], method="online", idempotency_key=key)
    other_order = customer.orders.create(**affordable(order_body, payment_method="cash"))

    # when the app reuses the key for another method, and for another order
    replies = [customer.payments.raw_pay(unpaid_order["id"], method="cash", idempotency_key=key),
               customer.payments.raw_pay(other_order["id"], method="online",
                                         idempotency_key=key)]

    # then both are refused (422), and the first payment is the only one
    for reply in replies:
        expect_error(reply, HTTPStatus.UNPROCESSABLE_ENTITY)
    assert [p["id"] for p in customer.payments.all()] == [first["id"]]


@allure.feature("Payments")
@allure.story("Idempotent payment")
def test_concurrent_retries_with_one_key_make_one_payment(customer, callers, wallet_with_balance,
                                                          cash_order, data):
    balance = money(wallet_with_balance["balance"])
    key = f"pay-{data.faker.uuid4()}"
    apps = [callers.twin(customer, f"retry {n}") for n in range(CONCURRENT_RETRIES)]

    # when the app sends the same wallet payment with that key 8 times at once
    replies = at_once([lambda app=app: app.payments.raw_pay(cash_order["id"], method="wallet",
                                                           idempotency_key=key)
                       for app in apps])

    # then every reply is that one payment (201) or "still running" (409); one debit
    created = [reply for reply in replies if reply.status_code == HTTPStatus.CREATED]
    assert created, [f"{r.status_code} {r.text[:200]}" for r in replies]
    for reply in replies:
        if reply.status_code != HTTPStatus.CREATED:
            expect_error(reply, HTTPStatus.CONFLICT)
    assert {reply.json()["id"] for reply in created} == {created[0].json()["id"]}
    assert money(customer.wallet.get()["balance"]) == balance - money(cash_order["total"])
    assert len(payments_of(customer, cash_order["id"])) == 1


@allure.feature("Payments")
@allure.story("Idempotent payment")
def test_keys_belong_to_one_customer(customer, other_customer, unpaid_order, order_for, data):
    # given customer A started a payment with a key
    key = f"pay-{data.faker.uuid4()}"
    first = customer.payments.pay(unpaid_order["id"], method="online", idempotency_key=key)

    # when customer B sends the same key: with A's very body, then for an order of their own
    copied = other_customer.payments.raw_pay(unpaid_order["id"], method="online",
                                             idempotency_key=key)
    own_order = other_customer.orders.create(**affordable(order_for(other_customer)))
    own = other_customer.payments.pay(own_order["id"], method="online", idempotency_key=key)

    # then B never gets A's payment back (A's order is not B's), B's own body makes B's own
    # payment, and A still has exactly theirs
    assert copied.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND), \
        copied.text[:500]
    expect_error(copied, copied.status_code)
    assert str(first["id"]) not in copied.text
    assert first["gateway_order_id"] not in copied.text
    assert own["id"] != first["id"]
    assert [p["id"] for p in other_customer.payments.all()] == [own["id"]]
    assert [p["id"] for p in customer.payments.all()] == [first["id"]]
