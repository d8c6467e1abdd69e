"""An app that retries "add money" after a lost reply sends the same Idempotency-Key: the same
key and body give back the first top-up and start nothing new; another body with the key is 422;
the same key sent many times at once starts one top-up; keys belong to one customer."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.concurrency import at_once
from fixtures.orders import money

pytestmark = [pytest.mark.money, pytest.mark.security]

CONCURRENT_RETRIES = 8


def top_up_ids(caller) -> list[str]:
    return sorted(str(p["id"]) for p in caller.payments.all() if p["purpose"] == "wallet_topup")


@allure.feature("Wallet")
@allure.story("Idempotent top-up")
def test_the_same_key_and_body_give_back_the_first_top_up(customer, gateway, data):
    # given two top-ups sent without a key are two (positive control)
    plain = [customer.wallet.add_money(amount=100)["payment_id"] for _ in range(2)]
    assert len(set(plain)) == 2
    key = f"topup-{data.faker.uuid4()}"

    # when the app sends a top-up with a key, and again with the same key and body
    first = customer.wallet.add_money(amount=250, idempotency_key=key)
    again = customer.wallet.raw_add_money(amount=250, idempotency_key=key)

    # then the retry answers the first reply, and there is one top-up more, not two
    assert again.status_code == HTTPStatus.CREATED, again.text[:500]
    assert again.json() == first
    assert top_up_ids(customer) == sorted(str(p) for p in [*plain, first["payment_id"]])
    assert len(customer.wallet.all_transactions()) == 3

    # and paying it credits 250 once
    receipt = gateway.checkout(first["gateway_order_id"])
    customer.payments.verify(first["payment_id"], receipt)
    gateway.wait_for_checkout_webhooks(first["gateway_order_id"])
    assert money(customer.wallet.get()["balance"]) == 250


@allure.feature("Wallet")
@allure.story("Idempotent top-up")
def test_the_same_key_with_another_amount_is_refused(customer, data):
    # given a top-up started with a key
    key = f"topup-{data.faker.uuid4()}"
    first = customer.wallet.add_money(amount=250, idempotency_key=key)
    transactions = customer.wallet.all_transactions()

    # when the app reuses the key for another amount
    reply = customer.wallet.raw_add_money(amount=9999, idempotency_key=key)

    # then it is refused (422), and the first top-up is the only one
    expect_error(reply, HTTPStatus.UNPROCESSABLE_ENTITY)
    assert top_up_ids(customer) == [str(first["payment_id"])]
    assert customer.wallet.all_transactions() == transactions


@allure.feature("Wallet")
@allure.story("Idempotent top-up")
def test_concurrent_retries_with_one_key_start_one_top_up(customer, callers, data):
    # given a key the app has not used yet, and a connection per retry
    key = f"topup-{data.faker.uuid4()}"
    apps = [callers.twin(customer, f"retry {n}") for n in range(CONCURRENT_RETRIES)]

    # when the app sends the same top-up with that key 8 times at once
    replies = at_once([lambda app=app: app.wallet.raw_add_money(amount=321, idempotency_key=key)
                       for app in apps])

    # then every reply is that one top-up (201) or "still running" (409), and there is one
    created = [reply for reply in replies if reply.status_code == HTTPStatus.CREATED]
    assert created, [f"{r.status_code} {r.text[:200]}" for r in replies]
    for reply in replies:
        if reply.status_code != HTTPStatus.CREATED:
            expect_error(reply, HTTPStatus.CONFLICT)
    assert {reply.json()["payment_id"] for reply in created} == \
        {created[0].json()["payment_id"]}
    assert top_up_ids(customer) == [str(created[0].json()["payment_id"])]
    assert len(customer.wallet.all_transactions()) == 1


@allure.feature("Wallet")
@allure.story("Idempotent top-up")
def test_keys_belong_to_one_customer(customer, other_customer, data):
    # given customer A started a top-up with a key
    key = f"topup-{data.faker.uuid4()}"
    first = customer.wallet.add_money(amount=250, idempotency_key=key)

    # when customer B sends the same key with the very same body
    theirs = other_customer.wallet.add_money(amount=250, idempotency_key=key)

    # then B gets a top-up of their own, never A's, and each has exactly theirs
    assert theirs["payment_id"] != first["payment_id"]
    assert theirs["gateway_order_id"] != first["gateway_order_id"]
    assert top_up_ids(other_customer) == [str(theirs["payment_id"])]
    assert top_up_ids(customer) == [str(first["payment_id"])]
