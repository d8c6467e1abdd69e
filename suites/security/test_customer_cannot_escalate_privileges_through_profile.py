"""Property level: PATCH /me changes the full name and nothing the customer may not set (role,
staff and superuser flags, verification, balance, email, phone): those are ignored or refused."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

pytestmark = [pytest.mark.security]

# fields of the profile that a PATCH may not change; updated_at may move on any PATCH
GUARDED = ("id", "email", "phone_number", "role", "is_verified", "created_at", "full_name")

FORBIDDEN = {
    "role": lambda data: "staff",
    "is_staff": lambda data: True,
    "is_superuser": lambda data: True,
    "balance": lambda data: 100000,
    "email": lambda data: data.email(),
    "phone_number": lambda data: data.phone_number(),
}


def guarded(me: dict) -> dict:
    return {field: me[field] for field in GUARDED}


def refused_or_ignored(reply, field: str, before: dict) -> None:
    """A forbidden field is refused (400 envelope) or ignored (200 with the old value)."""
    if reply.status_code == HTTPStatus.OK:
        if field in before:
            assert reply.json()[field] == before[field], (
                f"PATCH me changed {field}: {before[field]!r} -> {reply.json()[field]!r}")
    else:
        expect_error(reply, HTTPStatus.BAD_REQUEST)


@allure.feature("Security: property level")
@allure.story("Mass assignment on the profile")
@pytest.mark.parametrize("field", sorted(FORBIDDEN))
def test_customer_cannot_set_a_protected_profile_field(customer, data, field):
    # given the customer can change their name (positive control)
    name = data.faker.name()
    assert customer.accounts.update_me(full_name=name)["full_name"] == name
    before = customer.accounts.me()

    # when they send a field they may not set
    reply = customer.accounts.raw_update_me(**{field: FORBIDDEN[field](data)})

    # then it is ignored or refused, and the profile read back is unchanged
    refused_or_ignored(reply, field, before)
    assert guarded(customer.accounts.me()) == guarded(before)

    # and the customer gained no staff power
    expect_error(customer.accounts.raw_list_users(), HTTPStatus.FORBIDDEN)


@allure.feature("Security: property level")
@allure.story("Mass assignment on the profile")
def test_forbidden_fields_ride_along_with_a_name_change(customer, data):
    # given the profile as it is
    before = customer.accounts.me()
    name = data.faker.name()

    # when the customer changes their name and slips every forbidden field into the same PATCH
    reply = customer.accounts.raw_update_me(
        full_name=name, **{field: make(data) for field, make in FORBIDDEN.items()})

    # then either the whole PATCH is refused, or only the name changed
    after = customer.accounts.me()
    if reply.status_code == HTTPStatus.OK:
        assert after["full_name"] == name
        before = before | {"full_name": name}
    else:
        expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert guarded(after) == guarded(before)
    expect_error(customer.accounts.raw_list_users(), HTTPStatus.FORBIDDEN)


@allure.feature("Security: property level")
@allure.story("Mass assignment on the profile")
def test_unverified_customer_cannot_mark_themselves_verified(callers, sandbox, data):
    # given an unverified customer who can change their name (positive control)
    newcomer = callers.register(verify=False, name="newcomer")
    name = data.faker.name()
    assert newcomer.accounts.update_me(full_name=name)["full_name"] == name
    before = newcomer.accounts.me()
    assert before["is_verified"] is False

    # when they PATCH is_verified instead of typing the SMS code
    reply = newcomer.accounts.raw_update_me(is_verified=True)

    # then it is ignored or refused, and they are still unverified
    refused_or_ignored(reply, "is_verified", before)
    assert guarded(newcomer.accounts.me()) == guarded(before)

    # and the SMS code still verifies them the proper way
    code = sandbox.code(newcomer.phone_number)
    assert newcomer.accounts.verify_otp(newcomer.phone_number, code)["user"]["is_verified"]
