"""Saved payment methods: card validation and tokenization (the number and CVV never kept),
duplicates, the one default, soft deletion, other users' ids."""

import json
from datetime import date
from http import HTTPStatus

import pytest
from django.db import connection

from reference.payments.models import GatewayCustomer, SavedMethod
from reference.payments.serializers import luhn_valid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

METHODS = "/api/payments/saved-methods/"
CARD_NUMBER = "4111 1111 1111 1111"
NEXT_YEAR = date.today().year + 1
METHOD_FIELDS = {
    "id", "type", "provider", "last4", "card_brand", "expiry_month", "expiry_year", "upi_id",
    "bank_name", "wallet_provider", "is_default", "created_at",
}


def card(**overrides: object) -> dict:
    body = {"type": "card", "card_number": CARD_NUMBER, "expiry_month": 12,
            "expiry_year": NEXT_YEAR, "cvv": "123", "card_holder": "Asha Rao"}
    body.update(overrides)
    return body


def add(client, body: dict):
    return client.post(METHODS, body, format="json")


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111111111111111", True), ("5267318187975449", True), ("4111111111111112", False),
     ("79927398713", True), ("0", True), ("1", False)],
)
def test_luhn(number, valid):
    assert luhn_valid(number) is valid


def test_a_card_is_tokenized_and_its_number_and_cvv_are_never_stored_or_returned(
    customer, customer_user, gateway
):
    response = add(customer, card())

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert set(body) == METHOD_FIELDS
    assert (body["type"], body["card_brand"], body["last4"]) == ("card", "Visa", "1111")
    assert (body["expiry_month"], body["expiry_year"], body["is_default"]) == (12, NEXT_YEAR, True)
    assert "4111111111111111" not in response.content.decode()
    assert "cvv" not in body
    stored = SavedMethod.objects.get()
    assert stored.token in gateway.tokens
    [tokenize] = gateway.calls_to("POST", "/v1/tokens")
    sent = json.loads(tokenize.body)
    assert sent["card"]["number"] == "4111111111111111"
    assert sent["customer_id"] == GatewayCustomer.objects.get(user=customer_user).customer_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM payments_savedmethod")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert "4111111111111111" not in row
    assert " 123 " not in f" {row} "


def test_the_gateway_customer_is_made_once_per_user(customer, gateway):
    add(customer, card())
    add(customer, card(card_number="5267 3181 8797 5449"))

    assert len(gateway.calls_to("POST", "/v1/customers")) == 1
    assert len(gateway.calls_to("POST", "/v1/tokens")) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"card_number": "4111 1111 1111 1112"}, "card_number"),
        ({"card_number": "4111-abcd"}, "card_number"),
        ({"card_number": "411111"}, "card_number"),
        ({"expiry_month": 13}, "expiry_month"),
        ({"expiry_month": 0}, "expiry_month"),
        ({"expiry_year": date.today().year - 1}, "expiry_year"),
        ({"expiry_year": 1999}, "expiry_year"),
        ({"cvv": "12"}, "cvv"),
        ({"cvv": "12345"}, "cvv"),
        ({"cvv": "12a"}, "cvv"),
        ({"cvv": None}, "cvv"),
    ],
)
def test_invalid_card_details_are_400_and_never_reach_the_gateway(
    customer, gateway, overrides, field
):
    response = add(customer, card(**overrides))

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert field in response.json()["errors"]
    assert not gateway.calls_to("POST", "/v1/tokens")
    assert not SavedMethod.objects.exists()


def test_this_months_card_is_still_valid_and_a_two_digit_year_is_accepted(customer, gateway):
    today = date.today()

    response = add(customer, card(expiry_month=today.month, expiry_year=today.year % 100))

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["expiry_year"] == today.year


@pytest.mark.parametrize(
    "body",
    [
        card(),
        {"type": "upi", "upi_id": "asha@okhdfcbank"},
        {"type": "netbanking", "bank_name": "HDFC Bank"},
        {"type": "wallet", "wallet_provider": "paytm", "wallet_number": "+919812345678"},
    ],
)
def test_the_same_instrument_twice_is_409(customer, gateway, body):
    assert add(customer, body).status_code == HTTPStatus.CREATED

    response = add(customer, body)

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "duplicate_method"
    assert SavedMethod.objects.count() == 1


def test_other_kinds_keep_only_what_they_need(customer, gateway):
    upi = add(customer, {"type": "upi", "upi_id": "asha@okicici"}).json()
    wallet = add(customer, {"type": "wallet", "wallet_provider": "PayTM",
                            "wallet_number": "9812345678"}).json()

    assert (upi["provider"], upi["upi_id"], upi["last4"]) == ("okicici", "asha@okicici", "")
    assert (wallet["provider"], wallet["wallet_provider"]) == ("paytm", "paytm")
    assert SavedMethod.objects.get(pk=wallet["id"]).wallet_number == "XXXXXX5678"
    assert "9812345678" not in json.dumps(wallet)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "upi"}, "upi_id"),
        ({"type": "upi", "upi_id": "not-a-vpa"}, "upi_id"),
        ({"type": "netbanking"}, "bank_name"),
        ({"type": "wallet", "wallet_provider": "paytm", "wallet_number": "12"}, "wallet_number"),
        ({"type": "cheque"}, "type"),
    ],
)
def test_missing_or_invalid_fields_of_a_type_are_400(customer, gateway, body, field):
    response = add(customer, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "netbanking", "bank_name": 1234}, "bank_name"),
        ({"type": "upi", "upi_id": "asha@okicici", "is_default": 1}, "is_default"),
        (card(expiry_month="12"), "expiry_month"),
        (card(cvv=123), "cvv"),
    ],
)
def test_a_field_of_another_json_type_is_refused(customer, gateway, body, field):
    # DRF would take 1234 as "1234" and 1 as true; the schema says string and boolean
    response = add(customer, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert set(response.json()["errors"]) == {field}
    # and the same body with the field's own type is taken
    fixed = {**body, field: {"bank_name": "1234", "is_default": True, "expiry_month": 12,
                             "cvv": "123"}[field]}
    assert add(customer, fixed).status_code == HTTPStatus.CREATED


def _defaults(client) -> list[str]:
    return [row["id"] for row in client.get(METHODS).json()["results"] if row["is_default"]]


def test_the_first_method_is_the_default_and_patch_moves_it(customer, gateway):
    first = add(customer, {"type": "upi", "upi_id": "asha@okaxis"}).json()
    second = add(customer, {"type": "upi", "upi_id": "bala@okaxis"}).json()
    assert (first["is_default"], second["is_default"]) == (True, False)

    response = customer.patch(f"{METHODS}{second['id']}/", {"is_default": True}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["is_default"] is True
    assert _defaults(customer) == [second["id"]]


def test_a_new_method_asked_to_be_default_takes_it(customer, gateway):
    add(customer, {"type": "upi", "upi_id": "asha@okaxis"})
    second = add(customer, {"type": "upi", "upi_id": "bala@okaxis", "is_default": True}).json()

    assert _defaults(customer) == [second["id"]]


def test_unsetting_the_default_is_ignored(customer, gateway):
    only = add(customer, {"type": "upi", "upi_id": "asha@okaxis"}).json()

    response = customer.patch(f"{METHODS}{only['id']}/", {"is_default": False}, format="json")

    assert response.json()["is_default"] is True
    assert _defaults(customer) == [only["id"]]


def test_deleting_the_default_makes_the_newest_remaining_one_default(customer, gateway):
    oldest = add(customer, {"type": "upi", "upi_id": "asha@okaxis"}).json()
    middle = add(customer, {"type": "upi", "upi_id": "bala@okaxis"}).json()
    newest = add(customer, {"type": "upi", "upi_id": "chitra@okaxis"}).json()

    response = customer.delete(f"{METHODS}{oldest['id']}/")

    assert response.status_code == HTTPStatus.NO_CONTENT
    listed = customer.get(METHODS).json()
    assert {row["id"] for row in listed["results"]} == {middle["id"], newest["id"]}
    assert _defaults(customer) == [newest["id"]]
    assert customer.get(f"{METHODS}{oldest['id']}/").status_code == HTTPStatus.NOT_FOUND
    assert SavedMethod.objects.get(pk=oldest["id"]).deleted_at is not None


def test_a_deleted_card_can_be_saved_again_and_its_token_is_deleted(
    customer, gateway, django_capture_on_commit_callbacks
):
    saved = add(customer, card()).json()
    token = SavedMethod.objects.get(pk=saved["id"]).token

    with django_capture_on_commit_callbacks(execute=True):
        customer.delete(f"{METHODS}{saved['id']}/")

    assert token not in gateway.tokens
    assert add(customer, card()).status_code == HTTPStatus.CREATED


def test_other_users_methods_are_404_and_never_listed(customer, other_customer, gateway):
    mine = add(customer, {"type": "upi", "upi_id": "asha@okaxis"}).json()
    url = f"{METHODS}{mine['id']}/"

    assert other_customer.get(url).status_code == HTTPStatus.NOT_FOUND
    assert other_customer.patch(url, {"is_default": True}, format="json").status_code == 404
    assert other_customer.delete(url).status_code == HTTPStatus.NOT_FOUND
    assert other_customer.get(METHODS).json()["count"] == 0
    assert SavedMethod.objects.get(pk=mine["id"]).deleted_at is None


def test_a_card_the_gateway_refuses_is_400_and_an_outage_502(customer, gateway):
    gateway.fail("POST", r"/v1/tokens", status=400, code="BAD_REQUEST_ERROR",
                 description="The card number is invalid.")
    refused = add(customer, card())
    gateway.fail("POST", r"/v1/tokens", status=503)
    outage = add(customer, card())

    assert (refused.status_code, refused.json()["code"]) == (400, "gateway_rejected")
    assert (outage.status_code, outage.json()["code"]) == (502, "gateway_unavailable")
    assert not SavedMethod.objects.exists()
