"""One load run from start to verdict (`make load`): the target, the account pool, Locust, the gate.

    python -m load.run                                  # boots the scaled reference stack
    python -m load.run --profile embedded --users 20 --duration 1m
    python -m load.run --target https://staging.example.in --sandbox http://10.0.0.5:8900
    python -m load.run --workers 4                      # Locust master + 4 workers here
    python -m load.run --decline-percent 5              # the gateway declines 5 % of checkouts

1. The target: `--target` (and `--sandbox`, whose checkout plays the paying customer), or the
   reference stack booted for the run (`--profile`, scaled by default) and stopped after it.
2. The account pool: `--accounts-file` (an operator's pool, e.g. for a target whose
   registration is not open), or `--accounts N` registered now through the API with the OTP
   from the sandbox's SMS inbox (`python -m load.accounts`), before Locust starts.
3. `--decline-percent P`: an unscoped `decline` fault on the sandbox gateway with `times` equal
   to P % of the gateway checkouts the run is expected to make (`--expected-checkouts`, or
   those of the previous run's gate.json scaled to this run's duration). See load/README.md
   for why a count and not a per-request chance.
4. Locust, headless, in its own processes (`python -m locust -f load/locustfile.py`): one, or a
   master and `--workers` workers on this machine. Its HTML report, CSV statistics and history,
   and the gate's verdict land in `--out-dir` (reports/out/load). The exit code is Locust's,
   which the gate sets: 0 when every objective is met, 1 on any breach.
5. `gate.json` is stamped with the target it measured (`target`: the `--target` URL, or
   `reference:<profile>`, as the suites' `run.json` names it) and when the load ran
   (`started_at`, `finished_at`): the release gate (`reports/gate/`) counts a load result
   only for the target and the run it judges.

Nothing here imports Locust (it patches the standard library with gevent); this process only
starts it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from load import gate
from load.accounts import AccountsError, accounts_make, accounts_read, accounts_write
from load.cli import exit_on_sigterm
from load.reporting import now_iso, write_json
from load.target import PROFILES, REPO_ROOT, BootedStack, Target, TargetError

DEFAULT_OUT = REPO_ROOT / "reports" / "out" / "load"
SHAPES = ("steady", "ramp", "spike", "none")
CHECKOUT_JOURNEYS = ("payment online", "wallet top-up")
WORKER_START_DEADLINE_SECONDS = 60
DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


class RunError(Exception):
    pass


def say(message: str) -> None:
    print(f"[load] {message}", flush=True)


def seconds_of(text: str) -> int:
    """Locust's run time (`90`, `90s`, `2m`, `1h30m`) in seconds."""
    match = DURATION.match(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"a duration is like 90s, 2m or 1h30m, got {text!r}")
    hours, minutes, secs = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + secs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the gateway's declines --------------------------------------------------------------------


def expected_checkouts(gate_file: Path, duration: int) -> int | None:
    """The gateway checkouts of the run that wrote `gate_file`, scaled to `duration`."""
    try:
        previous = json.loads(gate_file.read_text())
    except (OSError, ValueError):
        return None
    totals = [check["values"].get("total") or 0 for check in previous.get("checks", [])
              if check.get("kind") == "journey"
              and check["name"].removeprefix("journey: ") in CHECKOUT_JOURNEYS]
    run_time = (previous.get("settings") or {}).get("run_time") or 0
    if not totals or not run_time:
        return None
    return max(1, round(sum(totals) * duration / run_time))


def declines_arm(sandbox_url: str, times: int) -> dict[str, Any]:
    """An unscoped gateway `decline` fault for the next `times` checkouts."""
    with httpx.Client(base_url=sandbox_url, timeout=10, trust_env=False) as sandbox:
        response = sandbox.post("/_sandbox/faults/", json={
            "service": "gateway", "fault": "decline", "match": {}, "times": times})
    if response.status_code != 201:
        raise RunError(f"the sandbox refused the decline fault: {response.status_code} "
                       f"{response.text[:500]}")
    return response.json()


def declines_disarm(sandbox_url: str, fault: dict[str, Any]) -> int:
    """Switch the fault off if checkouts are left; return how many declines were played."""
    with httpx.Client(base_url=sandbox_url, timeout=10, trust_env=False) as sandbox:
        faults = sandbox.get("/_sandbox/faults/").json().get("results", [])
        mine = next((item for item in faults if item["id"] == fault["id"]), None)
        if mine is None:
            return fault["times"]  # used up: the sandbox removed it
        sandbox.delete(f"/_sandbox/faults/{fault['id']}/")
        return mine["applied"]


# --- Locust ------------------------------------------------------------------------------------


def locust_argv(options: argparse.Namespace, target: Target, accounts_file: Path) -> list[str]:
    out = options.out_dir
    argv = [
        sys.executable, "-m", "locust", "-f", str(REPO_ROOT / "load" / "locustfile.py"),
        "--headless", "--host", target.base_url, "--users", str(options.users),
        "--spawn-rate", str(options.spawn_rate), "--run-time", f"{options.duration}s",
        "--sandbox-url", target.sandbox_url, "--accounts-file", str(accounts_file),
        "--slo-file", str(options.slo_file), "--gate-out", str(out / "gate.json"),
        "--run-label", options.label or target.profile, "--think-time", options.think_time,
        "--csv", str(out / "locust"), "--csv-full-history", "--html", str(out / "locust.html"),
        "--only-summary",
    ]
    if target.ws_url:
        argv += ["--ws-url", target.ws_url]
    return argv + list(options.locust_args)


def locust_run(options: argparse.Namespace, target: Target, accounts_file: Path) -> int:
    """Run Locust (alone, or a master and its workers) and return the master's exit code."""
    env = {**os.environ, "LC_LOAD_SHAPE": options.shape, "PYTHONUNBUFFERED": "1",
           "LC_GATE_TABLE_LAST": "1"}
    argv = locust_argv(options, target, accounts_file)
    if options.workers < 1:
        return subprocess.run(argv, cwd=REPO_ROOT, env=env, check=False).returncode
    port = free_port()
    workers = []
    try:
        for index in range(options.workers):
            log = (options.out_dir / f"worker-{index + 1}.log").open("wb")
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "locust", "-f", str(REPO_ROOT / "load" / "locustfile.py"),
                 "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        master = [*argv, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port",
                  str(port), "--expect-workers", str(options.workers),
                  "--expect-workers-max-wait", str(WORKER_START_DEADLINE_SECONDS)]
        return subprocess.run(master, cwd=REPO_ROOT, env=env, check=False).returncode
    finally:
        for worker in workers:
            try:
                worker.wait(timeout=15)  # they quit with the master
            except subprocess.TimeoutExpired:
                worker.terminate()
                worker.wait()


# --- the run -----------------------------------------------------------------------------------


def target_identity(options: argparse.Namespace) -> str:
    """What the run measured, the same from run to run and as the suites' `run.json` names it
    (`fixtures.findings.target_identity`): the given URL, or the reference stack of a profile
    (whose ports change every run)."""
    if options.target:
        return options.target.rstrip("/")
    return f"reference:{options.profile}"


def gate_stamped(report: dict[str, Any], target: str, started_at: str,
                 finished_at: str) -> dict[str, Any]:
    """The gate's report with the target it measured and when the load ran."""
    return {**report, "target": target, "started_at": started_at, "finished_at": finished_at}


def accounts_ready(options: argparse.Namespace, target: Target) -> Path:
    if options.accounts_file:
        accounts = accounts_read(options.accounts_file)
        if len(accounts) < options.users:
            say(f"warning: {len(accounts)} accounts for {options.users} users: some users "
                "will share an account")
        return options.accounts_file
    count = options.accounts or options.users + max(5, options.users // 5)
    say(f"registering {count} accounts (OTP from {target.sandbox_url})")
    started = time.monotonic()
    accounts = accounts_make(target.base_url, target.sandbox_url, count,
                             say=lambda message: say(message.removeprefix("[accounts] ")))
    path = options.out_dir / "accounts.json"
    accounts_write(path, accounts)
    say(f"{count} accounts in {time.monotonic() - started:.1f} s: {path}")
    return path


def run_on(options: argparse.Namespace, target: Target) -> int:
    accounts_file = accounts_ready(options, target)
    fault = None
    if options.decline_percent:
        expected = options.expected_checkouts or expected_checkouts(
            options.out_dir / "gate.json", options.duration)
        if not expected:
            raise RunError("--decline-percent needs the number of gateway checkouts to expect: "
                           "give --expected-checkouts, or run once without declines first (its "
                           "gate.json is read)")
        times = math.ceil(options.decline_percent / 100 * expected)
        fault = declines_arm(target.sandbox_url, times)
        say(f"the gateway will decline the next {times} checkouts "
            f"({options.decline_percent:g} % of {expected} expected): fault {fault['id']}")
    # a verdict left by an earlier run must never pass for this one's
    (options.out_dir / "gate.json").unlink(missing_ok=True)
    say(f"Locust: {options.users} users, spawn rate {options.spawn_rate}/s, "
        f"{options.duration} s, shape {options.shape}, "
        f"{options.workers or 'no'} worker(s), target {target.base_url}")
    started_at = now_iso()
    try:
        code = locust_run(options, target, accounts_file)
    finally:
        if fault is not None:
            played = declines_disarm(target.sandbox_url, fault)
            say(f"the gateway declined {played} of the {fault['times']} checkouts armed")
    say(f"Locust exit code {code}; HTML report {options.out_dir / 'locust.html'}, "
        f"CSV {options.out_dir / 'locust_stats.csv'} (+ _stats_history, _failures), "
        f"gate {options.out_dir / 'gate.json'}")
    try:
        report = json.loads((options.out_dir / "gate.json").read_text())
    except (OSError, ValueError):
        say("no gate verdict was written: Locust did not get to the end (see above)")
        return code or 2
    report = gate_stamped(report, target_identity(options), started_at, now_iso())
    write_json(options.out_dir / "gate.json", report)
    label = report.get("settings", {}).get("label")
    print("\n" + gate.render(gate.verdict_of_report(report),
                             title=f"SLO gate ({label})" if label else "SLO gate"), flush=True)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m load.run",
        description="Boot the reference stack (or use --target), make the account pool, run the "
        "Locust journeys headless and exit with the SLO gate's verdict.")
    where = parser.add_argument_group("target")
    profile = os.environ.get("LC_LOAD_PROFILE") or "scaled"
    where.add_argument("--profile", choices=PROFILES, default=profile,
                       help="reference stack to boot when no --target (default scaled)")
    where.add_argument("--target", help="base URL of a running backend instead of booting one")
    where.add_argument("--sandbox", help="its sandbox (checkout, SMS inbox); needed with --target")
    where.add_argument("--ws-url", default="", help="WebSocket base (default: from the target)")
    where.add_argument("--stack-workers", type=int,
                       help="backend workers of the booted scaled stack (default: the launcher's)")
    load = parser.add_argument_group("load")
    load.add_argument("--users", type=int, default=16, help="peak users (default 16)")
    load.add_argument("--spawn-rate", type=float, default=4.0,
                      help="users started per second (default 4)")
    load.add_argument("--duration", type=seconds_of, default=seconds_of("3m"),
                      help="run time: 90s, 2m, 1h30m (default 3m)")
    load.add_argument("--think-time", default="1-3",
                      help="pause between a user's tasks, MIN-MAX seconds (default 1-3)")
    load.add_argument("--shape", choices=SHAPES, default="steady",
                      help="load shape (default steady; none: Locust's plain -u -r -t)")
    load.add_argument("--workers", type=int, default=0,
                      help="Locust workers on this machine under one master (default 0: one "
                      "process)")
    load.add_argument("--accounts-file", type=Path,
                      help="a pool of accounts to use instead of registering (LC_ACCOUNTS_FILE)",
                      default=Path(os.environ["LC_ACCOUNTS_FILE"])
                      if os.environ.get("LC_ACCOUNTS_FILE") else None)
    load.add_argument("--accounts", type=int, help="accounts to register (default users + 20 %%)")
    checks = parser.add_argument_group("gate")
    checks.add_argument("--slo-file", type=Path, default=REPO_ROOT / "load" / "slo.toml",
                        help="the objectives (default load/slo.toml)")
    checks.add_argument("--decline-percent", type=float, default=0.0,
                        help="make the sandbox gateway decline this share of checkouts")
    checks.add_argument("--expected-checkouts", type=int,
                        help="gateway checkouts the run will make (for --decline-percent)")
    checks.add_argument("--label", default="", help="label of the run in gate.json")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT,
                        help="reports/out/load by default")
    parser.add_argument("locust_args", nargs="*",
                        help="after --: more Locust options (e.g. -- --loglevel DEBUG)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    if options.target and not options.sandbox:
        parser.error("--target needs --sandbox: its checkout plays the paying customer (and its "
                     "SMS inbox gives the OTPs, unless --accounts-file is given)")
    if options.users < 1 or options.spawn_rate <= 0 or options.workers < 0:
        parser.error("--users and --spawn-rate must be positive, --workers 0 or more")
    options.out_dir = options.out_dir.resolve()
    options.out_dir.mkdir(parents=True, exist_ok=True)
    exit_on_sigterm()
    started = time.monotonic()
    try:
        if options.target:
            code = run_on(options, Target(options.target.rstrip("/"),
                                          options.sandbox.rstrip("/"), options.ws_url))
        else:
            say(f"booting the {options.profile} reference stack")
            stack = BootedStack(options.profile, options.out_dir / "stack",
                                workers=options.stack_workers)
            with stack as target:
                say(f"stack up in {stack.state.get('boot_seconds')} s: {target.base_url} "
                    f"({stack.state.get('workers')} backend worker(s))")
                code = run_on(options, target)
    except (TargetError, AccountsError, RunError) as error:
        say(f"error: {error}")
        return 2
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        with contextlib.suppress(Exception):
            say(f"wall time {time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
