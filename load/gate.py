"""The SLO gate of a load run: journey success rates with Wilson intervals, API latency.

Pure functions over plain data, so that they are unit-tested without Locust
(`tests/test_gate.py`); `locustfile.py` turns Locust's statistics into `Endpoint`s and calls
`evaluate` when Locust quits (on the master in distributed runs, whose statistics hold every
worker's requests and journeys).

- A journey (an upload, a payment...) is reported into Locust's statistics as a request of
  type `JOURNEY` named after it: a success, or a failure with its reason. A rate (upload
  success, payment success) counts the journeys it names; it passes only when the lower bound
  of its Wilson interval (95 % by default) is above the threshold and at least `min_journeys`
  journeys were made: a small lucky sample cannot pass and a single blip cannot fail a large one.
- API latency: the average over every API request (names under `/api/`) and, per endpoint
  group, the average, p95 and p99 from Locust's response-time histograms (merged per group),
  each against its limit; a group with fewer than `[latency] min_requests` requests is
  reported but not judged (the p95 of ten requests is merely the slowest of them).

The thresholds live in `load/slo.toml`, the one file an operator edits.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import NormalDist
from typing import Any

JOURNEY = "JOURNEY"
ERROR_WRAPPER = re.compile(r"^\w+\((['\"])(.*)\1\)$", re.DOTALL)
DEFAULT_SLO_FILE = Path(__file__).resolve().parent / "slo.toml"


class SloError(ValueError):
    """The SLO file is not what the gate can read; the message names the key and the fix."""


# --- statistics --------------------------------------------------------------------------------


def z_score(confidence: float) -> float:
    """The two-sided normal quantile of `confidence` (0.95 -> 1.959964)."""
    if not 0 < confidence < 1:
        raise ValueError(f"a confidence is between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf((1 + confidence) / 2)


def wilson_interval(successes: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion: (lower, upper); (0, 1) when nothing was seen."""
    if not 0 <= successes <= total:
        raise ValueError(f"successes must be between 0 and total, got {successes} of {total}")
    if total == 0:
        return 0.0, 1.0
    z = z_score(confidence)
    share = successes / total
    denominator = 1 + z * z / total
    centre = (share + z * z / (2 * total)) / denominator
    half = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile of a histogram {value: count} (share 0.95 -> p95)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def histogram_merge(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for value, count in histogram.items():
            merged[value] = merged.get(value, 0) + count
    return merged


# --- what a run measured -----------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One row of Locust's statistics: a request type and name, counts, and the histogram of
    response times in ms (Locust rounds them: exact below 100 ms, to 10 ms below 1 s, then to
    100 ms)."""

    method: str
    name: str
    requests: int
    failures: int
    total_ms: float
    histogram: Mapping[int, int] = field(default_factory=dict)
    reasons: Mapping[str, int] = field(default_factory=dict)

    @property
    def is_journey(self) -> bool:
        return self.method == JOURNEY


def error_reason(error: str) -> str:
    """A failure as Locust's error table keeps it, without the exception's wrapper:
    `CatchResponseError('expected 201, got 502')` -> `expected 201, got 502`."""
    match = ERROR_WRAPPER.match(error.strip())
    return match.group(2) if match else error


# --- what the run must meet --------------------------------------------------------------------


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
    return Slo(
        confidence=_number(data, "confidence", source, required=False, low=0.5,
                           high=0.9999) or 0.95,
        api_prefix=str(api.get("prefix", "/api/")),
        api_average_ms=_number(api, "average_ms", f"{source} [api]") or 0.0,
        api_excluded_types=_strings(api, "excluded_types", f"{source} [api]", required=False)
        or (JOURNEY, "WS"),
        rates=tuple(rates),
        groups=tuple(groups),
        latency_min_requests=int(_number(data.get("latency", {}), "min_requests",
                                         f"{source} [latency]", required=False, low=1) or 1),
    )


def slo_load(path: Path = DEFAULT_SLO_FILE) -> Slo:
    try:
        data = tomllib.loads(Path(path).read_text())
    except OSError as error:
        raise SloError(f"cannot read the SLO file {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise SloError(f"the SLO file {path} is not valid TOML: {error}") from error
    return slo_parse(data, source=str(path))


# --- the verdict -------------------------------------------------------------------------------


@dataclass
class Check:
    """One line of the gate's table."""

    kind: str  # rate, journey (information), api, latency
    name: str
    threshold: str
    measured: str
    passed: bool | None  # None: information, not gated
    samples: int = 0
    interval: str = ""
    note: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def result(self) -> str:
        return {True: "pass", False: "FAIL", None: "info"}[self.passed]


@dataclass
class Verdict:
    passed: bool
    checks: list[Check]

    @property
    def breaches(self) -> list[Check]:
        return [check for check in self.checks if check.passed is False]


def _percent(value: float) -> str:
    return f"{value * 100:.1f} %"


def _top_reasons(reasons: Mapping[str, int], limit: int = 3) -> str:
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return "; ".join(f"{count} x {reason}" for reason, count in ordered)


def rate_check(rate: RateSlo, journeys: Sequence[Endpoint], confidence: float) -> Check:
    """The verdict on one rate from the journeys it counts."""
    mine = [journey for journey in journeys if journey.name in rate.journeys]
    total = sum(journey.requests for journey in mine)
    failures = sum(journey.failures for journey in mine)
    successes = total - failures
    lower, upper = wilson_interval(successes, total, confidence)
    threshold = f"> {_percent(rate.threshold)}"
    values = {"journeys": list(rate.journeys), "successes": successes, "total": total,
              "rate": successes / total if total else None, "lower": lower, "upper": upper,
              "threshold": rate.threshold, "min_journeys": rate.min_journeys,
              "confidence": confidence}
    if total == 0:
        return Check("rate", rate.title, threshold, "no journeys", False, 0,
                     note=f"none of {', '.join(rate.journeys)} was completed", values=values)
    measured = f"{_percent(successes / total)} ({successes}/{total})"
    interval = f"[{lower * 100:.1f}, {upper * 100:.1f}] %"
    reasons = _top_reasons(histogram_merge(journey.reasons for journey in mine))
    problems = []
    if lower <= rate.threshold:
        problems.append(f"lower bound {lower * 100:.1f} % <= {rate.threshold * 100:.1f} %")
    if total < rate.min_journeys:
        problems.append(f"too few journeys: {total} < {rate.min_journeys}")
    passed = not problems
    if reasons:
        problems.append(f"failures: {reasons}")
    note = "; ".join(problems)
    return Check("rate", rate.title, threshold, measured, passed, total, interval, note, values)


def journey_checks(journeys: Sequence[Endpoint], confidence: float) -> list[Check]:
    """One information line per journey kind: its own rate and main failure reasons."""
    checks = []
    for journey in sorted(journeys, key=lambda item: item.name):
        successes = journey.requests - journey.failures
        lower, upper = wilson_interval(successes, journey.requests, confidence)
        measured = (f"{_percent(successes / journey.requests)} ({successes}/{journey.requests})"
                    if journey.requests else "none")
        checks.append(Check(
            "journey", f"journey: {journey.name}", "", measured, None, journey.requests,
            f"[{lower * 100:.1f}, {upper * 100:.1f}] %" if journey.requests else "",
            _top_reasons(journey.reasons),
            {"successes": successes, "total": journey.requests,
             "average_ms": journey.total_ms / journey.requests if journey.requests else None},
        ))
    return checks


def _api_endpoints(slo: Slo, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    return [endpoint for endpoint in endpoints
            if endpoint.method not in slo.api_excluded_types
            and endpoint.name.startswith(slo.api_prefix)]


def api_average_check(slo: Slo, endpoints: Sequence[Endpoint]) -> Check:
    api = _api_endpoints(slo, endpoints)
    requests = sum(endpoint.requests for endpoint in api)
    threshold = f"< {slo.api_average_ms:g} ms"
    if requests == 0:
        return Check("api", "API average response", threshold, "no API requests", False,
                     note=f"no request under {slo.api_prefix} was made")
    average = sum(endpoint.total_ms for endpoint in api) / requests
    failures = sum(endpoint.failures for endpoint in api)
    passed = average < slo.api_average_ms
    note = "" if passed else f"{average:.0f} ms >= {slo.api_average_ms:g} ms"
    note = f"{note}; {failures} failed request(s)" if failures and note else (
        f"{failures} failed request(s)" if failures else note)
    return Check("api", "API average response", threshold, f"{average:.0f} ms", passed, requests,
                 note=note, values={"average_ms": average, "requests": requests,
                                    "failures": failures, "limit_ms": slo.api_average_ms})


def group_of(slo: Slo, endpoint: Endpoint) -> str | None:
    return next((group.key for group in slo.groups if group.matches(endpoint)), None)


def latency_checks(slo: Slo, endpoints: Sequence[Endpoint]) -> list[Check]:
    """Average, p95 and p99 of each endpoint group that saw requests, against its limits."""
    checks = []
    for group in slo.groups:
        members = [endpoint for endpoint in endpoints if not endpoint.is_journey
                   and group_of(slo, endpoint) == group.key]
        requests = sum(endpoint.requests for endpoint in members)
        if requests == 0:
            continue
        histogram = histogram_merge(endpoint.histogram for endpoint in members)
        measured = {
            "average": sum(endpoint.total_ms for endpoint in members) / requests,
            "p95": percentile(histogram, 0.95),
            "p99": percentile(histogram, 0.99),
        }
        limits = {"average": group.average_ms, "p95": group.p95_ms, "p99": group.p99_ms}
        failures = sum(endpoint.failures for endpoint in members)
        for statistic, limit in limits.items():
            value = measured[statistic]
            if value is None:
                continue
            passed = None if limit is None else value < limit
            note = "" if passed is not False else f"{value:.0f} ms >= {limit:g} ms"
            if limit is not None and requests < slo.latency_min_requests:
                # the p95 of ten requests is their slowest one: reported, not judged
                passed = None
                note = f"not judged: {requests} < {slo.latency_min_requests} requests"
            if statistic == "average" and failures:
                note = f"{note}; {failures} failed" if note else f"{failures} failed"
            checks.append(Check(
                "latency", f"{statistic} {group.key}",
                f"< {limit:g} ms" if limit is not None else "", f"{value:.0f} ms", passed,
                requests, note=note,
                values={"group": group.key, "statistic": statistic, "ms": value,
                        "limit_ms": limit, "requests": requests, "failures": failures,
                        "endpoints": sorted(f"{e.method} {e.name}" for e in members)},
            ))
    return checks


def evaluate(slo: Slo, endpoints: Sequence[Endpoint]) -> Verdict:
    """Every check of the gate over one run's statistics; it passes when none is breached."""
    journeys = [endpoint for endpoint in endpoints if endpoint.is_journey]
    checks = [rate_check(rate, journeys, slo.confidence) for rate in slo.rates]
    checks += journey_checks(journeys, slo.confidence)
    checks.append(api_average_check(slo, endpoints))
    checks += latency_checks(slo, endpoints)
    return Verdict(passed=all(check.passed is not False for check in checks), checks=checks)


# --- output ------------------------------------------------------------------------------------


def render(verdict: Verdict, *, title: str = "SLO gate") -> str:
    """The gate as a fixed-width table, the verdict first and each breach named at the end."""
    headers = ["check", "threshold", "measured", "95% Wilson", "n", "result", "why"]
    rows = [[check.name, check.threshold, check.measured, check.interval, f"{check.samples:,}",
             check.result, check.note] for check in verdict.checks]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers) - 1)]

    def line(row: list[str]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        return "  ".join([*cells, row[-1]]).rstrip()

    breaches = verdict.breaches
    head = (f"{title}: PASS" if verdict.passed
            else f"{title}: FAIL ({len(breaches)} breach{'es' if len(breaches) != 1 else ''})")
    lines = [head, line(headers), line(["-" * width for width in widths] + ["---"])]
    lines += [line(row) for row in rows]
    lines += [f"BREACH: {check.name} {check.measured} (threshold {check.threshold}): {check.note}"
              for check in breaches]
    return "\n".join(lines)


def report(verdict: Verdict, slo: Slo, *, settings: Mapping[str, Any] | None = None) -> dict:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "passed": verdict.passed,
        "breaches": [check.name for check in verdict.breaches],
        "confidence": slo.confidence,
        "checks": [asdict(check) | {"result": check.result} for check in verdict.checks],
        "settings": dict(settings or {}),
    }


def verdict_of_report(data: Mapping[str, Any]) -> Verdict:
    """The verdict a `report` holds, to render it again (the runner prints it last)."""
    names = {field_.name for field_ in Check.__dataclass_fields__.values()}
    checks = [Check(**{key: value for key, value in check.items() if key in names})
              for check in data["checks"]]
    return Verdict(passed=bool(data["passed"]), checks=checks)


def write_report(path: Path, data: Mapping[str, Any]) -> None:
    """Write the gate's JSON so that a reader sees either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    temp.replace(path)
