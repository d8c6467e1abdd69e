"""The customer's notification preferences: six switches, read and changed one at a time; a
value that is not a switch is refused and changes nothing."""

from http import HTTPStatus

import allure

from fixtures.api import expect_error
from fixtures.api.shapes import PREFERENCE_SWITCHES


@allure.feature("Notifications")
@allure.story("Notification preferences")
def test_customer_changes_one_switch_and_keeps_the_others(customer):
    # given the customer's preferences
    before = customer.notifications.preferences()
    assert set(PREFERENCE_SWITCHES) <= set(before)

    # when they turn promotions to the opposite
    changed = customer.notifications.update_preferences(promotions=not before["promotions"])

    # then only that switch changed, and it stays changed
    expected = {name: before[name] for name in PREFERENCE_SWITCHES} \
        | {"promotions": not before["promotions"]}
    assert {name: changed[name] for name in PREFERENCE_SWITCHES} == expected
    read_back = customer.notifications.preferences()
    assert {name: read_back[name] for name in PREFERENCE_SWITCHES} == expected


@allure.feature("Notifications")
@allure.story("Notification preferences")
def test_a_value_that_is_not_a_switch_is_refused(customer):
    # given a switch can be set (positive control)
    customer.notifications.update_preferences(sms_enabled=False)
    before = customer.notifications.preferences()

    # when the app sends something that is not true or false
    reply = customer.notifications.raw_update_preferences(sms_enabled="sometimes")

    # then it is invalid input naming the switch, and nothing changed
    body = expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert "sms_enabled" in body.get("errors", {}), body
    assert customer.notifications.preferences() == before


@allure.feature("Notifications")
@allure.story("Notification preferences")
def test_a_stranger_cannot_read_or_change_preferences(customer, anonymous):
    # given the customer reads their preferences (positive control)
    before = customer.notifications.preferences()

    # when a caller without a token reads or changes preferences, then it is refused
    expect_error(anonymous.notifications.raw_preferences(), HTTPStatus.UNAUTHORIZED)
    expect_error(anonymous.notifications.raw_update_preferences(push_enabled=False),
                 HTTPStatus.UNAUTHORIZED)
    assert customer.notifications.preferences() == before
