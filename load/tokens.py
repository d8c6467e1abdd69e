"""When a load user refreshes its access token: by the token's own `iat` and `exp`, whatever
lifetime the target gives its tokens (minutes on a staging backend, an hour on the reference).
Pure functions: nothing here imports Locust."""

from __future__ import annotations

import math
import time

import jwt

# The access token is refreshed when less than this share of its life is left, and at least
# this long before it ends (but never in the first half of its life).
TOKEN_REFRESH_SHARE = 0.25
TOKEN_REFRESH_MIN_SECONDS = 60
# how far the load machine's clock and the backend's may disagree
CLOCK_SKEW_SECONDS = 5


def expiry(token: str | None) -> float:
    """When `token` expires (time.time()); never, for one without a readable `exp`."""
    return _times(token)[1]


def _times(token: str | None) -> tuple[float, float]:
    """`iat` and `exp` of `token`, unverified (the user only schedules by them)."""
    if not token:
        return math.nan, math.inf
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        expires = float(claims["exp"])
        issued = float(claims.get("iat") or time.time())
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return math.nan, math.inf
    return issued, expires


def refresh_time(token: str | None) -> float:
    """When to refresh `token` (time.time()): with a quarter of its life left, and at least a
    minute before it ends, but not before half its life (a token of a minute lives 30 s).
    Never, for a token without a readable `exp`."""
    issued, expires = _times(token)
    if math.isinf(expires):
        return math.inf
    life = expires - issued
    margin = min(max(TOKEN_REFRESH_MIN_SECONDS, life * TOKEN_REFRESH_SHARE), life / 2)
    return expires - margin


def token_due(token: str | None, *, current: str | None) -> bool:
    """Whether a socket opened with `token` should be opened again: the user holds another
    token now, or this one is due for refreshing (the app reconnects with the fresh one)."""
    return token is None or token != current or time.time() >= refresh_time(token)


def closed_by_expiry(token: str | None, *, skew: float = CLOCK_SKEW_SECONDS) -> bool:
    """Whether a socket opened with `token` that the server closed was closed because the token
    expired (the contract's 4401 on expiry, which the app answers by reconnecting), allowing for
    `skew` seconds between the two clocks."""
    return time.time() >= expiry(token) - skew
