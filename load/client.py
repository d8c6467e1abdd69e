"""The load users' request layer: one `Api` per simulated user over its FastHttpUser client.

Every call goes through `Api.call`, which names the request after its path template (`name=`,
so `/api/orders/{id}/` is one line in the statistics however many orders there are),
checks the status and the keys the journey needs, and on any mismatch marks the response
failed with a reason (`response.failure`) and raises `StepFailed`. `StepFailed` is Locust's
`RescheduleTask`: the task ends there and the user waits and picks its next task, with the
failure already counted; nothing is logged as a crash.

A failure's reason names the status and a few words of the body, without ids (the error code
of the contract's envelope, a framework's `detail`, the title of an HTML page: `expected 200,
got 404 text/html: Not Found`), so that a target that answers otherwise than the contract says
shows what it answered. A body the step cannot read (a list where it wants an object, no JSON
at all) is such a failure too, never an exception out of the user. `StepFailed.lasting` tells
an answer that will come again (a 401 at login, a path the target does not have) from one that
may pass (a timeout, a throttle, a 5xx).

A journey (an upload, a payment) is reported as a request of type `JOURNEY` through
`events.request.fire`: Locust adds it to its statistics, and in a distributed run the workers
send it to the master with every other request, so the master's statistics count every
worker's journeys and the gate (`gate.py`) reads the rates there. A failed journey's reason
names the call that stopped it (`POST /_sandbox/checkout/: checkout declined: ...`).

This module runs inside Locust's process only (it imports Locust).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from locust.exception import InterruptTaskSet, RescheduleTask, StopTest, StopUser

from load.slo import JOURNEY
from load.tokens import refresh_time, token_due

if TYPE_CHECKING:
    from locust.contrib.fasthttp import FastHttpUser, ResponseContextManager

REASON_LIMIT = 120
HINT_LIMIT = 60
# Answers that the same request will get again: the target refuses it as it is (a 401 at login,
# a path it does not have), unlike a timeout, a throttle or a server error, which may pass.
LASTING_STATUSES = frozenset({400, 401, 403, 404, 405, 410, 415, 422})
# ids and counts in an error's text would split one problem into many lines of the failure table
# (a three-digit status stays: `404 Not Found`)
VARYING = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                     r"|\b(?![1-5]\d\d\b)\d+\b", re.I)
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.I | re.S)
TAG = re.compile(r"<[^>]+>")


class StepFailed(RescheduleTask):
    """A call of the user's task did not get what the task needs; already counted as failed.
    `call` names the request (`POST /api/payments/payments/`) and `status` its answer (0: none),
    when a request failed."""

    def __init__(self, reason: str, *, call: str = "", status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.call = call
        self.status = status

    @property
    def lasting(self) -> bool:
        """Whether the target will give the same answer again (see LASTING_STATUSES)."""
        return self.status in LASTING_STATUSES

    @property
    def described(self) -> str:
        """The reason with the call it came from, as a journey's failure shows it."""
        return f"{self.call}: {self.reason}" if self.call else self.reason


class JourneyFailed(Exception):
    """Why a journey did not reach its end (the reason is what the gate's table shows)."""


def reason_of(response: ResponseContextManager, expected: Sequence[int]) -> str:
    """`expected 201, got 502 gateway_unavailable`: short and free of ids, so that Locust's
    failure table groups the same problem into one line."""
    if not response.status_code:
        error = getattr(response, "error", None)
        return f"no reply: {type(error).__name__ if error else 'connection failed'}"
    wanted = " or ".join(str(status) for status in expected)
    return f"expected {wanted}, got {response.status_code} {body_hint(response)}".rstrip()


def _plain(text: str) -> str:
    text = " ".join(TAG.sub(" ", text).split())
    return VARYING.sub("{n}", text)[:HINT_LIMIT]


def body_hint(response: ResponseContextManager) -> str:
    """What a reply's body says, in a few words without ids: the error code of the contract's
    envelope (`{"message", "code"}`), a framework's `detail`, the fields a validation error
    names, or for a page that is not JSON its type and title (`text/html: Not Found`)."""
    try:
        body = response.json()
    except (ValueError, TypeError, AttributeError):
        body = None
    if isinstance(body, dict):
        for key in ("code", "error", "detail", "message"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("code") or value.get("reason") or value.get("message")
            if value and isinstance(value, str | int):
                return _plain(str(value))
        return _plain("fields: " + ", ".join(sorted(str(key) for key in body)[:4])) if body else ""
    if body is not None:
        return f"JSON {type(body).__name__}"
    text = (response.text or "").strip()
    if not text:
        return ""
    headers = getattr(response, "headers", None) or {}
    kind = (headers.get("content-type") or "").split(";")[0].strip() or "body"
    found = TITLE.search(text) or HEADING.search(text)
    words = _plain(found.group(1) if found else text.splitlines()[0])
    return f"{kind}: {words}" if words else kind


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
        _journey_report(user, name, started, clock, JourneyFailed(failed.described))
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

        `keys` must be in the body; `check(body)` returns why the body is wrong, or None (a
        body it cannot read, e.g. a list where it wants an object, is a failure too)."""
        expected = (expect,) if isinstance(expect, int) else tuple(expect)
        sent = dict(headers or {})
        if auth:
            self.token_fresh()
            if self.access:
                sent["Authorization"] = f"Bearer {self.access}"
        call = f"{method} {name or path}"
        with self.client.request(method, path, name=name or path, json=json_body, data=data,
                                 headers=sent, catch_response=True) as response:
            if response.status_code not in expected:
                self._fail(response, reason_of(response, expected), call)
            body = None
            if response.content:
                try:
                    body = response.json()
                except (ValueError, TypeError):
                    self._fail(response, f"{response.status_code} with a body that is not JSON "
                                         f"({body_hint(response) or 'empty'})", call)
            missing = [key for key in keys if not isinstance(body, dict) or key not in body]
            if missing:
                self._fail(response, f"{response.status_code} without {', '.join(missing)}",
                           call)
            try:
                problem = check(body) if check is not None else None
            except (KeyError, IndexError, TypeError, ValueError, AttributeError,
                    ArithmeticError) as error:
                problem = (f"{response.status_code} with a body the journey cannot read "
                           f"({type(error).__name__})")
            if problem:
                self._fail(response, problem, call)
            response.success()
            return body

    def fetch(self, url: str, *, name: str, kind: str = "image/") -> int:
        """GET a URL the backend wrote (an image), as an image component fetches it: no auth
        header. Checks 200, the content type and a non-empty body; returns the size."""
        call = f"GET {name}"
        if not isinstance(url, str) or not url:
            raise StepFailed(f"no URL to fetch: {url!r}", call=call)
        with self.client.request("GET", url, name=name, catch_response=True) as response:
            if response.status_code != HTTPStatus.OK:
                self._fail(response, reason_of(response, (HTTPStatus.OK,)), call)
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith(kind):
                self._fail(response, f"200 with content type {content_type or 'none'}, "
                                     f"not {kind}", call)
            size = len(response.content or b"")
            if size == 0:
                self._fail(response, "200 with an empty body", call)
            response.success()
            return size

    @staticmethod
    def _fail(response: ResponseContextManager, reason: str, call: str = "") -> None:
        """Count the request failed with `reason` (Locust's failure table) and end the step."""
        reason = reason[:REASON_LIMIT]
        response.failure(reason)
        raise StepFailed(reason, call=call, status=response.status_code)

    # session

    def login(self, account: dict) -> None:
        """Log in with the account; StepFailed (its `lasting` tells whether trying again can
        help) if the target does not give both tokens."""
        body = self.call("POST", "/api/accounts/auth/login/", auth=False,
                         json_body={"email": account["email"], "password": account["password"]},
                         keys=("access", "refresh"), check=_tokens_problem)
        self._tokens(body)

    def token_fresh(self) -> None:
        """Refresh the access token if it is due (see `refresh_time`). If the refresh fails,
        the tokens are dropped, so that the user logs in again on its next task rather than
        try the refresh before every call."""
        if not self.refresh or time.time() < self.refresh_at:
            return
        try:
            body = self.call("POST", "/api/accounts/auth/token/refresh/", auth=False,
                             json_body={"refresh": self.refresh}, keys=("access", "refresh"),
                             check=_tokens_problem)
        except StepFailed:
            self.logout()
            raise
        self._tokens(body)

    def logout(self) -> None:
        self.access = self.refresh = None
        self.refresh_at = math.inf

    def _tokens(self, body: dict) -> None:
        self.access, self.refresh = body["access"], body["refresh"]
        self.refresh_at = refresh_time(self.access)

    def token_expiring(self, token: str | None) -> bool:
        """Whether `token` (one a socket was opened with) is no longer the current one or is
        due for refreshing: the app opens its sockets again with the fresh token."""
        return token_due(token, current=self.access)


def _tokens_problem(body: dict) -> str | None:
    if isinstance(body["access"], str) and body["access"] and isinstance(body["refresh"], str):
        return None
    return "tokens that are not strings"
