"""A customer saves a card: the details are checked (Luhn, a future expiry, a 3-4 digit CVV)
and refused with a 400 naming the field; a good card is kept as its brand, last four digits and
expiry only; its number and CVV never come back, in the reply or in the list."""

from datetime import date
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.gateway import MASTERCARD, VISA
from fixtures.payments import card_details

EXPIRY = ("expiry_month", "expiry_year", "expiry")
# what is wrong -> (the change to a valid card, the fields an error may name)
INVALID_CARDS = {
    "a number failing the Luhn check": ({"card_number": "4111 1111 1111 1112"},
                                        ("card_number",)),
    "too few digits": ({"card_number": "4111 1111"}, ("card_number",)),
    "letters in the number": ({"card_number": "4111 1111 1111 111A"}, ("card_number",)),
    "an expiry in the past": ({"expiry_month": 1, "expiry_year": 2020}, EXPIRY),
    "month 13": ({"expiry_month": 13}, EXPIRY),
    "month 0": ({"expiry_month": 0}, EXPIRY),
    "a 2-digit CVV": ({"cvv": "12"}, ("cvv",)),
    "a 5-digit CVV": ({"cvv": "12345"}, ("cvv",)),
    "letters in the CVV": ({"cvv": "12a"}, ("cvv",)),
    "no CVV": ({"cvv": None}, ("cvv",)),
    "no number": ({"card_number": None}, ("card_number",)),
}


def secrets_in(body, card: dict) -> list[str]:
    """What of the card's number or CVV a reply body carries: a key naming them, or a value
    holding the whole number (with or without spaces) or equal to the CVV."""
    number = card["card_number"].replace(" ", "")
    found = []

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                # an error may name the field it is about; anything else may not carry it
                naming = path == "/errors"
                if not naming and key.lower() in ("card_number", "cvv", "cvc", "number", "pan"):
                    found.append(f"{path}/{key}")
                walk(inner, f"{path}/{key}")
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, f"{path}/{index}")
        elif isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
            if number in text.replace(" ", "").replace("-", "") or text == card["cvv"]:
                found.append(f"{path} = {text!r}")

    walk(body, "")
    return found


@allure.feature("Payments")
@allure.story("Save a card")
def test_customer_saves_a_card_kept_as_brand_last4_and_expiry(customer, visa_card):
    # when the customer saves a Visa card
    saved = customer.payments.save_method(**visa_card)

    # then it is kept as brand, last four digits and expiry, and is their default (the first)
    assert saved["type"] == "card"
    assert saved["last4"] == "1111"
    assert saved["card_brand"].lower() == "visa"
    assert (saved["expiry_month"], saved["expiry_year"]) == (12, visa_card["expiry_year"])
    assert saved["is_default"] is True

    # and neither the number nor the CVV is in the reply, the method or the list
    listed = customer.payments.list_methods()
    assert [m["id"] for m in listed["results"]] == [saved["id"]]
    for body in (saved, customer.payments.get_method(saved["id"]), listed):
        assert secrets_in(body, visa_card) == [], body


@allure.feature("Payments")
@allure.story("Save a card")
def test_customer_saves_a_second_card_of_another_brand(customer, data):
    # given a saved Visa card
    first = customer.payments.save_method(**card_details(data, VISA))

    # when the customer saves a MasterCard too
    mastercard = card_details(data, MASTERCARD, expiry_year=date.today().year + 2)
    second = customer.payments.save_method(**mastercard)

    # then both are listed, the new one a MasterCard ending 5449, the first still the default
    assert (second["last4"], second["card_brand"].lower()) == ("5449", "mastercard")
    assert second["is_default"] is False
    methods = {m["id"]: m for m in customer.payments.all_methods()}
    assert set(methods) == {first["id"], second["id"]}
    assert methods[first["id"]]["is_default"] is True
    assert secrets_in(list(methods.values()), mastercard) == []


@allure.feature("Payments")
@allure.story("Save a card")
@pytest.mark.parametrize("change", INVALID_CARDS.values(), ids=INVALID_CARDS.keys())
def test_an_invalid_card_is_refused_naming_the_field(customer, visa_card, change):
    fields, named = change
    # given a card with one detail wrong (None: left out)
    bad_card = {name: value for name, value in (visa_card | fields).items() if value is not None}

    # when the customer saves the card with one detail wrong
    reply = customer.payments.raw_save_method(**bad_card)

    # then it is a 400 naming that field, nothing of the card comes back, and nothing is saved
    body = expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert set(named) & set(body.get("errors") or {}), f"expected an error on {named}: {body}"
    assert secrets_in(body, visa_card) == [], body
    assert customer.payments.list_methods()["count"] == 0

    # and the valid card is then accepted (positive control)
    customer.payments.save_method(**visa_card)
    assert customer.payments.list_methods()["count"] == 1
