"""Formats of the accounts domain: E.164 phones, Indian PIN codes, Expo push tokens."""

import re

from django.core.validators import RegexValidator

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
PHONE_SEPARATORS = re.compile(r"[\s\-().]")

validate_e164 = RegexValidator(
    E164, message="Enter a phone number in E.164 format, e.g. +919812345678."
)
validate_pincode = RegexValidator(
    r"^[1-9]\d{5}$", message="Enter a 6-digit Indian PIN code that does not start with 0."
)
validate_expo_push_token = RegexValidator(
    r"^ExponentPushToken\[[A-Za-z0-9_\-]{1,200}\]$",
    message="Enter an Expo push token, e.g. ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx].",
)


def phone_normalize(value: str) -> str:
    """Drop the spaces, dashes, dots and brackets people type inside a phone number."""
    return PHONE_SEPARATORS.sub("", value.strip())


def identifier_normalize(value: str) -> str:
    """Return the canonical form of an email or a phone number typed into one field."""
    value = value.strip()
    if "@" in value:
        return value.lower()
    return phone_normalize(value)
