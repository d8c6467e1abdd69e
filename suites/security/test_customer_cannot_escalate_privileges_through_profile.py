"""Property level: PATCH /me changes a name and nothing the customer may not set. The fields
that grant power are the target's own (its role, type, staff and superuser flags, groups,
permissions, verification, as its OpenAPI and its `me` reply name them, plus the contract's),
and the customer's identity and balance: each is ignored or refused, never changed."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.privileges import Probe, changes, kept, refuses_staff_calls, verification_flags

pytestmark = [pytest.mark.security]

# the contract's fields of who the customer is and what they hold; none is theirs to set
IDENTITY_AND_BALANCE = {
    "balance": lambda data: 100000,
    "email": lambda data: data.email(),
    "phone_number": lambda data: data.phone_number(),
}


def changed_by(reply, probe: Probe, before: dict, after: dict) -> list[str]:
    """What a PATCH sending `probe` did that it may not: the profile read back changed, or
    the reply claims the value sent. A refusal must be the 400 of invalid input."""
    found = [f"{probe}: {change}" for change in changes(before, after)]
    if reply.status_code == HTTPStatus.OK:
        shown = reply.json() if "json" in reply.headers.get("content-type", "") else {}
        if isinstance(shown, dict) and probe.field in shown \
                and shown[probe.field] == probe.value != before.get(probe.field):
            found.append(f"{probe}: the reply shows {probe.field}={probe.value!r}")
    else:
        expect_error(reply, HTTPStatus.BAD_REQUEST)
    return found


def edit_for_control(caller, user_schema, data) -> dict:
    """Makes the harmless edit of a case's positive control; the profile after it."""
    edit = user_schema.harmless_edit(caller.accounts.me(), data.faker)
    assert caller.accounts.update_me(**edit.body)[edit.field] == edit.value
    after = caller.accounts.me()
    assert after[edit.field] == edit.value, (
        f"PATCH me answered {edit} but the profile read back has "
        f"{edit.field}={after[edit.field]!r}")
    return after


@allure.feature("Security: property level")
@allure.story("Mass assignment on the profile")
def test_customer_cannot_grant_themselves_a_privilege(customer, data, user_schema):
    # given the customer can change a harmless field of their profile (positive control)
    before = edit_for_control(customer, user_schema, data)
    probes = user_schema.probes(before)
    allure.dynamic.description(f"Privileges read from {user_schema.source}: "
                               + ", ".join(map(str, probes)))

    # when they send, one at a time, each field of their user that grants power
    breaches: list[str] = []
    for probe in probes:
        with allure.step(f"PATCH me with {probe}"):
            reply = customer.accounts.raw_update_me(**probe.body)
            after = customer.accounts.me()
            breaches += changed_by(reply, probe, before, after)
            before = after

    # then each was ignored or refused, and the profile read back never changed
    assert not breaches, (
        f"PATCH me let the customer change what grants power (fields read from "
        f"{user_schema.source}):\n" + "\n".join(breaches))

    # and the customer gained no staff power
    refuses_staff_calls(customer)


@allure.feature("Security: property level")
@allure.story("Mass assignment on the profile")
@pytest.mark.parametrize("field", sorted(IDENTITY_AND_BALANCE))
def test_customer_cannot_set_their_identity_or_balance(customer, data, user_schema, field):
    # given the customer can change a harmless field of their profile (positive control)
    before = edit_for_control(customer, user_schema, data)

    # when they send a field they may not set
    probe = Probe(field, IDENTITY_AND_BALANCE[field](data))
    reply = customer.accounts.raw_update_me(**probe.body)

    # then it is ignored or refused, and the profile read back is unchanged
    breaches = changed_by(reply, probe, before, customer.accounts.me())
    assert not breaches, "PATCH me changed what it may not:\n" + "\n".join(breaches)


@allure.feature("Security: property level")
@allure.story("Mass assignment on the profile")
def test_forbidden_fields_ride_along_with_a_harmless_edit(customer, data, user_schema):
    # given the profile as it is, and a harmless edit the customer may make
    before = customer.accounts.me()
    edit = user_schema.harmless_edit(before, data.faker)
    forbidden = {field: make(data) for field, make in IDENTITY_AND_BALANCE.items()}
    for probe in user_schema.probes(before):
        forbidden.setdefault(probe.field, probe.value)  # one value of each field is enough

    # when the customer makes it and slips every forbidden field into the same PATCH
    reply = customer.accounts.raw_update_me(**forbidden, **edit.body)

    # then either the whole PATCH is refused, or only the harmless field changed
    after = customer.accounts.me()
    if reply.status_code == HTTPStatus.OK:
        assert after[edit.field] == edit.value
        before = kept(before) | edit.body
    else:
        expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert not changes(before, after), (
        f"PATCH me with {edit} and {forbidden} changed:\n" + "\n".join(changes(before, after)))
    refuses_staff_calls(customer)


@allure.feature("Security: property level")
@allure.story("Mass assignment on the profile")
def test_unverified_customer_cannot_mark_themselves_verified(callers, sandbox, data,
                                                             user_schema):
    # given an unverified customer who can change a harmless field (positive control)
    newcomer = callers.register(verify=False, name="newcomer")
    before = edit_for_control(newcomer, user_schema, data)
    flags = verification_flags(before)
    assert not any(before[flag] for flag in flags), (
        f"a newcomer who has not typed the SMS code must read as unverified, got "
        f"{ {flag: before[flag] for flag in flags} }")

    # when they PATCH each verification flag instead of typing the SMS code
    breaches: list[str] = []
    for probe in (Probe(flag, True) for flag in flags):
        with allure.step(f"PATCH me with {probe}"):
            reply = newcomer.accounts.raw_update_me(**probe.body)
            after = newcomer.accounts.me()
            breaches += changed_by(reply, probe, before, after)
            before = after

    # then each was ignored or refused, and they are still unverified
    assert not breaches, "PATCH me verified the customer:\n" + "\n".join(breaches)

    # and the SMS code still verifies them the proper way
    newcomer.accounts.verify_otp(newcomer.phone_number, sandbox.code(newcomer.phone_number))
    verified = newcomer.accounts.me()
    assert all(verified[flag] is True for flag in flags), (
        f"after the SMS code the profile reads { {flag: verified[flag] for flag in flags} }")
