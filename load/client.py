"""The load users' request layer: one `Api` per simulated user over its FastHttpUser client.

Every call goes through `Api.call`, which names the request after its path template (`name=`,
so `/api/orders/{id}/` is one line in the statistics however many orders there are),
checks the status and the keys the journey needs, and on any mismatch marks the response
failed with a reason (`response.failure`) and raises `StepFailed`. `StepFailed` is Locust's
`RescheduleTask`: the task ends there and the user waits and picks its next task, with the
failure already counted; nothing is logged as a crash.

A journey (an upload, a payment) is reported as a request of type `JOURNEY` through
`events.request.fire`: Locust adds it to its statistics, and in a distributed run the workers
send it to the master with every other request, so the master's statistics count every
worker's journeys and the gate (`gate.py`) reads the rates there.

This module runs inside Locust's process only (it imports Locust).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from locust.exception import InterruptTaskSet, RescheduleTask, StopTest, StopUser

from load.gate import JOURNEY
from load.tokens import refresh_time, token_due

if TYPE_CHECKING:
    from locust.contrib.fasthttp import FastHttpUser, ResponseContextManager

REASON_LIMIT = 120


class StepFailed(RescheduleTask):
    """A call of the user's task did not get what the task needs; already counted as failed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class JourneyFailed(Exception):
    """Why a journey did not reach its end (the reason is what the gate's table shows)."""


def reason_of(response: ResponseContextManager, expected: Sequence[int]) -> str:
    """`expected 201, got 502 gateway_unavailable`: short and free of ids, so that Locust's
    failure table groups the same problem into one line."""
    if not response.status_code:
        error = getattr(response, "error", None)
        return f"no reply: {type(error).__name__ if error else 'connection failed'}"
    detail = ""
    try:
        body = response.json()
    except (ValueError, TypeError):
        body = None
    if isinstance(body, dict):
        detail = str(body.get("code") or body.get("error") or "")[:60]
    elif response.text:
        detail = response.headers.get("content-type", "").split(";")[0] or "non-JSON body"
    wanted = " or ".join(str(status) for status in expected)
    return f"expected {wanted}, got {response.status_code} {detail}".rstrip()


@contextmanager
def journey(user: FastHttpUser, name: str) -> Iterator[None]:
    """Report the `with` block as one journey: a success, or a failure with the reason of the
    step that failed. A journey cut short by the end of the run (GreenletExit, StopUser) is
    not counted either way."""
    started = time.time()
    clock = time.perf_counter()
    try:
        yield
    except StepFailed as failed:
        _journey_report(user, name, started, clock, JourneyFailed(failed.reason))
        raise
    except (StopUser, StopTest, InterruptTaskSet):
        raise
    except Exception as unexpected:
        reason = f"{type(unexpected).__name__}: {unexpected}"[:REASON_LIMIT]
        _journey_report(user, name, started, clock, JourneyFailed(reason))
        raise
    _journey_report(user, name, started, clock, None)


def _journey_report(user: FastHttpUser, name: str, started: float, clock: float,
                    error: JourneyFailed | None) -> None:
    user.environment.events.request.fire(
        request_type=JOURNEY, name=name, start_time=started,
        response_time=(time.perf_counter() - clock) * 1000, response_length=0, response=None,
        context={}, exception=error)


class Api:
    """One simulated customer's view of the backend: its bearer token and checked calls."""

    def __init__(self, user: FastHttpUser):
        self.user = user
        self.client = user.client
        self.access: str | None = None
        self.refresh: str | None = None
        # when the access token is to be refreshed (time.time()), from its own `iat` and `exp`
        self.refresh_at = math.inf

    # calls

    def call(self, method: str, path: str, *, name: str | None = None,
             expect: int | Sequence[int] = HTTPStatus.OK, json_body: Any = None,
             data: bytes | None = None, headers: dict[str, str] | None = None,
             auth: bool = True, keys: Sequence[str] = (),
             check: Callable[[Any], str | None] | None = None) -> Any:
        """Send one request, check it, and return its JSON body (None for an empty one).

        `keys` must be in the body; `check(body)` returns why the body is wrong, or None."""
        expected = (expect,) if isinstance(expect, int) else tuple(expect)
        sent = dict(headers or {})
        if auth:
            self.token_fresh()
            if self.access:
                sent["Authorization"] = f"Bearer {self.access}"
        with self.client.request(method, path, name=name or path, json=json_body, data=data,
                                 headers=sent, catch_response=True) as response:
            if response.status_code not in expected:
                self._fail(response, reason_of(response, expected))
            body = None
            if response.content:
                try:
                    body = response.json()
                except (ValueError, TypeError):
                    self._fail(response, f"{response.status_code} with a body that is not JSON")
            missing = [key for key in keys if not isinstance(body, dict) or key not in body]
            if missing:
                self._fail(response, f"{response.status_code} without {', '.join(missing)}")
            problem = check(body) if check is not None else None
            if problem:
                self._fail(response, problem)
            response.success()
            return body

    def fetch(self, url: str, *, name: str, kind: str = "image/") -> int:
        """GET a URL the backend wrote (an image), as an image component fetches it: no auth
        header. Checks 200, the content type and a non-empty body; returns the size."""
        with self.client.request("GET", url, name=name, catch_response=True) as response:
            if response.status_code != HTTPStatus.OK:
                self._fail(response, reason_of(response, (HTTPStatus.OK,)))
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith(kind):
                self._fail(response, f"200 with content type {content_type or 'none'}, "
                                     f"not {kind}")
            size = len(response.content or b"")
            if size == 0:
                self._fail(response, "200 with an empty body")
            response.success()
            return size

    @staticmethod
    def _fail(response: ResponseContextManager, reason: str) -> None:
        response.failure(reason)
        raise StepFailed(reason)

    # session

    def login(self, account: dict) -> None:
        body = self.call("POST", "/api/accounts/auth/login/", auth=False,
                         json_body={"email": account["email"], "password": account["password"]},
                         keys=("access", "refresh"))
        self._tokens(body)

    def token_fresh(self) -> None:
        """Refresh the access token if it is due (see `refresh_time`)."""
        if not self.refresh or time.time() < self.refresh_at:
            return
        body = self.call("POST", "/api/accounts/auth/token/refresh/", auth=False,
                         json_body={"refresh": self.refresh}, keys=("access", "refresh"))
        self._tokens(body)

    def _tokens(self, body: dict) -> None:
        self.access, self.refresh = body["access"], body["refresh"]
        self.refresh_at = refresh_time(self.access)

    def token_expiring(self, token: str | None) -> bool:
        """Whether `token` (one a socket was opened with) is no longer the current one or is
        due for refreshing: the app opens its sockets again with the fresh token."""
        return token_due(token, current=self.access)

