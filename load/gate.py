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
- API error rate: the share of API requests (names under `/api/`) that failed, judged as the
  rates are from the other side: it passes only when the upper bound of its Wilson interval is
  below `[api] max_error_rate` on at least `error_min_requests` requests.
- API latency: the average over every API request and, per endpoint group, the average, p95
  and p99 from Locust's response-time histograms (merged per group), each against its limit;
  a group with fewer than `[latency] min_requests` requests is reported but not judged (the
  p95 of ten requests is merely the slowest of them). Latency says nothing of requests that
  failed (a 401 answers in a few ms): when more than `[latency] max_failed_share` of them
  failed, or fewer than `min_requests` of a sample that large succeeded, the objective is
  not measured, and that counts against the run as a breach does.
- The requests that failed most (Locust's name and method, how many, the most common error)
  are listed under the checks, and a rate without any journey says which calls failed and
  whether the users could log in: the gate says why, not only that.

The thresholds live in `load/slo.toml`, the one file an operator edits, read by `slo.py`; the
gate's JSON is written whole with `reporting.write_json`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from load.reporting import now_iso
from load.slo import JOURNEY

if TYPE_CHECKING:
    from load.slo import RateSlo, Slo

ERROR_WRAPPER = re.compile(r"^\w+\((['\"])(.*)\1\)$", re.DOTALL)
# how many of the requests that failed most the gate lists
FAILING_LIMIT = 5


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


# --- the verdict -------------------------------------------------------------------------------


@dataclass
class Check:
    """One line of the gate's table."""

    kind: str  # rate, journey (information), errors, api, latency, failing (information)
    name: str
    threshold: str
    measured: str
    passed: bool | None  # None: information, not gated
    samples: int = 0
    interval: str = ""
    note: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    # False: the objective could not be measured (most of its requests failed); it counts
    # against the run as a breach does, but it was not missed by its figure
    judged: bool = True

    @property
    def result(self) -> str:
        if self.passed is False and not self.judged:
            return "NOT MEASURED"
        return {True: "pass", False: "FAIL", None: "info"}[self.passed]


@dataclass
class Verdict:
    passed: bool
    checks: list[Check]

    @property
    def breaches(self) -> list[Check]:
        """Every objective the run did not meet, measured or not."""
        return [check for check in self.checks if check.passed is False]

    @property
    def failing_requests(self) -> list[dict[str, Any]]:
        return [check.values for check in self.checks if check.kind == "failing"]


def _percent(value: float) -> str:
    return f"{value * 100:.1f} %"


def _top_reasons(reasons: Mapping[str, int], limit: int = 3) -> str:
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return "; ".join(f"{count} x {reason}" for reason, count in ordered)


def _call(endpoint: Endpoint) -> str:
    return f"{endpoint.method} {endpoint.name}"


def failing_requests(endpoints: Sequence[Endpoint], limit: int = FAILING_LIMIT) -> list[Endpoint]:
    """The requests (not journeys) that failed most, most failures first."""
    failed = [endpoint for endpoint in endpoints if not endpoint.is_journey and endpoint.failures]
    return sorted(failed, key=lambda item: (-item.failures, item.method, item.name))[:limit]


def _most_common(reasons: Mapping[str, int]) -> tuple[str, int]:
    if not reasons:
        return "", 0
    return min(reasons.items(), key=lambda item: (-item[1], item[0]))


def failing_checks(endpoints: Sequence[Endpoint], limit: int = FAILING_LIMIT) -> list[Check]:
    """One information line per request that failed most: how often, and the most common
    error (Locust's failures table, per request name and method)."""
    checks = []
    for endpoint in failing_requests(endpoints, limit):
        error, count = _most_common(endpoint.reasons)
        others = len(endpoint.reasons) - 1
        note = f"{count} x {error}" if error else "no error text"
        if others > 0:
            note += f" (+{others} other error{'s' if others != 1 else ''})"
        checks.append(Check(
            "failing", f"failing: {_call(endpoint)}", "",
            f"{endpoint.failures}/{endpoint.requests} failed", None, endpoint.requests,
            note=note,
            values={"method": endpoint.method, "name": endpoint.name,
                    "failures": endpoint.failures, "requests": endpoint.requests,
                    "error": error, "error_count": count,
                    "errors": dict(sorted(endpoint.reasons.items(),
                                          key=lambda item: (-item[1], item[0]))[:3])}))
    return checks


def _failed_call(endpoint: Endpoint, *, error: bool = False) -> str:
    """`GET /api/mobile/config/ 120/120 failed`, with its most common error if asked."""
    text, _ = _most_common(endpoint.reasons) if error else ("", 0)
    return (f"{_call(endpoint)} {endpoint.failures}/{endpoint.requests} failed"
            + (f" ({text})" if text else ""))


def why_no_journeys(slo: Slo, endpoints: Sequence[Endpoint]) -> str:
    """Why a run completed no journey: how the logins failed, if they did, and the calls that
    failed most (their errors are in the failing rows of the table)."""
    requests = [endpoint for endpoint in endpoints if not endpoint.is_journey]
    if not any(endpoint.requests for endpoint in requests):
        return "no request was made at all: no user got going (see Locust's log)"
    reasons = []
    login = [endpoint for endpoint in requests
             if endpoint.name == slo.login_name and endpoint.failures]
    if login:
        reasons.append("login: " + "; ".join(_failed_call(endpoint, error=True)
                                             for endpoint in login))
    others = failing_requests([endpoint for endpoint in requests
                               if endpoint.name != slo.login_name], 3)
    if others:
        reasons.append("failing: " + ", ".join(_failed_call(endpoint) for endpoint in others))
    if not reasons:
        reasons.append("no request failed: the run may have ended before any journey did")
    return "; ".join(reasons)


def rate_check(rate: RateSlo, journeys: Sequence[Endpoint], confidence: float,
               why_none: str = "") -> Check:
    """The verdict on one rate from the journeys it counts; `why_none` says why there were
    none, if there were none."""
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
        note = f"none of {', '.join(rate.journeys)} was completed"
        return Check("rate", rate.title, threshold, "no journeys", False, 0,
                     note=f"{note}: {why_none}" if why_none else note, values=values)
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


def error_rate_check(slo: Slo, endpoints: Sequence[Endpoint]) -> Check:
    """The share of API requests that failed. Judged as the rates are, from the other side: it
    passes only when the upper bound of its Wilson interval is below the limit and at least
    `error_min_requests` requests were made (a small lucky sample cannot pass)."""
    api = _api_endpoints(slo, endpoints)
    requests = sum(endpoint.requests for endpoint in api)
    failures = sum(endpoint.failures for endpoint in api)
    limit = slo.api_max_error_rate
    threshold = f"< {_percent(limit)}"
    if requests == 0:
        return Check("errors", "API error rate", threshold, "no API requests", False,
                     note=f"no request under {slo.api_prefix} was made",
                     values={"failures": 0, "requests": 0, "rate": None, "limit": limit})
    lower, upper = wilson_interval(failures, requests, slo.confidence)
    problems = []
    if upper >= limit:
        problems.append(f"upper bound {upper * 100:.1f} % >= {limit * 100:.1f} %")
    if requests < slo.api_error_min_requests:
        problems.append(f"too few requests: {requests} < {slo.api_error_min_requests}")
    passed = not problems
    worst = failing_requests(api, 3)
    if worst:
        problems.append("most: " + ", ".join(f"{endpoint.failures} x {_call(endpoint)}"
                                             for endpoint in worst))
    return Check("errors", "API error rate", threshold,
                 f"{_percent(failures / requests)} ({failures}/{requests})", passed, requests,
                 f"[{lower * 100:.1f}, {upper * 100:.1f}] %", "; ".join(problems),
                 values={"failures": failures, "requests": requests,
                         "rate": failures / requests, "lower": lower, "upper": upper,
                         "limit": limit, "min_requests": slo.api_error_min_requests,
                         "confidence": slo.confidence})


def unmeasured(slo: Slo, requests: int, failures: int) -> str:
    """Why the latency of these requests says nothing ("" when it does): more than
    `max_failed_share` of them failed (a 401 or a 404 answers in a few ms), or a sample large
    enough to be judged has fewer than `min_requests` successes."""
    if not requests or not failures:
        return ""
    successes = requests - failures
    if (failures / requests > slo.latency_max_failed_share
            or (requests >= slo.latency_min_requests
                and successes < slo.latency_min_requests)):
        return f"not judged: {failures} of {requests} requests failed"
    return ""


def api_average_check(slo: Slo, endpoints: Sequence[Endpoint]) -> Check:
    api = _api_endpoints(slo, endpoints)
    requests = sum(endpoint.requests for endpoint in api)
    threshold = f"< {slo.api_average_ms:g} ms"
    if requests == 0:
        return Check("api", "API average response", threshold, "no API requests", False,
                     note=f"no request under {slo.api_prefix} was made")
    average = sum(endpoint.total_ms for endpoint in api) / requests
    failures = sum(endpoint.failures for endpoint in api)
    values = {"average_ms": average, "requests": requests, "failures": failures,
              "limit_ms": slo.api_average_ms}
    why = unmeasured(slo, requests, failures)
    if why:
        return Check("api", "API average response", threshold, f"{average:.0f} ms", False,
                     requests, note=why, values=values, judged=False)
    passed = average < slo.api_average_ms
    note = "" if passed else f"{average:.0f} ms >= {slo.api_average_ms:g} ms"
    note = f"{note}; {failures} failed request(s)" if failures and note else (
        f"{failures} failed request(s)" if failures else note)
    return Check("api", "API average response", threshold, f"{average:.0f} ms", passed, requests,
                 note=note, values=values)


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
        why = unmeasured(slo, requests, failures)
        for statistic, limit in limits.items():
            value = measured[statistic]
            if value is None:
                continue
            passed = None if limit is None else value < limit
            judged = True
            note = "" if passed is not False else f"{value:.0f} ms >= {limit:g} ms"
            if why:
                # mostly failures, whose times say nothing of the service: not a pass
                note = why
                if limit is not None:
                    passed, judged = False, False
            elif limit is not None and requests < slo.latency_min_requests:
                # the p95 of ten requests is their slowest one: reported, not judged
                passed = None
                note = f"not judged: {requests} < {slo.latency_min_requests} requests"
            if statistic == "average" and failures and not why:
                note = f"{note}; {failures} failed" if note else f"{failures} failed"
            checks.append(Check(
                "latency", f"{statistic} {group.key}",
                f"< {limit:g} ms" if limit is not None else "", f"{value:.0f} ms", passed,
                requests, note=note, judged=judged,
                values={"group": group.key, "statistic": statistic, "ms": value,
                        "limit_ms": limit, "requests": requests, "failures": failures,
                        "endpoints": sorted(f"{e.method} {e.name}" for e in members)},
            ))
    return checks


def evaluate(slo: Slo, endpoints: Sequence[Endpoint], *,
             failing_limit: int = FAILING_LIMIT) -> Verdict:
    """Every check of the gate over one run's statistics; it passes when none is breached.
    The requests that failed most follow the objectives, as information."""
    journeys = [endpoint for endpoint in endpoints if endpoint.is_journey]
    why_none = why_no_journeys(slo, endpoints)
    checks = [rate_check(rate, journeys, slo.confidence, why_none) for rate in slo.rates]
    checks += journey_checks(journeys, slo.confidence)
    checks.append(error_rate_check(slo, endpoints))
    checks.append(api_average_check(slo, endpoints))
    checks += latency_checks(slo, endpoints)
    checks += failing_checks(endpoints, failing_limit)
    return Verdict(passed=all(check.passed is not False for check in checks), checks=checks)


# --- output ------------------------------------------------------------------------------------


def render(verdict: Verdict, *, title: str = "SLO gate") -> str:
    """The gate as a fixed-width table, the verdict first, each breach named at the end."""
    headers = ["check", "threshold", "measured", "95% Wilson", "n", "result", "why"]
    rows = [[check.name, check.threshold, check.measured, check.interval, f"{check.samples:,}",
             check.result, check.note] for check in verdict.checks]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers) - 1)]

    def line(row: list[str]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        return "  ".join([*cells, row[-1]]).rstrip()

    breaches = verdict.breaches
    missed = [check for check in breaches if check.judged]
    unmeasured_ = [check for check in breaches if not check.judged]
    if verdict.passed:
        head = f"{title}: PASS"
    else:
        counts = [f"{len(missed)} breach{'es' if len(missed) != 1 else ''}"] if missed else []
        if unmeasured_:
            counts.append(f"{len(unmeasured_)} not measured")
        head = f"{title}: FAIL ({', '.join(counts) or 'no verdict'})"
    lines = [head, line(headers), line(["-" * width for width in widths] + ["---"])]
    lines += [line(row) for row in rows]
    lines += [f"BREACH: {check.name} {check.measured} (threshold {check.threshold}): {check.note}"
              for check in missed]
    lines += [f"NOT MEASURED: {check.name} (threshold {check.threshold}): {check.note}"
              for check in unmeasured_]
    return "\n".join(lines)


def report(verdict: Verdict, slo: Slo, *, settings: Mapping[str, Any] | None = None) -> dict:
    return {
        "generated_at": now_iso(),
        "passed": verdict.passed,
        "breaches": [check.name for check in verdict.breaches],
        "not_measured": [check.name for check in verdict.breaches if not check.judged],
        "failing_requests": verdict.failing_requests,
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
