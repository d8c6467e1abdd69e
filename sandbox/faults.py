"""The fault registry: faults a test switches on, each scoped by a `match`, for every emulator.

`FAULT_TABLE` is the one place that names the services, the faults each accepts, their options
and the request attributes a `match` may name. An emulator asks the registry for the fault that
applies to one request (`FaultRegistry.take`); the registry counts the application and forgets a
fault once its `times` are used up.
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_SECONDS = 600.0
MAX_COPIES = 10


@dataclass(frozen=True)
class FaultKind:
    """What one fault does, which options it takes, and their defaults."""

    summary: str
    options: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    default_seconds: float | None = None
    default_status: int | None = None
    default_times: int | None = None
    default_copies: int | None = None


@dataclass(frozen=True)
class ServiceFaults:
    """The faults of one service and the request attributes their `match` may name."""

    emulated: bool
    match_keys: tuple[str, ...]
    faults: Mapping[str, FaultKind]


_HTTP_5XX = FaultKind(
    "answer with a 5xx error in the service's own error format (option status, default 500)",
    options=("status",),
    default_status=500,
)
_SLOW = FaultKind(
    "wait `seconds`, then answer normally",
    options=("seconds",),
    required=("seconds",),
)
_TIMEOUT = FaultKind(
    "hold the request `seconds` (default 30), then answer 504",
    options=("seconds",),
    default_seconds=30.0,
)

FAULT_TABLE: Mapping[str, ServiceFaults] = {
    "sms": ServiceFaults(
        emulated=True,
        match_keys=("to",),
        faults={
            "http_5xx": _HTTP_5XX,
            "slow": _SLOW,
            "timeout": _TIMEOUT,
            "decline": FaultKind(
                "refuse the message with Twilio error 21610 (400); nothing reaches the inbox"
            ),
        },
    ),
    "gateway": ServiceFaults(
        emulated=True,
        match_keys=("order_id", "receipt", "payment_id", "key_id", "event"),
        faults={
            "http_5xx": FaultKind(
                "API calls answer a 5xx SERVER_ERROR in Razorpay's error JSON; nothing changes "
                "(option status, default 500)",
                options=("status",),
                default_status=500,
            ),
            "slow": _SLOW,
            "timeout": FaultKind(
                "the API call is carried out, then held `seconds` (default 30) and answered 504: "
                "the reply is lost, the change is not",
                options=("seconds",),
                default_seconds=30.0,
            ),
            "decline": FaultKind("the customer's payment fails at checkout"),
            "webhook_duplicate": FaultKind(
                "deliver each matching webhook `copies` times (default 2), concurrently, with "
                "one event id",
                options=("copies",),
                default_copies=2,
            ),
            "webhook_out_of_order": FaultKind(
                "deliver the webhooks of one checkout, capture or refund in reverse order"
            ),
            "webhook_delay": FaultKind(
                "deliver each matching webhook `seconds` late", options=("seconds",),
                required=("seconds",),
            ),
            "webhook_bad_signature": FaultKind("sign matching webhooks with a wrong secret"),
            "webhook_fail_once": FaultKind(
                "count the first delivery of a matching webhook as failed although the receiver "
                "answered (its reply is treated as lost), so the same event is redelivered "
                "(times defaults to 1)",
                default_times=1,
            ),
        },
    ),
    "push": ServiceFaults(
        emulated=True,
        match_keys=("token",),
        faults={"http_5xx": _HTTP_5XX, "slow": _SLOW, "timeout": _TIMEOUT},
    ),
}

_COMMON_KEYS = ("service", "fault", "match", "times")


class FaultError(ValueError):
    """A fault request that cannot be registered; `details` tells the caller what is allowed."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass
class Fault:
    """One registered fault. `remaining` is None for a fault without a `times` limit."""

    id: str
    service: str
    fault: str
    match: dict[str, str]
    times: int | None
    remaining: int | None
    seconds: float | None
    status: int | None
    created_at: str
    copies: int | None = None
    applied: int = 0
    options: tuple[str, ...] = field(default=(), repr=False)

    def matches(self, attributes: Mapping[str, str | None]) -> bool:
        return all(attributes.get(key) == value for key, value in self.match.items())

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "service": self.service,
            "fault": self.fault,
            "match": dict(self.match),
            "times": self.times,
            "remaining": self.remaining,
            "applied": self.applied,
            "created_at": self.created_at,
        }
        for option in self.options:
            body[option] = getattr(self, option)
        return body


def _names(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultError(f"'seconds' must be a number of seconds, got {value!r}")
    if not 0 < value <= MAX_SECONDS:
        raise FaultError(f"'seconds' must be more than 0 and at most {MAX_SECONDS:g}, got {value}")
    return float(value)


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 500 <= value <= 599:
        raise FaultError(f"'status' must be an integer from 500 to 599, got {value!r}")
    return value


def _copies(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= MAX_COPIES:
        raise FaultError(f"'copies' must be an integer from 2 to {MAX_COPIES}, got {value!r}")
    return value


def _times(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FaultError(
            f"'times' must be a positive integer (or absent for no limit), got {value!r}"
        )
    return value


def _match(value: Any, service: str, allowed: tuple[str, ...]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FaultError(f"'match' must be an object, got {value!r}", allowed_match_keys=allowed)
    unknown = set(value) - set(allowed)
    if unknown:
        raise FaultError(
            f"unknown match key(s) {_names(unknown)} for service '{service}'; "
            f"allowed: {_names(allowed)}",
            allowed_match_keys=list(allowed),
        )
    match = {}
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int) or str(item).strip() == "":
            raise FaultError(f"match '{key}' must be a non-empty string, got {item!r}")
        match[key] = str(item).strip()
    return match


def parse_fault(body: Any) -> tuple[str, str, FaultKind, dict[str, Any]]:
    """Validate a fault request; return its service, name, kind and resolved settings."""
    if not isinstance(body, dict):
        raise FaultError("the request body must be a JSON object")
    service = body.get("service")
    if service not in FAULT_TABLE:
        raise FaultError(
            f"unknown service {service!r}; allowed: {_names(FAULT_TABLE)}",
            allowed_services=sorted(FAULT_TABLE),
        )
    table = FAULT_TABLE[service]
    name = body.get("fault")
    if name not in table.faults:
        raise FaultError(
            f"unknown fault {name!r} for service '{service}'; allowed: {_names(table.faults)}",
            allowed_faults=sorted(table.faults),
        )
    kind = table.faults[name]
    allowed_keys = _COMMON_KEYS + kind.options
    unknown = set(body) - set(allowed_keys)
    if unknown:
        raise FaultError(
            f"unknown option(s) {_names(unknown)} for fault '{name}' of '{service}'; "
            f"allowed: {_names(allowed_keys)}",
            allowed_keys=sorted(allowed_keys),
        )
    missing = [option for option in kind.required if body.get(option) is None]
    if missing:
        raise FaultError(f"fault '{name}' of '{service}' needs {_names(missing)}")
    settings: dict[str, Any] = {
        "match": _match(body.get("match"), service, table.match_keys),
        "times": _times(body.get("times", kind.default_times)),
        "seconds": None,
        "status": None,
        "copies": None,
    }
    if "seconds" in kind.options:
        seconds = body.get("seconds", kind.default_seconds)
        settings["seconds"] = _seconds(seconds)
    if "status" in kind.options:
        settings["status"] = _status(body.get("status", kind.default_status))
    if "copies" in kind.options:
        settings["copies"] = _copies(body.get("copies", kind.default_copies))
    return service, name, kind, settings


class FaultRegistry:
    """Registered faults, oldest first; safe to use from several threads and tasks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}

    def add(self, body: Any) -> Fault:
        """Register the fault described by a control-API body; raises FaultError if invalid."""
        service, name, kind, settings = parse_fault(body)
        fault = Fault(
            id="flt_" + secrets.token_hex(8),
            service=service,
            fault=name,
            match=settings["match"],
            times=settings["times"],
            remaining=settings["times"],
            seconds=settings["seconds"],
            status=settings["status"],
            copies=settings["copies"],
            created_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            options=kind.options,
        )
        with self._lock:
            self._faults[fault.id] = fault
            return copy.copy(fault)

    def all(self) -> list[Fault]:
        with self._lock:
            return [copy.copy(fault) for fault in self._faults.values()]

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            return count

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            return self._faults.pop(fault_id, None) is not None

    def take(
        self, service: str, attributes: Mapping[str, str | None], kinds: Iterable[str]
    ) -> Fault | None:
        """The oldest fault of `kinds` whose match fits `attributes`, counted as applied once.

        A fault whose `times` are used up by this application is removed; the copy returned
        still describes it.
        """
        wanted = set(kinds)
        with self._lock:
            for fault in self._faults.values():
                if fault.service != service or fault.fault not in wanted:
                    continue
                if not fault.matches(attributes):
                    continue
                fault.applied += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        del self._faults[fault.id]
                return copy.copy(fault)
        return None
