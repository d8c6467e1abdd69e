"""The load users refresh their access token by the token's own lifetime (not a guess of the
target's), and reopen a socket whose token is due, as the app does."""

import math
import time

import jwt
import pytest

from load.tokens import TOKEN_REFRESH_MIN_SECONDS, closed_by_expiry, refresh_time, token_due

KEY = "a-test-signing-key-of-32-bytes-or-more"


def token(*, issued: float, lasts: float) -> str:
    return jwt.encode({"iat": int(issued), "exp": int(issued + lasts), "user_id": "u"}, KEY,
                      algorithm="HS256")


@pytest.mark.parametrize(("lasts", "margin"), [
    (3600, 900),                          # an hour: refreshed with a quarter left
    (300, TOKEN_REFRESH_MIN_SECONDS + 15),  # five minutes: 75 s before the end
    (120, TOKEN_REFRESH_MIN_SECONDS),     # two minutes: at least a minute before
    (60, 30),                             # a minute: not in the first half of its life
])
def test_refresh_time_leaves_a_quarter_of_the_life_or_a_minute_or_half(lasts, margin):
    issued = 1_700_000_000

    assert refresh_time(token(issued=issued, lasts=lasts)) == issued + lasts - margin


@pytest.mark.parametrize("value", ["not-a-jwt", jwt.encode({"user_id": "u"}, KEY)])
def test_a_token_without_a_readable_expiry_is_never_refreshed(value):
    assert refresh_time(value) == math.inf


def test_a_socket_token_is_due_when_replaced_or_near_its_end():
    now = time.time()
    fresh = token(issued=now, lasts=3600)
    ending = token(issued=now - 3590, lasts=3600)

    assert token_due(fresh, current=fresh) is False
    assert token_due(token(issued=now - 10, lasts=3600), current=fresh) is True  # replaced
    assert token_due(ending, current=ending) is True
    assert token_due(None, current=fresh) is True


def test_a_socket_closed_at_its_tokens_expiry_is_a_reconnect_not_a_drop():
    now = time.time()

    assert closed_by_expiry(token(issued=now - 62, lasts=60)) is True     # expired
    assert closed_by_expiry(token(issued=now - 57, lasts=60)) is True     # within the skew
    assert closed_by_expiry(token(issued=now - 10, lasts=60)) is False    # a real drop
    assert closed_by_expiry("not-a-jwt") is False
