"""What a load run must meet: the objectives of `load/slo.toml`, read and checked.

The thresholds live in `slo.toml`, the one file an operator edits; `slo_load` reads it into an
`Slo` (an `SloError` names the key that is wrong and how to put it right), and the gate
(`gate.py`) holds a run's statistics to it. Imports no Locust.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from load.gate import Endpoint

# The request type a journey (an upload, a payment...) is reported under in Locust's
# statistics; the rates count these, the API objectives leave them out.
JOURNEY = "JOURNEY"
DEFAULT_SLO_FILE = Path(__file__).resolve().parent / "slo.toml"
# What the gate holds a run to when slo.toml does not say (slo.toml explains each).
DEFAULT_MAX_ERROR_RATE = 0.01
DEFAULT_ERROR_MIN_REQUESTS = 400
DEFAULT_MAX_FAILED_SHARE = 0.5
DEFAULT_LOGIN_NAME = "/api/accounts/auth/login/"


class SloError(ValueError):
    """The SLO file is not what the gate can read; the message names the key and the fix."""


@dataclass(frozen=True)
class RateSlo:
    key: str
    title: str
    journeys: tuple[str, ...]
    threshold: float
    min_journeys: int


@dataclass(frozen=True)
class GroupSlo:
    key: str
    prefixes: tuple[str, ...]
    request_types: tuple[str, ...] = ()
    average_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None

    def matches(self, endpoint: Endpoint) -> bool:
        if self.request_types and endpoint.method not in self.request_types:
            return False
        return endpoint.name.startswith(self.prefixes)


@dataclass(frozen=True)
class Slo:
    confidence: float
    api_prefix: str
    api_average_ms: float
    api_excluded_types: tuple[str, ...]
    rates: tuple[RateSlo, ...]
    groups: tuple[GroupSlo, ...]
    latency_min_requests: int = 1
    # latency is not judged when more than this share of its requests failed
    latency_max_failed_share: float = DEFAULT_MAX_FAILED_SHARE
    api_max_error_rate: float = DEFAULT_MAX_ERROR_RATE
    api_error_min_requests: int = DEFAULT_ERROR_MIN_REQUESTS
    # the login call (Locust's name), named when a run made no journey
    login_name: str = DEFAULT_LOGIN_NAME


def _number(table: Mapping[str, Any], key: str, where: str, *, required: bool = True,
            low: float = 0.0, high: float = math.inf) -> float | None:
    value = table.get(key)
    if value is None:
        if required:
            raise SloError(f"{where}: `{key}` is missing; add it (a number)")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SloError(f"{where}: `{key}` must be a number, got {value!r}")
    if not low <= value <= high:
        raise SloError(f"{where}: `{key}` must be from {low:g} to {high:g}, got {value!r}")
    return float(value)


def _strings(table: Mapping[str, Any], key: str, where: str, *, required: bool) -> tuple[str, ...]:
    value = table.get(key, [] if not required else None)
    if value is None or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SloError(f"{where}: `{key}` must be a list of strings, got {value!r}")
    if required and not value:
        raise SloError(f"{where}: `{key}` must name at least one")
    return tuple(value)


def slo_parse(data: Mapping[str, Any], source: str = "slo") -> Slo:
    """The SLO from the parsed TOML; an SloError names what is wrong and where."""
    api = data.get("api", {})
    rates = []
    for key, table in data.get("rates", {}).items():
        where = f"{source} [rates.{key}]"
        threshold = _number(table, "threshold", where, low=0.0, high=1.0)
        min_journeys = _number(table, "min_journeys", where, low=1)
        rates.append(RateSlo(
            key=key,
            title=str(table.get("title", key)),
            journeys=_strings(table, "journeys", where, required=True),
            threshold=threshold or 0.0,
            min_journeys=int(min_journeys or 1),
        ))
    groups = []
    for key, table in data.get("groups", {}).items():
        where = f"{source} [groups.{key}]"
        groups.append(GroupSlo(
            key=key,
            prefixes=_strings(table, "prefixes", where, required=True),
            request_types=_strings(table, "request_types", where, required=False),
            average_ms=_number(table, "average_ms", where, required=False),
            p95_ms=_number(table, "p95_ms", where, required=False),
            p99_ms=_number(table, "p99_ms", where, required=False),
        ))
    if not rates:
        raise SloError(f"{source}: no [rates.*] table; the gate needs at least one journey rate")
    latency = data.get("latency", {})
    max_error_rate = _number(api, "max_error_rate", f"{source} [api]", required=False,
                             low=0.0, high=1.0)
    error_min_requests = _number(api, "error_min_requests", f"{source} [api]", required=False,
                                 low=1)
    max_failed_share = _number(latency, "max_failed_share", f"{source} [latency]",
                               required=False, low=0.0, high=1.0)
    return Slo(
        confidence=_number(data, "confidence", source, required=False, low=0.5,
                           high=0.9999) or 0.95,
        api_prefix=str(api.get("prefix", "/api/")),
        api_average_ms=_number(api, "average_ms", f"{source} [api]") or 0.0,
        api_excluded_types=_strings(api, "excluded_types", f"{source} [api]", required=False)
        or (JOURNEY, "WS"),
        rates=tuple(rates),
        groups=tuple(groups),
        latency_min_requests=int(_number(latency, "min_requests", f"{source} [latency]",
                                         required=False, low=1) or 1),
        latency_max_failed_share=DEFAULT_MAX_FAILED_SHARE if max_failed_share is None
        else max_failed_share,
        api_max_error_rate=DEFAULT_MAX_ERROR_RATE if max_error_rate is None else max_error_rate,
        api_error_min_requests=int(error_min_requests or DEFAULT_ERROR_MIN_REQUESTS),
        login_name=str(api.get("login", DEFAULT_LOGIN_NAME)),
    )


def slo_load(path: Path = DEFAULT_SLO_FILE) -> Slo:
    try:
        data = tomllib.loads(Path(path).read_text())
    except OSError as error:
        raise SloError(f"cannot read the SLO file {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise SloError(f"the SLO file {path} is not valid TOML: {error}") from error
    return slo_parse(data, source=str(path))
