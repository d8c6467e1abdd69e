"""The same instrument saved twice is a conflict (409): the list keeps one of it, while a
different instrument of the same kind is saved as usual."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.gateway import MASTERCARD
from fixtures.payments import card_details, upi_details


def instruments(data) -> dict:
    upi = upi_details(data)
    card = card_details(data)
    return {
        "upi": (upi, upi_details(data)),
        "card": (card, card_details(data, MASTERCARD)),
        "netbanking": ({"type": "netbanking", "bank_name": "Axis Bank"},
                       {"type": "netbanking", "bank_name": "Kotak Mahindra Bank"}),
        "wallet": ({"type": "wallet", "wallet_provider": "paytm", "wallet_number": "9812345678"},
                   {"type": "wallet", "wallet_provider": "paytm",
                    "wallet_number": "9812345679"}),
    }


@allure.feature("Payments")
@allure.story("No instrument twice")
@pytest.mark.parametrize("kind", ["upi", "card", "netbanking", "wallet"])
def test_the_same_instrument_twice_is_a_conflict(customer, data, kind):
    first, different = instruments(data)[kind]
    # given the customer saved an instrument, and a different one of the same kind
    # (positive control: the kind itself may be saved more than once)
    saved = customer.payments.save_method(**first)
    other = customer.payments.save_method(**different)
    before = customer.payments.all_methods()

    # when they save the first one again (a card with a new CVV: the same card)
    again = first | ({"cvv": "987"} if kind == "card" else {})
    reply = customer.payments.raw_save_method(**again)

    # then it is a conflict, and the list is as it was
    expect_error(reply, HTTPStatus.CONFLICT)
    assert customer.payments.all_methods() == before
    assert {m["id"] for m in before} == {saved["id"], other["id"]}

