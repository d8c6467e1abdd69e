"""Card details as a customer types them (checked, never stored), the card entity Razorpay shows,
and the test cards the issuer declines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.gateway.errors import RazorpayError
from sandbox.webhooks import razorpay_id

# Test cards the issuer declines; any other Luhn-valid number (4111 1111 1111 1111) succeeds.
FAILING_CARDS = frozenset({"4000000000000002"})
# IIN prefixes -> network, as Razorpay names them; the first match wins.
CARD_NETWORKS = (
    (("34", "37"), "American Express"),
    (("300", "301", "302", "303", "304", "305", "36", "38"), "Diners Club"),
    (("6011",), "Discover"),
    (("3528", "3529", "353", "354", "355", "356", "357", "358"), "JCB"),
    (("508", "60", "65", "81", "82"), "RuPay"),
    (("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27"), "MasterCard"),
    (("4",), "Visa"),
    (("50", "56", "57", "58", "63", "67"), "Maestro"),
)


def _card_network(number: str) -> str:
    for prefixes, network in CARD_NETWORKS:
        if number.startswith(prefixes):
            return network
    return "Unknown"


def card_entity(number: str, name: str | None) -> dict[str, Any]:
    return {
        "id": razorpay_id("card"),
        "entity": "card",
        "name": name,
        "last4": number[-4:],
        "network": _card_network(number),
        "type": "credit",
        "issuer": None,
        "international": False,
        "emi": False,
        "sub_type": "consumer",
        "token_iin": None,
    }


def _luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


@dataclass(frozen=True)
class CardInput:
    """Card details as a customer types them; never stored, never echoed."""

    number: str
    expiry_month: int
    expiry_year: int
    name: str | None


def read_card(card: Any, prefix: str = "card") -> CardInput:
    """Validate card details (number, expiry, cvv); raise a RazorpayError naming the field."""
    if not isinstance(card, dict):
        raise RazorpayError(f"The {prefix} field is required and must be an object.",
                            field=prefix)
    number = str(card.get("number") or "").replace(" ", "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn_valid(number):
        raise RazorpayError("The card number is invalid.", field=f"{prefix}.number")
    try:
        month = int(card.get("expiry_month"))
        year = int(card.get("expiry_year"))
    except (TypeError, ValueError):
        raise RazorpayError("The card expiry_month and expiry_year must be numbers.",
                            field=f"{prefix}.expiry_month") from None
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise RazorpayError("The card expiry_month must be from 1 to 12.",
                            field=f"{prefix}.expiry_month")
    today = datetime.now(UTC)
    if (year, month) < (today.year, today.month):
        raise RazorpayError("The card has expired.", field=f"{prefix}.expiry_year")
    cvv = str(card.get("cvv") or "")
    if not cvv.isdigit() or len(cvv) not in (3, 4):
        raise RazorpayError("The card cvv must be 3 or 4 digits.", field=f"{prefix}.cvv")
    name = card.get("name")
    if name is not None and not isinstance(name, str):
        raise RazorpayError("The card name must be a string.", field=f"{prefix}.name")
    return CardInput(number=number, expiry_month=month, expiry_year=year, name=name)
