"""The checks of the fields Razorpay's API takes; each raises a RazorpayError naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.gateway.errors import RazorpayError

CURRENCY = "INR"
MIN_AMOUNT = 100  # paise: Razorpay's minimum is INR 1.00
MAX_RECEIPT_CHARS = 40
MAX_NOTES = 15
MAX_NOTE_CHARS = 256


def no_other_fields(body: Mapping[str, Any], allowed: frozenset[str] | set[str]) -> None:
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise RazorpayError(f"{', '.join(extra)} is/are not required and should not be sent",
                            field=extra[0])


def amount(value: Any, field: str = "amount") -> int:
    if value is None:
        raise RazorpayError(f"The {field} field is required.", field=field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RazorpayError(f"The {field} must be an integer (paise), got {value!r}.", field=field)
    if value < MIN_AMOUNT:
        raise RazorpayError(f"The {field} must be atleast INR 1.00 ({MIN_AMOUNT} paise).",
                            field=field)
    return value


def currency(value: Any) -> str:
    if value is None:
        raise RazorpayError("The currency field is required.", field="currency")
    if value != CURRENCY:
        raise RazorpayError(f"Currency {value!r} is not supported; the sandbox takes INR.",
                            field="currency")
    return value


def notes(value: Any) -> dict[str, Any] | list[Any]:
    if value is None or value == []:
        return []
    if not isinstance(value, dict):
        raise RazorpayError("The notes must be an object of key-value pairs.", field="notes")
    if len(value) > MAX_NOTES:
        raise RazorpayError(
            f"Number of fields in notes should be less than or equal to {MAX_NOTES}, "
            f"got {len(value)}.",
            field="notes",
        )
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise RazorpayError(f"The notes.{key} must be a string or a number.", field="notes")
        if len(str(item)) > MAX_NOTE_CHARS:
            raise RazorpayError(
                f"The notes.{key} may not be greater than {MAX_NOTE_CHARS} characters.",
                field="notes",
            )
    return dict(value)


def flag(value: Any, field: str, default: bool) -> bool:
    if value is None:
        return default
    if value in (True, 1, "1", "true"):
        return True
    if value in (False, 0, "0", "false"):
        return False
    raise RazorpayError(f"The {field} must be 0 or 1 (or a boolean), got {value!r}.", field=field)
