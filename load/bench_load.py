"""Load benchmark (`make bench-load`): how much load the harness makes, and how much the
reference stack takes while still meeting its objectives.

For each profile asked for (embedded and scaled by default), on one booted stack:

(a) Generator efficiency: one Locust process of FastHttpUsers without pauses
    (`load/locustfile_health.py`) against `GET /api/health/`, then wrk (one thread) against the
    same endpoint with as many connections, each for `--health-seconds`. Both share this
    machine's cores with the backend, so the request rate alone mostly says how fast the
    backend answers; the rate per CPU-second of the generator itself says how much load one
    core of each tool can make.
(b) Capacity: the mixed journeys of `load/locustfile.py` at stepped numbers of users (x2 per
    step from `--start-users` while the steps pass, /2 while they fail from the start, then
    halfway between the last pass and the first failure, until the two are within
    `--resolution` percent of the users that passed (the bracket is closed), or the profile's
    time budget is spent), each step a short steady run with the statistics reset once every
    user has started. A step passes when the gate's latency objectives pass and
    each journey rate's point estimate meets its threshold: a step is too short for the gate's
    minimum sample, which the full `make load` run enforces. The logins are the spawn's, not
    the steady load's, so a step's verdict leaves them out (the API average too). The
    capacity is the request rate (and journeys per minute) of the most users that passed.

The load generator runs on the same machine as the stack: the figures compare profiles and
changes on this machine, they are not a production capacity. Prints both tables and writes
`reports/out/bench/load.json`. Imports no Locust: it runs it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from load.accounts import AccountsError, accounts_make, accounts_write
from load.benchkit import BenchError, each_profile
from load.cli import positive
from load.proc import process_cpu
from load.reporting import machine, now_iso, table, write_json
from load.target import PROFILES, REPO_ROOT, BootedStack, Target, TargetError
from load.wrk import wrk_parse

DEFAULT_OUT = REPO_ROOT / "reports" / "out" / "bench" / "load.json"
HEALTH_PATH = "/api/health/"
STEP_OVERHEAD_SECONDS = 15  # Locust's start, the spawn, the stop timeout
# How a search that met a failing step and narrowed down to it ends (ProfileResult.bounded_by)
CLOSED = "a closed bracket"


def say(message: str) -> None:
    print(f"[bench-load] {message}", flush=True)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- (a) generator efficiency ------------------------------------------------------------------


@dataclass
class GeneratorResult:
    profile: str
    tool: str
    connections: int
    seconds: float
    requests: int
    failures: int
    requests_per_s: float
    cpu_seconds: float
    requests_per_cpu_second: float
    p50_ms: float | None
    p99_ms: float | None
    note: str = ""


def wrk_run(url: str, connections: int, seconds: int, profile: str) -> GeneratorResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        return GeneratorResult(profile, "wrk", connections, seconds, 0, 0, 0, 0, 0, None, None,
                               "wrk is not installed (make wrk, or apt-get install wrk)")
    before = children_cpu()
    finished = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=False, timeout=seconds + 60)
    cpu = children_cpu() - before
    try:
        figures = wrk_parse(finished.stdout)
    except BenchError as error:
        return GeneratorResult(profile, "wrk", connections, seconds, 0, 0, 0, cpu, 0, None, None,
                               f"{error} {finished.stderr}")
    return GeneratorResult(
        profile, "wrk (1 thread)", connections, round(figures.seconds, 2), figures.requests,
        figures.non_2xx, round(figures.requests_per_s, 1), round(cpu, 3),
        round(figures.requests / cpu, 1) if cpu else 0.0,
        round(figures.p50_ms, 2) if figures.p50_ms is not None else None,
        round(figures.p99_ms, 2) if figures.p99_ms is not None else None)


def locust_health_run(base_url: str, users: int, seconds: int, profile: str,
                      out_dir: Path) -> GeneratorResult:
    """One Locust process. Its CPU is counted from the moment every user is spawned (its log
    says so) to its exit, so that Locust's start-up (imports: about a second of CPU) is not
    charged to the load it makes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / f"health-{profile}"
    argv = [sys.executable, "-m", "locust", "-f", str(REPO_ROOT / "load" / "locustfile_health.py"),
            "--headless", "-H", base_url, "-u", str(users), "-r", str(users),
            "-t", f"{seconds}s", "--csv", str(prefix), "--only-summary", "--stop-timeout", "0"]
    before = children_cpu()
    process = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    spawned: tuple[float, float] | None = None  # (time, cpu) once every user runs
    log: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line)
            if "All users spawned" in line:
                spawned = (time.monotonic(), process_cpu(process.pid) or 0.0)
                break
        process.wait(timeout=seconds + 120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    ended = time.monotonic()
    cpu_total = children_cpu() - before
    try:
        with open(f"{prefix}_stats.csv", newline="") as stats:
            total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    except (OSError, StopIteration):
        total = None
    if spawned is None or total is None:
        return GeneratorResult(profile, "Locust FastHttpUser", users, seconds, 0, 0, 0, 0, 0,
                               None, None, f"no statistics: {''.join(log)[-800:]}")
    window = ended - spawned[0]
    cpu = cpu_total - spawned[1]
    requests = int(total["Request Count"])
    return GeneratorResult(
        profile, "Locust FastHttpUser (1 process)", users, round(window, 2), requests,
        int(total["Failure Count"]), round(requests / window, 1) if window else 0.0,
        round(cpu, 2), round(requests / cpu, 1) if cpu else 0.0,
        float(total["50%"] or 0) or None, float(total["99%"] or 0) or None,
        "from the last user spawned to the exit; start-up left out")


# --- (b) capacity ------------------------------------------------------------------------------


@dataclass
class Step:
    users: int
    seconds: int
    passed: bool
    requests_per_s: float
    journeys_per_min: float
    api_average_ms: float | None
    payment_rate: float | None
    upload_rate: float | None
    breaches: list[str] = field(default_factory=list)


# Logins are the spawn's, not the steady load's: the last users' logins end after the statistics
# were reset, and a step's verdict leaves them out.
SPAWN_GROUPS = ("auth",)


def steady_api_average(gate: dict[str, Any]) -> tuple[float | None, float | None]:
    """The average of the API requests but the logins, from the groups' averages, and the
    gate's limit for the API average."""
    api = next((check for check in gate["checks"] if check["kind"] == "api"), None)
    limit = api["values"].get("limit_ms") if api else None
    total = requests = 0.0
    for check in gate["checks"]:
        values = check["values"]
        if (check["kind"] == "latency" and values.get("statistic") == "average"
                and values.get("group") not in SPAWN_GROUPS
                and all(name.split(" ", 1)[1].startswith("/api/")
                        for name in values.get("endpoints", []))):
            total += values["ms"] * values["requests"]
            requests += values["requests"]
    return (total / requests if requests else None), limit


def step_verdict(gate: dict[str, Any]) -> tuple[bool, list[str]]:
    """The gate's latency objectives must pass (but the logins') and each rate's point estimate
    must meet its threshold (a short step cannot meet the minimum sample)."""
    breaches = []
    average, limit = steady_api_average(gate)
    if average is not None and limit is not None and average >= limit:
        breaches.append(f"API average response {average:.0f} ms")
    for check in gate["checks"]:
        group = check["values"].get("group") if check["kind"] == "latency" else None
        if group in SPAWN_GROUPS:
            continue
        if check["kind"] == "latency" and check["passed"] is False:
            breaches.append(f"{check['name']} {check['measured']}")
        if check["kind"] == "rate":
            values = check["values"]
            if values.get("rate") is None or values["rate"] < values["threshold"]:
                breaches.append(f"{check['name']} {check['measured']}")
    return not breaches, breaches


def step_run(target: Target, accounts: Path, users: int, seconds: int,
             out_dir: Path) -> Step:
    argv = [sys.executable, "-m", "load.run", "--target", target.base_url,
            "--sandbox", target.sandbox_url, "--accounts-file", str(accounts),
            "--users", str(users), "--spawn-rate", str(max(5, users // 4)),
            "--duration", f"{seconds}s", "--out-dir", str(out_dir),
            "--label", f"{target.profile} {users} users", "--", "--reset-stats"]
    subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, check=False,
                   timeout=seconds + 300)
    try:
        gate = json.loads((out_dir / "gate.json").read_text())
        with open(out_dir / "locust_stats.csv", newline="") as stats:
            rows = list(csv.DictReader(stats))
    except (OSError, ValueError) as error:
        return Step(users, seconds, False, 0, 0, None, None, None, [f"no result: {error}"])
    passed, breaches = step_verdict(gate)
    api = [row for row in rows if row["Name"].startswith("/api/") and row["Type"] != "WS"]
    journeys = [row for row in rows if row["Type"] == "JOURNEY"]
    measured = {check["name"]: check for check in gate["checks"]}

    def rate_of(name: str) -> float | None:
        check = measured.get(name)
        return check["values"].get("rate") if check else None

    average, _ = steady_api_average(gate)
    return Step(
        users=users, seconds=seconds, passed=passed,
        requests_per_s=round(sum(float(row["Requests/s"]) for row in api), 1),
        journeys_per_min=round(sum(float(row["Requests/s"]) for row in journeys) * 60, 1),
        api_average_ms=round(average, 1) if average is not None else None,
        payment_rate=rate_of("payment success"), upload_rate=rate_of("image upload success"),
        breaches=breaches)


# --- one profile -------------------------------------------------------------------------------


@dataclass
class ProfileResult:
    profile: str
    boot_seconds: float | None = None
    backend_workers: int | None = None
    generator: list[GeneratorResult] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    capacity: Step | None = None
    bounded_by: str = ""  # what ended the search: a closed bracket, the time budget, --max-users
    first_failure: int | None = None  # the fewest users that failed, the bracket's upper end
    error: str = ""


def profile_bench(profile: str, options: argparse.Namespace) -> ProfileResult:
    result = ProfileResult(profile)
    say(f"booting the {profile} stack")
    stack = BootedStack(profile, options.out.parent / "load-stack" / profile)
    with stack as target:
        result.boot_seconds = stack.state.get("boot_seconds")
        result.backend_workers = stack.state.get("workers")
        say(f"{profile} up in {result.boot_seconds} s ({result.backend_workers} worker(s))")
        work = options.out.parent / "load-runs" / profile

        url = f"{target.base_url}{HEALTH_PATH}"
        say(f"(a) Locust, {options.connections} users, {options.health_seconds} s on {url}")
        result.generator.append(locust_health_run(target.base_url, options.connections,
                                                  options.health_seconds, profile, work))
        say(f"(a) wrk, {options.connections} connections, {options.health_seconds} s")
        result.generator.append(wrk_run(url, options.connections, options.health_seconds,
                                        profile))

        # only the steps the time budget can hold need accounts
        fits = max(1, options.budget // (options.step_seconds + STEP_OVERHEAD_SECONDS))
        pool = Search(start=options.start_users, most=options.max_users).planned_most(fits) + 10
        accounts = work / "accounts.json"
        say(f"(b) registering {pool} accounts")
        accounts_write(accounts, accounts_make(target.base_url, target.sandbox_url, pool))
        deadline = time.monotonic() + options.budget
        search = Search(start=options.start_users, most=options.max_users,
                        resolution=options.resolution / 100)
        users = search.first()
        while users is not None:
            if time.monotonic() + options.step_seconds + STEP_OVERHEAD_SECONDS > deadline:
                say(f"(b) time budget of {options.budget} s spent before {users} users")
                result.bounded_by = "the time budget"
                break
            say(f"(b) {users} users for {options.step_seconds} s")
            step = step_run(target, accounts, users, options.step_seconds,
                            work / f"users-{users}")
            result.steps.append(step)
            say(f"    {'pass' if step.passed else 'FAIL'}: {step.requests_per_s} API req/s, "
                f"{step.journeys_per_min} journeys/min"
                + (f"; {'; '.join(step.breaches)}" if step.breaches else ""))
            if step.passed and (result.capacity is None or step.users > result.capacity.users):
                result.capacity = step
            users = search.next(users, step.passed)
        else:
            result.bounded_by = CLOSED if search.failed else "--max-users"
        result.first_failure = search.failed
    say(f"{profile} stack stopped")
    return result


class Search:
    """Which users to try: x2 from `start` while the steps pass, /2 while they fail from the
    start, then halfway between the most users that passed and the fewest that failed, until
    the two are no further apart than `resolution` (a share of the users that passed, one user
    at least): the bracket is then closed."""

    def __init__(self, *, start: int, most: int, resolution: float = 0.0) -> None:
        self.start, self.most, self.resolution = start, most, resolution
        self.passed: int | None = None
        self.failed: int | None = None

    def first(self) -> int:
        return self.start

    def next(self, users: int, passed: bool) -> int | None:
        if passed:
            self.passed = max(self.passed or 0, users)
        else:
            self.failed = min(self.failed or users, users)
        if self.failed is None:
            return users * 2 if users * 2 <= self.most else None
        if self.passed is None:
            return users // 2 if users // 2 >= 2 else None
        if self.failed - self.passed <= max(1, int(self.passed * self.resolution)):
            return None
        middle = (self.passed + self.failed) // 2
        return middle if self.passed < middle < self.failed else None

    def planned_most(self, steps: int) -> int:
        """The most users `steps` steps can reach (for the size of the account pool)."""
        return min(self.most, self.start * 2 ** max(0, steps - 1))


# --- report ------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def report_text(results: list[ProfileResult]) -> str:
    generator = table(
        ["profile", "generator", "conns", "seconds", "requests", "req/s", "gen CPU s",
         "req per CPU s", "p50 ms", "p99 ms", "failures"],
        [[run.profile, run.tool, str(run.connections), f"{run.seconds:.1f}", str(run.requests),
          f"{run.requests_per_s:.0f}", f"{run.cpu_seconds:.2f}",
          f"{run.requests_per_cpu_second:.0f}", _ms(run.p50_ms), _ms(run.p99_ms),
          str(run.failures)] for result in results for run in result.generator],
        last_from_left=True)
    steps = table(
        ["profile", "users", "API req/s", "journeys/min", "API avg ms", "payment", "upload",
         "verdict"],
        [[result.profile, str(step.users), f"{step.requests_per_s:.1f}",
          f"{step.journeys_per_min:.0f}", _ms(step.api_average_ms), _pct(step.payment_rate),
          _pct(step.upload_rate),
          "pass" if step.passed else "FAIL: " + "; ".join(step.breaches)[:90]]
         for result in results for step in result.steps],
        last_from_left=True)
    lines = [f"(a) Generator efficiency on GET {HEALTH_PATH} (generator and backend share this "
             "machine's cores)", generator, "",
             "(b) Capacity: mixed journeys, stepped users, statistics reset after the spawn",
             steps, ""]
    for result in results:
        if result.error:
            lines.append(f"{result.profile}: FAILED: {result.error.splitlines()[0]}")
        elif result.capacity:
            capacity = result.capacity
            closed = result.bounded_by == CLOSED and result.first_failure is not None
            floor = "" if closed else "at least "
            bracket = (f"; {capacity.users} users pass, {result.first_failure} fail"
                       if closed else f"; the search ended on {result.bounded_by}")
            lines.append(f"{result.profile}: capacity {floor}{capacity.requests_per_s:.1f} API "
                         f"req/s, {capacity.journeys_per_min:.0f} journeys/min at "
                         f"{capacity.users} users ({result.backend_workers} backend worker(s)) "
                         f"within the gate{bracket}")
        else:
            lines.append(f"{result.profile}: no step passed the gate (see the table)")
    return "\n".join(lines)


def report_json(results: list[ProfileResult], options: argparse.Namespace) -> dict[str, Any]:
    return {
        "generated_at": now_iso(),
        "machine": machine() | {"load_average": list(os.getloadavg())},
        "settings": {"health_seconds": options.health_seconds,
                     "connections": options.connections, "step_seconds": options.step_seconds,
                     "start_users": options.start_users, "max_users": options.max_users,
                     "resolution_percent": options.resolution,
                     "budget_seconds_per_profile": options.budget},
        "profiles": [asdict(result) for result in results],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m load.bench_load",
        description="Locust vs wrk on a trivial endpoint, and the reference stack's capacity "
        "for the mixed journeys within the SLO gate, per profile.")
    parser.add_argument("--profile", "--profiles", dest="profiles", nargs="+", action="extend",
                        choices=PROFILES, metavar="PROFILE",
                        help="embedded and/or scaled (default both)")
    parser.add_argument("--health-seconds", type=positive, default=10,
                        help="length of each generator run (default 10)")
    parser.add_argument("--connections", type=positive, default=32,
                        help="Locust users and wrk connections on /api/health/ (default 32)")
    parser.add_argument("--step-seconds", type=positive, default=40,
                        help="length of each capacity step (default 40)")
    parser.add_argument("--start-users", type=positive, default=10,
                        help="users of the first step (default 10)")
    parser.add_argument("--max-users", type=positive, default=120,
                        help="most users tried (default 120)")
    parser.add_argument("--resolution", type=positive, default=10,
                        help="the capacity bracket is closed when the fewest users that failed "
                        "are within this percent of the most that passed (default 10)")
    parser.add_argument("--budget", type=positive, default=600,
                        help="seconds of capacity steps per profile (default 600)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where the JSON goes (default reports/out/bench/load.json)")
    options = parser.parse_args(argv)
    options.profiles = list(dict.fromkeys(options.profiles or PROFILES))
    options.out = options.out.resolve()
    results = each_profile(options.profiles, lambda profile: profile_bench(profile, options),
                           failed=lambda profile, error: ProfileResult(profile, error=str(error)),
                           errors=(TargetError, AccountsError), voice=say)
    if results is None:
        return 130
    print()
    print(report_text(results), flush=True)
    write_json(options.out, report_json(results, options))
    say(f"written to {options.out}")
    return 1 if any(result.error for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
