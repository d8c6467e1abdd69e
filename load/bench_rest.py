"""REST benchmark of the reference stack (`make bench-rest`): how many plain reads a second each
profile serves, how fast, and how many PostgreSQL connections it holds meanwhile.

For each profile asked for (default: embedded, then scaled) it boots the stack (the launcher,
through `load/target.py`: free ports, the launcher watching this process, always stopped
afterwards), registers one customer the way the app does (`load/accounts.py`), and runs wrk
against two reads, each at every connection count asked for (default 16 and 256):

- `GET /api/services/categories/`, anonymous;
- `GET /api/accounts/me/`, with the customer's JWT (`Authorization: Bearer`).

From wrk's output (`--latency`) it takes requests per second, p50 and p99, the responses that
were not 2xx or 3xx, and the socket errors (connect, read, write, timeout). While each wrk run
lasts, a thread counts the run database's client connections in PostgreSQL's
`pg_stat_activity` every 100 ms and keeps the peak (scaled only: embedded is SQLite). It prints
a table and the scaled profile's targets as pass/MISS lines, and writes
`reports/out/bench/rest.json`. The targets are figures to read, not a test: the exit code is 1
only when a profile could not be measured, 2 when wrk is missing.

wrk and the stack share this machine's cores: the figures compare profiles and changes on one
machine, they are not a production capacity. Imports no Locust, nothing of the project outside
load/, and reaches the stack over HTTP only, so it measures whatever topology the launcher
boots.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import sys
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx

from load.accounts import AccountsError, bearer, customer_register, expect
from load.benchkit import BenchError, each_profile, say
from load.cli import exit_on_sigterm, positive
from load.pgstat import (
    SAMPLE_INTERVAL_SECONDS,
    ConnectionSampler,
    StackFigures,
    pg_server_url,
)
from load.reporting import machine, now_iso, table, write_json
from load.target import PROFILES, REPO_ROOT, BootedStack, Target, TargetError
from load.wrk import wrk_duration, wrk_run

DEFAULT_OUT = REPO_ROOT / "reports" / "out" / "bench" / "rest.json"
API_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Neither read is throttled by the reference; the per-address limit is the one a read could
# meet, and at a few thousand requests a second it would be what is measured: raised for the
# benchmark's stack (a rate you export wins).
UNTHROTTLED = "100000000/min"

# The scaled profile's targets: it stands in for a production backend
SCALED_MIN_REQUESTS_PER_S = 1200
SCALED_MAX_P99_MS = 50.0
MIN_SCALED_OVER_EMBEDDED = 4.0
TARGET_CONNECTIONS = 16
BURST_CONNECTIONS = 256


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    authenticated: bool


ENDPOINTS = (
    Endpoint("categories", "/api/services/categories/", authenticated=False),
    Endpoint("me", "/api/accounts/me/", authenticated=True),
)

# --- one profile -------------------------------------------------------------------------------


@dataclass
class Run:
    profile: str
    endpoint: str
    path: str
    connections: int
    requests_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: dict[str, int]
    errors: int  # socket errors and non-2xx/3xx responses together
    # an int measured; "n/a" without PostgreSQL (embedded); None when it could not be sampled
    pg_peak_connections: int | str | None
    pg_note: str = ""
    load_before: float | None = None  # the 1-minute load average: client and stack share CPUs


@dataclass
class ProfileResult(StackFigures):
    runs: list[Run] = field(default_factory=list)


def customer_access(target: Target) -> str:
    """The access token of a customer registered as the app registers one."""
    with (
        httpx.Client(base_url=target.base_url, timeout=API_TIMEOUT, trust_env=False) as api,
        httpx.Client(base_url=target.sandbox_url, timeout=API_TIMEOUT, trust_env=False) as sandbox,
    ):
        _, access = customer_register(
            api, sandbox, email=f"bench.rest.{secrets.token_hex(4)}@laundryconnect.test",
            full_name="Bench Customer", label="Bench")
        # wrk counts a refusal as a figure like any other: a read that does not answer 200 now
        # is said before it is measured
        for endpoint in ENDPOINTS:
            expect(api.get(endpoint.path, headers=bearer(access) if endpoint.authenticated
                           else {}), HTTPStatus.OK, f"reading {endpoint.path}")
    return access


def run_measure(result: ProfileResult, endpoint: Endpoint, url: str, headers: dict[str, str],
                connections: int, options: argparse.Namespace) -> Run:
    """One wrk run, with PostgreSQL's connections sampled meanwhile when the stack has a
    database."""
    load_before = round(os.getloadavg()[0], 2)
    sampler = (ConnectionSampler(pg_server_url(os.environ), result.database)
               if result.database else None)
    with sampler or contextlib.nullcontext():
        figures = wrk_run(url, headers, connections=connections, threads=options.threads,
                          duration=options.duration)
    return Run(
        profile=result.profile, endpoint=endpoint.name, path=endpoint.path,
        connections=connections, requests_per_s=figures.requests_per_s, p50_ms=figures.p50_ms,
        p99_ms=figures.p99_ms, requests=figures.requests, seconds=figures.seconds,
        non_2xx=figures.non_2xx, socket_errors=figures.socket_errors,
        errors=figures.errors + figures.non_2xx,
        pg_peak_connections=sampler.peak if sampler else "n/a",
        pg_note=sampler.error if sampler else "", load_before=load_before)


def profile_bench(profile: str, options: argparse.Namespace) -> ProfileResult:
    result = ProfileResult(profile)
    say(f"booting the {profile} stack")
    stack = BootedStack(profile, options.log_dir / profile,
                        env_defaults={"LC_THROTTLE_IP": UNTHROTTLED})
    with stack as target:
        result.read_state(stack.state, os.environ)
        say(f"{profile} stack up in {result.boot_seconds} s ({result.workers} worker(s)); "
            "registering the customer")
        headers = bearer(customer_access(target))
        for endpoint in ENDPOINTS:
            url = f"{target.base_url}{endpoint.path}"
            own = headers if endpoint.authenticated else {}
            if options.warmup:
                say(f"warming {endpoint.path} up for {options.warmup} s")
                wrk_run(url, own, connections=min(options.connections),
                        threads=options.threads, duration=f"{options.warmup}s")
            for connections in options.connections:
                say(f"wrk: {endpoint.path}, {connections} connections, {options.duration}")
                run = run_measure(result, endpoint, url, own, connections, options)
                result.runs.append(run)
                say(f"    {run.requests_per_s:,.0f} req/s, p99 {_ms(run.p99_ms)} ms, "
                    f"{run.errors} error(s), PostgreSQL peak {_peak(run)}")
    say(f"{profile} stack stopped")
    return result


# --- the targets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    status: str  # "pass", "MISS", "unknown" (the bound), "not measured"
    target: str
    measured: str

    def line(self) -> str:
        return f"{self.status:<12}  {self.target}: {self.measured}"


def run_of(result: ProfileResult | None, endpoint: str, connections: int) -> Run | None:
    if result is None:
        return None
    return next((run for run in result.runs
                 if run.endpoint == endpoint and run.connections == connections), None)


def scaled_verdicts(scaled: ProfileResult | None, embedded: ProfileResult | None,
                    endpoint: str) -> list[Verdict]:
    """The targets of one read: its rate and p99 at 16 connections, its ratio to embedded, and
    no error at 256."""
    at_16 = f"at {TARGET_CONNECTIONS} connections"
    throughput = (f"scaled {endpoint} >= {SCALED_MIN_REQUESTS_PER_S:,} req/s with p99 < "
                  f"{SCALED_MAX_P99_MS:g} ms {at_16}")
    ratio = f"scaled {endpoint} >= {MIN_SCALED_OVER_EMBEDDED:g} x embedded {at_16}"
    burst = f"scaled {endpoint} at {BURST_CONNECTIONS} connections without errors"
    verdicts = []
    run = run_of(scaled, endpoint, TARGET_CONNECTIONS)
    if run is None:
        verdicts.append(Verdict("not measured", throughput, f"no scaled run {at_16}"))
    else:
        met = (run.requests_per_s >= SCALED_MIN_REQUESTS_PER_S and run.p99_ms is not None
               and run.p99_ms < SCALED_MAX_P99_MS)
        verdicts.append(Verdict("pass" if met else "MISS", throughput,
                                f"{run.requests_per_s:,.0f} req/s, p99 {_ms(run.p99_ms)} ms"))
    base = run_of(embedded, endpoint, TARGET_CONNECTIONS)
    if run is None or base is None or not base.requests_per_s:
        verdicts.append(Verdict("not measured", ratio,
                                f"needs both profiles measured {at_16} in the same run"))
    else:
        times = run.requests_per_s / base.requests_per_s
        verdicts.append(Verdict("pass" if times >= MIN_SCALED_OVER_EMBEDDED else "MISS", ratio,
                                f"{times:.1f} x ({run.requests_per_s:,.0f} vs "
                                f"{base.requests_per_s:,.0f} req/s)"))
    wide = run_of(scaled, endpoint, BURST_CONNECTIONS)
    if wide is None:
        verdicts.append(Verdict("not measured", burst,
                                f"no scaled run at {BURST_CONNECTIONS} connections"))
    else:
        verdicts.append(Verdict("pass" if wide.errors == 0 else "MISS", burst,
                                f"{wide.non_2xx} non-2xx/3xx, {wide.errors - wide.non_2xx} "
                                f"socket errors of {wide.requests:,} requests"))
    return verdicts


def bound_verdict(scaled: ProfileResult | None) -> Verdict:
    target = "scaled PostgreSQL connections never above the configured bound"
    peaks = [run.pg_peak_connections for run in scaled.runs
             if isinstance(run.pg_peak_connections, int)] if scaled else []
    if not peaks:
        notes = sorted({run.pg_note for run in scaled.runs if run.pg_note}) if scaled else []
        return Verdict("not measured", target,
                       "; ".join(notes) or "no scaled run sampled pg_stat_activity")
    peak = max(peaks)
    if scaled.db_connection_bound is None:
        return Verdict("unknown", target,
                       f"peak {peak}; the bound is unknown: {scaled.db_connection_bound_from}")
    bound = scaled.db_connection_bound
    return Verdict("pass" if peak <= bound else "MISS", target,
                   f"peak {peak}, bound {bound} (from {scaled.db_connection_bound_from})")


def targets(results: list[ProfileResult]) -> list[Verdict]:
    """The scaled profile's targets over this run's figures; a profile that failed counts as
    absent."""
    measured = {result.profile: result for result in results if not result.error}
    scaled, embedded = measured.get("scaled"), measured.get("embedded")
    verdicts = [verdict for endpoint in ENDPOINTS
                for verdict in scaled_verdicts(scaled, embedded, endpoint.name)]
    return [*verdicts, bound_verdict(scaled)]


def ratios(results: list[ProfileResult]) -> list[dict[str, Any]]:
    """Scaled's requests per second over embedded's, per read and connection count."""
    measured = {result.profile: result for result in results if not result.error}
    scaled, embedded = measured.get("scaled"), measured.get("embedded")
    rows = []
    for run in scaled.runs if scaled else []:
        base = run_of(embedded, run.endpoint, run.connections)
        if base is not None and base.requests_per_s:
            rows.append({"endpoint": run.endpoint, "connections": run.connections,
                         "scaled_req_s": run.requests_per_s,
                         "embedded_req_s": base.requests_per_s,
                         "ratio": round(run.requests_per_s / base.requests_per_s, 2)})
    return rows


# --- report ------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _peak(run: Run) -> str:
    return "-" if run.pg_peak_connections is None else str(run.pg_peak_connections)


def report_text(results: list[ProfileResult], verdicts: list[Verdict],
                options: argparse.Namespace) -> str:
    rows = [[run.profile, f"GET {run.path}", str(run.connections), f"{run.requests_per_s:,.0f}",
             _ms(run.p50_ms), _ms(run.p99_ms), f"{run.requests:,}", str(run.non_2xx),
             str(run.errors - run.non_2xx), _peak(run)]
            for result in results for run in result.runs]
    lines = [f"REST reads under wrk ({options.threads} threads, {options.duration} each; wrk and "
             "the stack share this machine's cores)",
             table(["profile", "read", "conns", "req/s", "p50 ms", "p99 ms", "requests",
                    "non-2xx", "socket errors", "PG peak"], rows), ""]
    lines += [f"scaled / embedded, {row['endpoint']} at {row['connections']} connections: "
              f"{row['ratio']:.2f} x" for row in ratios(results)]
    for result in results:
        if result.error:
            lines.append(f"{result.profile}: FAILED: {result.error.splitlines()[0]}")
            continue
        database = ""
        if result.database:
            bound = result.db_connection_bound
            database = (f"; PostgreSQL database {result.database}, connection bound "
                        f"{'unknown' if bound is None else bound}")
        lines.append(f"{result.profile}: boot {result.boot_seconds} s, {result.workers} "
                     f"worker(s){database}")
    lines += ["", "Targets of the scaled profile:", *(verdict.line() for verdict in verdicts)]
    return "\n".join(lines)


def report_json(results: list[ProfileResult], verdicts: list[Verdict],
                options: argparse.Namespace) -> dict[str, Any]:
    return {
        "generated_at": now_iso(),
        "machine": machine() | {"load_average": list(os.getloadavg())},
        "settings": {"duration": options.duration, "threads": options.threads,
                     "connections": options.connections, "warmup_seconds": options.warmup,
                     "endpoints": [asdict(endpoint) for endpoint in ENDPOINTS],
                     "throttle_ip": os.environ.get("LC_THROTTLE_IP", UNTHROTTLED),
                     "pg_sample_interval_seconds": SAMPLE_INTERVAL_SECONDS},
        "profiles": [asdict(result) for result in results],
        "scaled_over_embedded": ratios(results),
        "targets": [asdict(verdict) for verdict in verdicts],
    }


# --- command line ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m load.bench_rest",
        description="Boot the reference stack and run wrk against an anonymous and an "
        "authenticated read, per profile: requests per second, p50/p99, errors, and "
        "PostgreSQL's peak connections.")
    parser.add_argument(
        "--profile", "--profiles", dest="profiles", nargs="+", action="extend",
        choices=PROFILES, metavar="PROFILE",
        help="one or more of embedded, scaled, measured one after the other (default both)")
    parser.add_argument("--connections", nargs="+", type=positive,
                        default=[TARGET_CONNECTIONS, BURST_CONNECTIONS], metavar="N",
                        help="wrk's connection counts, each a run of its own (default 16 256)")
    parser.add_argument("--duration", type=wrk_duration, default="12s",
                        help="length of each wrk run, as wrk takes it (default 12s)")
    parser.add_argument("--threads", type=positive, default=2,
                        help="wrk's threads (default 2)")
    parser.add_argument("--warmup", type=int, default=2, metavar="SECONDS",
                        help="an unmeasured wrk run per read first, at the fewest connections "
                        "(default 2; 0 for none)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where the JSON goes (default reports/out/bench/rest.json)")
    parser.add_argument("--log-dir", type=Path,
                        help="where the stacks' logs go (default: stack/rest/ beside --out)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    options.profiles = list(dict.fromkeys(options.profiles or PROFILES))
    options.connections = list(dict.fromkeys(options.connections))
    if options.warmup < 0:
        parser.error("--warmup must be 0 or more")
    if min(options.connections) < options.threads:
        parser.error(f"wrk needs at least as many connections as threads ({options.threads})")
    if shutil.which("wrk") is None:
        say("wrk is not installed: `make wrk` (or apt-get install wrk) installs it")
        return 2
    options.out = options.out.resolve()
    options.log_dir = (options.log_dir or options.out.parent / "stack" / "rest").resolve()
    exit_on_sigterm()

    results = each_profile(
        options.profiles, lambda profile: profile_bench(profile, options),
        failed=lambda profile, error: ProfileResult(profile,
                                                    error=f"{type(error).__name__}: {error}"),
        errors=(BenchError, TargetError, AccountsError, httpx.HTTPError, OSError))
    if results is None:
        return 130

    verdicts = targets(results)
    print()
    print(report_text(results, verdicts, options), flush=True)
    write_json(options.out, report_json(results, verdicts, options))
    say(f"written to {options.out}")
    unmeasured = [result.profile for result in results if result.error]
    if unmeasured:
        say(f"FAILED: not measured: {', '.join(unmeasured)} (the error is above)")
    return 1 if unmeasured else 0


if __name__ == "__main__":
    sys.exit(main())
