"""Waiting with a deadline: the one `poll` for all the load side waits on (a stack's state file,
an OTP in the SMS sandbox). Imports no Locust."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(probe: Callable[[], T | None], *, timeout: float, what: str,
         error: type[Exception]) -> T:
    """What `probe` returns once it returns something other than None; `error` naming `what`
    once `timeout` seconds have passed without it."""
    deadline = time.monotonic() + timeout
    interval = 0.05
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise error(f"{what} did not come within {timeout:g} s")
        time.sleep(interval)  # poll interval, bounded by the deadline above
        interval = min(interval * 1.5, 0.5)
