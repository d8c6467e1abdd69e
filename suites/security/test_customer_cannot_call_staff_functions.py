"""Function level: staff-only calls refuse customers (403) and strangers (401); calls that need
a login refuse a caller without a token (401); each refusal is the JSON envelope."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

pytestmark = [pytest.mark.security]


@allure.feature("Security: function level")
@allure.story("Staff-only calls")
@pytest.mark.needs_staff
def test_customer_cannot_list_users(staff, customer, anonymous):
    # given staff can list the users (positive control)
    assert staff.accounts.list_users()["count"] >= 1

    # when a customer, then a caller without a token, asks for the list
    as_customer = customer.accounts.raw_list_users()
    as_stranger = anonymous.accounts.raw_list_users()

    # then the customer is forbidden and the stranger unauthenticated, and no row leaks
    expect_error(as_customer, HTTPStatus.FORBIDDEN)
    expect_error(as_stranger, HTTPStatus.UNAUTHORIZED)
    for reply in (as_customer, as_stranger):
        assert staff.email not in reply.text


@allure.feature("Security: function level")
@allure.story("Staff-only calls")
@pytest.mark.needs_staff
def test_customer_cannot_deactivate_another_customer(staff, customer, other_customer):
    # given staff may call the operator endpoints (positive control: the users list)
    staff.accounts.list_users()

    # when a customer tries to deactivate another customer
    reply = customer.accounts.raw_deactivate_user(other_customer.id)

    # then it is forbidden, and the other customer still works
    expect_error(reply, HTTPStatus.FORBIDDEN)
    assert str(other_customer.accounts.me()["id"]) == other_customer.id


@allure.feature("Security: function level")
@allure.story("Calls that need a login")
def test_calls_without_a_token_are_unauthenticated(customer, anonymous, data):
    # given the customer reads their profile and addresses (positive control)
    customer.accounts.me()
    customer.addresses.list()

    # when a caller without a token makes the same calls, and tries to write
    replies = {
        "me": anonymous.accounts.raw_me(),
        "PATCH me": anonymous.accounts.raw_update_me(full_name=data.faker.name()),
        "addresses": anonymous.addresses.raw_list(),
        "POST addresses": anonymous.addresses.raw_create(**data.address()),
        "notification-token": anonymous.accounts.raw_set_notification_token(
            data.expo_push_token(), "android"),
    }

    # then every one is 401 with the envelope
    for reply in replies.values():
        expect_error(reply, HTTPStatus.UNAUTHORIZED)
