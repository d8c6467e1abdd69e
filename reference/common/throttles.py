"""Cache-backed throttles with atomic counters.

DRF's SimpleRateThrottle reads a history list, appends and writes it back, so concurrent
requests in several worker processes can all slip through. Here a window starts at the first
request of a key and a counter is incremented with the cache's atomic `add` and `incr` (Redis
SET NX / INCR in the scaled profile), so a flood gets exactly the allowed number through.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope] (`LC_THROTTLE_*`), read on
every request so that tests can override them.
"""

import hashlib
import math
import re
import time

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """Return (requests, seconds) for a DRF-style rate such as `10/min` or `3/5m`."""
    match = RATE.match(rate)
    if match is None:
        raise ValueError(f"Throttle rate {rate!r} is not like '10/min' or '3/5m'")
    requests, multiplier, unit = match.groups()
    return int(requests), int(multiplier or 1) * UNIT_SECONDS[unit[0]]


class FixedWindowThrottle(BaseThrottle):
    """Counts requests per key in a window that opens at the key's first request."""

    scope: str = ""

    def __init__(self) -> None:
        self._wait: float | None = None

    def get_key(self, request: Request, view: APIView) -> str | None:
        """Return what the limit applies to, or None when it does not apply to this request."""
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        key = self.get_key(request, view)
        if key is None:
            return True
        limit, duration = rate_parse(api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        base = f"throttle:{self.scope}:{digest}"
        now = time.time()
        cache.add(f"{base}:start", now, timeout=duration)
        started = cache.get(f"{base}:start", now)
        counter = f"{base}:{int(started * 1000)}"
        cache.add(counter, 0, timeout=duration)
        try:
            count = cache.incr(counter)
        except ValueError:
            # The window closed between add and incr: this request opens the next one.
            cache.set(counter, 1, timeout=duration)
            count = 1
        if count <= limit:
            return True
        self._wait = max(1.0, math.ceil(started + duration - now))
        return False

    def wait(self) -> float | None:
        return self._wait


class IpRateThrottle(FixedWindowThrottle):
    """A generous per-address limit (LC_THROTTLE_IP): the harness is many users behind one IP,
    so the real limits are keyed by account; this one only stops a runaway client."""

    scope = "ip"

    def get_key(self, request: Request, view: APIView) -> str | None:
        return self.get_ident(request)
