"""Authentication: a token that the target did not sign as it is, or that is no access token,
is refused with 401 and the error envelope; the genuine token works (positive control)."""

from http import HTTPStatus

import allure
import pytest

from fixtures import tokens
from fixtures.api import expect_error
from fixtures.findings import Blocked

pytestmark = [pytest.mark.security]

HOUR = 3600


def genuine_works(caller) -> None:
    """Positive control: the caller's own access token reads their profile."""
    assert str(caller.accounts.me()["id"]) == caller.id


@allure.feature("Security: authentication")
@allure.story("Forged tokens")
def test_a_token_with_alg_none_is_refused(customer):
    genuine_works(customer)

    # when the attacker strips the signature and declares alg none
    reply = customer.accounts.raw_me(token=tokens.unsigned(customer.access))

    # then it is refused
    expect_error(reply, HTTPStatus.UNAUTHORIZED)


@allure.feature("Security: authentication")
@allure.story("Forged tokens")
def test_a_token_signed_with_another_key_is_refused(customer):
    genuine_works(customer)

    # when the attacker re-signs the same claims with a key of their own
    reply = customer.accounts.raw_me(token=tokens.signed_with(customer.access, tokens.WRONG_KEY))

    # then it is refused
    expect_error(reply, HTTPStatus.UNAUTHORIZED)


@allure.feature("Security: authentication")
@allure.story("Forged tokens")
def test_a_token_whose_user_id_was_edited_is_refused(customer, other_customer):
    genuine_works(customer)
    genuine_works(other_customer)

    # when the attacker puts the victim's id in their own token's payload, keeping the signature
    claim = tokens.user_claim(customer.access, customer.id)
    forged = tokens.edited(customer.access, **{claim: other_customer.id})
    reply = customer.accounts.raw_me(token=forged)

    # then it is refused, and nothing of the victim leaks
    expect_error(reply, HTTPStatus.UNAUTHORIZED)
    assert other_customer.email not in reply.text


@allure.feature("Security: authentication")
@allure.story("Forged tokens")
@pytest.mark.needs_signing_key
def test_an_expired_token_is_refused(customer, target):
    if not target.jwt_signing_key:
        raise Blocked("the expired-token case mints tokens with the target's signing key; "
                      "none was given (--jwt-signing-key)")

    # given a token minted with the target's key and a future expiry is accepted (positive
    # control: the key is right, so a refusal below is about the expiry alone)
    fresh = tokens.signed_with(customer.access, target.jwt_signing_key,
                               **tokens.lifetime(starts_in=-60, lasts=HOUR))
    assert customer.accounts.raw_me(token=fresh).status_code == HTTPStatus.OK

    # when the same token expired a minute ago
    expired = tokens.signed_with(customer.access, target.jwt_signing_key,
                                 **tokens.lifetime(starts_in=-HOUR - 60, lasts=HOUR))
    reply = customer.accounts.raw_me(token=expired)

    # then it is refused
    expect_error(reply, HTTPStatus.UNAUTHORIZED)


@allure.feature("Security: authentication")
@allure.story("Forged tokens")
def test_a_refresh_token_is_not_an_access_token(customer):
    # given a live refresh token, fresh from a refresh (positive control: refreshing works)
    genuine_works(customer)
    pair = customer.accounts.refresh(customer.refresh)
    customer.use_tokens(pair["access"], pair["refresh"])

    # when that refresh token is presented as a bearer token
    reply = customer.accounts.raw_me(token=customer.refresh)

    # then it is refused, though it still refreshes
    expect_error(reply, HTTPStatus.UNAUTHORIZED)
    assert customer.accounts.refresh(customer.refresh)["access"]
