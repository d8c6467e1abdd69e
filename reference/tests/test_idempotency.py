"""The Idempotency-Key header on POST orders/: replay, another body, in progress, per user."""

from datetime import timedelta
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from reference.common.idempotency import request_fingerprint
from reference.common.models import IdempotencyKey
from reference.orders.models import Order
from reference.tests.conftest import ORDERS, address_for, authed, login, order_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def post(client, body: dict, key: str | None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(ORDERS, body, format="json", headers=headers)


def test_the_same_key_and_body_replay_the_first_reply(customer, customer_address, catalog):
    body = order_body(customer_address, catalog)

    first = post(customer, body, "order-1")
    again = post(customer, body, "order-1")

    assert first.status_code == again.status_code == HTTPStatus.CREATED
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_422(customer, customer_address, catalog):
    post(customer, order_body(customer_address, catalog), "order-1")

    response = post(customer, order_body(customer_address, catalog, payment_method="online"),
                    "order-1")

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_the_same_key_while_the_first_runs_is_409(customer, customer_user, customer_address,
                                                  catalog):
    body = order_body(customer_address, catalog)
    running = SimpleNamespace(method="POST", path=ORDERS, data=body)
    IdempotencyKey.objects.create(
        user=customer_user, key="order-1", fingerprint=request_fingerprint(running)
    )

    response = post(customer, body, "order-1")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "idempotency_in_progress"
    assert not Order.objects.exists()


def test_a_key_abandoned_past_its_lease_is_taken_over(customer, customer_user, customer_address,
                                                      catalog):
    body = order_body(customer_address, catalog)
    post(customer, body, "order-1")
    IdempotencyKey.objects.update(state=IdempotencyKey.State.IN_PROGRESS,
                                  locked_at=timezone.now() - timedelta(minutes=5))
    Order.objects.all().delete()  # the dead request's writes were rolled back with it

    response = post(customer, body, "order-1")

    assert response.status_code == HTTPStatus.CREATED
    assert Order.objects.count() == 1


def test_keys_belong_to_one_user(customer, customer_address, catalog, make_user):
    other_user = make_user()
    other = authed(login(APIClient(), other_user.email)["access"])

    mine = post(customer, order_body(customer_address, catalog), "shared-key")
    theirs = post(other, order_body(address_for(other_user), catalog), "shared-key")

    assert mine.status_code == theirs.status_code == HTTPStatus.CREATED
    assert mine.json()["id"] != theirs.json()["id"]
    assert Order.objects.count() == 2


def test_an_expired_key_starts_afresh(customer, customer_address, catalog):
    body = order_body(customer_address, catalog)
    post(customer, body, "order-1")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = post(customer, body, "order-1")

    assert response.status_code == HTTPStatus.CREATED
    assert not response.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 2


def test_a_refused_request_does_not_use_up_its_key(customer, customer_address, catalog):
    post(customer, order_body(customer_address, catalog, items=[]), "order-1")

    response = post(customer, order_body(customer_address, catalog), "order-1")

    assert response.status_code == HTTPStatus.CREATED
    assert IdempotencyKey.objects.get().state == IdempotencyKey.State.COMPLETED


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_an_empty_or_overlong_key_is_400(customer, customer_address, catalog, key):
    response = post(customer, order_body(customer_address, catalog), key)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Order.objects.exists()


def test_without_a_key_every_request_creates(customer, customer_address, catalog):
    body = order_body(customer_address, catalog)

    post(customer, body, None)
    post(customer, body, None)

    assert Order.objects.count() == 2
    assert not IdempotencyKey.objects.exists()
