"""The app saves the device's Expo push token; a token that is not one is refused."""

from http import HTTPStatus

import allure

from fixtures.api import expect_error


@allure.feature("Accounts")
@allure.story("Push notification token")
def test_customer_saves_the_device_push_token(customer, data):
    # when the app saves the device's Expo token
    reply = customer.accounts.set_notification_token(data.expo_push_token(), "android")

    # then the server confirms it for that platform
    assert reply["platform"] == "android"
    assert reply["message"]


@allure.feature("Accounts")
@allure.story("Push notification token")
def test_a_malformed_push_token_is_refused(customer, data):
    # given a well-formed token is accepted (positive control)
    customer.accounts.set_notification_token(data.expo_push_token(), "ios")

    # when the app sends something that is not an Expo token
    reply = customer.accounts.raw_set_notification_token("not-a-push-token", "ios")

    # then it is refused as invalid input, naming the field
    body = expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert "token" in body.get("errors", {}), body
