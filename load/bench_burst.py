"""Payments burst benchmark of the reference stack (`make bench-burst`, told in load/README.md):
per profile, `--runs` runs of two phases on fresh customers. The race (the case of
suites/security/test_verify_and_webhooks_race_on_fifty_top_ups.py: checkout, whose webhooks the
sandbox sends at once, and verify, for every top-up at once) and the burst (checkouts with the
sandbox's webhooks held, then every verify and the replay of every held event released
together). Every answer of the backend is counted (verify's by the client, the webhooks' from
the sandbox's record of each attempt), each top-up must be credited exactly once, PostgreSQL's
connections are sampled (`load/pgstat.py`); the exit code is 1 only when a profile could not be
measured. No throttle of the reference covers top-up, verify or the webhook (the per-address
one, LC_THROTTLE_IP, covers the auth calls, four a run): none is raised. Imports no Locust and
nothing of the project outside load/.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import secrets
import ssl
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import httpx

from load.accounts import AccountsError, bearer, customer_register, expect
from load.benchkit import BenchError, each_profile, say, stack_options, stack_options_read
from load.cli import exit_on_sigterm, positive
from load.pgstat import (
    SAMPLE_INTERVAL_SECONDS,
    ConnectionSampler,
    StackFigures,
    pg_server_url,
)
from load.polling import poll
from load.reporting import machine, now_iso, table, write_json
from load.target import PROFILES, REPO_ROOT, BootedStack, Target, TargetError

DEFAULT_OUT = REPO_ROOT / "reports" / "out" / "bench" / "burst.json"
API_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
START_TIMEOUT_SECONDS = 60
# five attempts with a doubling backoff from 0.5 s and a 5 s timeout each settle within about
# 35 s of the last event raised; a burst queues hundreds of them first
WEBHOOK_DEADLINE_SECONDS = 120.0
# each top-up takes two threads at the burst (its verify, its webhooks' replay)
MAX_TOP_UPS = 1000
FIRST_ERRORS = 3
BODY_LIMIT = 300
SUCCESS_VPA = "success@razorpay"
# what the gateway raises for a successful auto-captured checkout
CHECKOUT_EVENTS = ("payment.authorized", "payment.captured", "order.paid")
SETTLED = ("delivered", "failed")
PHASES = ("race", "burst")

WALLET = "/api/payments/wallets/"
TRANSACTIONS = "/api/payments/wallets/transactions/"
ADD_MONEY = "/api/payments/wallets/add-money/"
VERIFY = "/api/payments/payments/{id}/verify/"
CHECKOUT = "/_sandbox/checkout/"
WEBHOOK_SETTINGS = "/_sandbox/gateway/webhook/"
WEBHOOK_LOG = "/_sandbox/gateway/webhooks/"
REDELIVER = "/_sandbox/gateway/webhooks/{event_id}/redeliver/"

# --- what the backend answered -----------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One request the backend got: its status, or the transport error that came instead."""

    what: str
    status: int | None
    body: str = ""
    error: str = ""
    finished_at: float = 0.0  # wall clock, seconds


@dataclass
class Tally:
    sent: int = 0
    ok: int = 0  # 2xx
    client_errors: int = 0  # 4xx
    server_errors: int = 0  # 5xx
    other: int = 0  # 1xx, 3xx
    transport_errors: int = 0
    first_5xx: list[str] = field(default_factory=list)
    first_transport_errors: list[str] = field(default_factory=list)


def tally(replies: Iterable[Reply]) -> Tally:
    """The replies counted by class, with the first few 5xx bodies and transport errors."""
    counted = Tally()
    for reply in replies:
        counted.sent += 1
        status = reply.status
        kind = ("transport_errors" if status is None else "ok" if 200 <= status < 300
                else "client_errors" if 400 <= status < 500
                else "server_errors" if status >= 500 else "other")
        setattr(counted, kind, getattr(counted, kind) + 1)
        if kind == "transport_errors" and len(counted.first_transport_errors) < FIRST_ERRORS:
            counted.first_transport_errors.append(f"{reply.what}: {reply.error}")
        if kind == "server_errors" and len(counted.first_5xx) < FIRST_ERRORS:
            counted.first_5xx.append(f"{reply.what}: {status} {reply.body[:BODY_LIMIT]}".rstrip())
    return counted


def webhook_replies(deliveries: Iterable[dict[str, Any]]) -> list[Reply]:
    """Each attempt of each delivery, as the sandbox recorded what the backend answered."""
    return [Reply(f"webhook {delivery['event']}", attempt.get("status_code"),
                  error=attempt.get("error") or "",
                  finished_at=datetime.fromisoformat(attempt["finished_at"]).timestamp())
            for delivery in deliveries for attempt in delivery["attempts"]]


def settled(deliveries: Sequence[dict[str, Any]]) -> bool:
    """Whether a checkout's webhooks are all sent and each delivered or given up on."""
    return (len(deliveries) >= len(CHECKOUT_EVENTS)
            and all(delivery["state"] in SETTLED for delivery in deliveries))


@dataclass(frozen=True)
class TopUp:
    payment_id: str
    gateway_order_id: str
    amount: Decimal


def credit_problems(balance: Any, transactions: Iterable[dict[str, Any]],
                    top_ups: Sequence[TopUp]) -> str:
    """What is wrong with the wallet after the top-ups ('' when each payment was credited
    exactly once, with its amount, and the balance is their sum), as the race case checks it."""
    problems = []
    expected = sum((top_up.amount for top_up in top_ups), Decimal(0))
    if Decimal(str(balance)) != expected:
        problems.append(f"balance {balance}, expected {expected}")
    credited = [(str(entry.get("payment_id")), Decimal(str(entry.get("amount"))))
                for entry in transactions
                if entry.get("type") == "credit" and entry.get("status") == "completed"]
    counts = Counter(payment for payment, _ in credited)
    amounts = {top_up.payment_id: top_up.amount for top_up in top_ups}
    for name, payments in (
            ("credited more than once", [payment for payment, n in counts.items() if n > 1]),
            ("not credited", amounts.keys() - counts.keys()),
            ("credits of no top-up", counts.keys() - amounts.keys()),
            ("credited another amount", {payment for payment, amount in credited
                                         if amounts.get(payment, amount) != amount})):
        if payments:
            problems.append(f"{len(payments)} {name} ({', '.join(sorted(payments)[:3])})")
    return "; ".join(problems)


@dataclass
class PhaseRun:
    profile: str
    phase: str
    run: int
    top_ups: int
    verifies: Tally
    webhooks: Tally
    webhooks_unsettled: int  # checkouts whose webhooks had not settled at the deadline
    wall_seconds: float
    credit_problems: str
    # an int measured; "n/a" without PostgreSQL (embedded); None when it could not be sampled
    pg_peak_connections: int | str | None
    pg_note: str = ""
    load_before: float | None = None  # the 1-minute load average: client and stack share CPUs


def totals(run: PhaseRun) -> Tally:
    """The verifies' and the webhooks' counts together."""
    verifies, webhooks = asdict(run.verifies), asdict(run.webhooks)
    return Tally(**{name: (value + webhooks[name])[:FIRST_ERRORS] if isinstance(value, list)
                    else value + webhooks[name] for name, value in verifies.items()})


def run_clean(run: PhaseRun) -> bool:
    """No 5xx, no transport error, every webhook settled, each top-up credited exactly once."""
    counted = totals(run)
    return (counted.server_errors == 0 and counted.transport_errors == 0
            and run.webhooks_unsettled == 0 and not run.credit_problems)


# --- talking to the stack ----------------------------------------------------------------------


@functools.cache
def _tls() -> ssl.SSLContext:
    # One context for every client: loading the CA bundle for each of hundreds of connections
    # would spend seconds of this machine's CPU, which the stack shares, before every burst.
    return ssl.create_default_context()


def client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=API_TIMEOUT, trust_env=False, verify=_tls())


@contextlib.contextmanager
def own_clients(base_url: str, count: int) -> Iterator[list[httpx.Client]]:
    """`count` clients, so that each caller of a burst has a connection of its own."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(client(base_url)) for _ in range(count)]


def at_once(calls: Sequence[Callable[[], Any]]) -> tuple[list[Any], float]:
    """Every call in a thread of its own, all released together; their results in order and
    when they were released (wall clock). An exception of a call is raised once all ended."""
    released: list[float] = []
    start = threading.Barrier(len(calls), action=lambda: released.append(time.time()),
                              timeout=START_TIMEOUT_SECONDS)

    def run(call: Callable[[], Any]) -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="burst") as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result() for future in futures], released[0]


def top_ups_start(api: httpx.Client, access: str, count: int) -> list[TopUp]:
    """`count` top-ups of different amounts (10, 11, 12... rupees), started as the app does."""
    started = []
    for number in range(count):
        amount = Decimal(10 + number % 9000)
        body = expect(api.post(ADD_MONEY, json={"amount": int(amount)}, headers=bearer(access)),
                      HTTPStatus.CREATED, f"starting top-up {number + 1} of {count}")
        started.append(TopUp(str(body["payment_id"]), body["gateway_order_id"], amount))
    return started


def checkout(sandbox: httpx.Client, top_up: TopUp) -> dict[str, Any]:
    """What the app's checkout hands back after paying the top-up's gateway order."""
    receipt = expect(sandbox.post(CHECKOUT, json={"order_id": top_up.gateway_order_id,
                                                  "method": "upi", "vpa": SUCCESS_VPA}),
                     HTTPStatus.OK, f"checkout of {top_up.gateway_order_id}")
    if "error" in receipt:
        raise BenchError(f"checkout of {top_up.gateway_order_id} failed: {receipt['error']}")
    return receipt


def verify(api: httpx.Client, access: str, top_up: TopUp, receipt: dict[str, Any]) -> Reply:
    """The app's verify with the receipt; a transport error is a reply too."""
    try:
        response = api.post(VERIFY.format(id=top_up.payment_id), json=receipt,
                            headers=bearer(access))
    except httpx.HTTPError as error:
        return Reply("verify", None, error=f"{type(error).__name__}: {error}",
                     finished_at=time.time())
    return Reply("verify", response.status_code, body=response.text, finished_at=time.time())


def webhook_log(sandbox: httpx.Client, order_id: str) -> list[dict[str, Any]]:
    return expect(sandbox.get(WEBHOOK_LOG, params={"order_id": order_id}), HTTPStatus.OK,
                  "reading the sandbox's webhook log")["results"]


@contextlib.contextmanager
def webhooks_held(sandbox: httpx.Client) -> Iterator[None]:
    """The gateway's webhooks logged but not sent while the block runs (the sandbox's webhook
    URL unset), and sent again afterwards, whatever happens."""
    url = expect(sandbox.get(WEBHOOK_SETTINGS), HTTPStatus.OK, "reading the webhook URL")["url"]
    if not url:
        raise BenchError("the sandbox sends no gateway webhooks (no webhook URL): the "
                         "benchmark measures them")
    expect(sandbox.put(WEBHOOK_SETTINGS, json={"url": None}), HTTPStatus.OK,
           "holding the webhooks")
    try:
        yield
    finally:
        expect(sandbox.put(WEBHOOK_SETTINGS, json={"url": url}), HTTPStatus.OK,
               f"sending the webhooks to {url} again")


def held_events(sandbox: httpx.Client, top_up: TopUp) -> list[str]:
    """The ids of the events the checkout of the top-up raised while webhooks were held (the
    sandbox logs them before its checkout answers)."""
    held = [delivery["event_id"] for delivery in webhook_log(sandbox, top_up.gateway_order_id)
            if delivery["state"] == "no_url"]
    if len(held) < len(CHECKOUT_EVENTS):
        raise BenchError(f"the checkout of {top_up.gateway_order_id} raised {len(held)} "
                         f"event(s), expected {', '.join(CHECKOUT_EVENTS)}")
    return held


def replay(sandbox: httpx.Client, event_ids: Sequence[str]) -> None:
    for event_id in event_ids:
        expect(sandbox.post(REDELIVER.format(event_id=event_id)), HTTPStatus.ACCEPTED,
               f"sending the held event {event_id}")


def deliveries_settled(sandbox: httpx.Client,
                       top_ups: Sequence[TopUp]) -> tuple[list[dict[str, Any]], int]:
    """The sent deliveries of the top-ups' webhooks once each checkout's have settled; at the
    deadline, those there are and how many checkouts had not settled."""
    found: dict[str, list[dict[str, Any]]] = {}
    pending = [top_up.gateway_order_id for top_up in top_ups]

    def probe() -> bool | None:
        for order_id in pending:
            found[order_id] = [delivery for delivery in webhook_log(sandbox, order_id)
                               if delivery["state"] != "no_url"]
        pending[:] = [order_id for order_id in pending if not settled(found[order_id])]
        return True if not pending else None

    with contextlib.suppress(TimeoutError):
        poll(probe, timeout=WEBHOOK_DEADLINE_SECONDS, what="the webhooks", error=TimeoutError)
    return [delivery for deliveries in found.values() for delivery in deliveries], len(pending)


def transactions_all(api: httpx.Client, access: str) -> list[dict[str, Any]]:
    found, page = [], 1
    while True:
        body = expect(api.get(TRANSACTIONS, params={"page": page, "page_size": 100},
                              headers=bearer(access)), HTTPStatus.OK,
                      "reading the wallet's transactions")
        found += body["results"]
        if not body.get("next"):
            return found
        page += 1


# --- one phase ---------------------------------------------------------------------------------


@dataclass
class Session:
    """The stack under measure, and the connections the setup and the checks go through."""

    target: Target
    api: httpx.Client
    sandbox: httpx.Client
    database: str | None


def race_fire(session: Session, access: str,
              top_ups: Sequence[TopUp]) -> tuple[list[Reply], float]:
    """Checkout and verify of every top-up at once, each from connections of its own."""
    count = len(top_ups)
    with (own_clients(session.target.base_url, count) as apis,
          own_clients(session.target.sandbox_url, count) as sandboxes):
        def pay(api: httpx.Client, sandbox: httpx.Client, top_up: TopUp) -> Reply:
            return verify(api, access, top_up, checkout(sandbox, top_up))

        return at_once([functools.partial(pay, *each)
                        for each in zip(apis, sandboxes, top_ups, strict=True)])


def burst_fire(session: Session, access: str,
               top_ups: Sequence[TopUp]) -> tuple[list[Reply], float]:
    """Checkout of every top-up with its webhooks held, then every verify and the replay of
    every held event released together."""
    with webhooks_held(session.sandbox):
        receipts = [checkout(session.sandbox, top_up) for top_up in top_ups]
        events = [held_events(session.sandbox, top_up) for top_up in top_ups]
    count = len(top_ups)
    with (own_clients(session.target.base_url, count) as apis,
          own_clients(session.target.sandbox_url, count) as sandboxes):
        verifies = [functools.partial(verify, api, access, top_up, receipt)
                    for api, top_up, receipt in zip(apis, top_ups, receipts, strict=True)]
        replays = [functools.partial(replay, sandbox, held)
                   for sandbox, held in zip(sandboxes, events, strict=True)]
        results, released = at_once([*verifies, *replays])
    return results[:count], released


def phase_run(session: Session, profile: str, phase: str, run: int, count: int) -> PhaseRun:
    """One phase on a fresh customer: its top-ups, the burst, the webhooks settled, the
    wallet checked."""
    _, access = customer_register(
        session.api, session.sandbox,
        email=f"bench.burst.{secrets.token_hex(4)}@laundryconnect.test",
        full_name="Bench Customer", label="Bench")
    top_ups = top_ups_start(session.api, access, count)
    load_before = round(os.getloadavg()[0], 2)
    sampler = (ConnectionSampler(pg_server_url(os.environ), session.database)
               if session.database else None)
    fire = race_fire if phase == "race" else burst_fire
    with sampler or contextlib.nullcontext():
        verifies, released = fire(session, access, top_ups)
        deliveries, unsettled = deliveries_settled(session.sandbox, top_ups)
    webhooks = webhook_replies(deliveries)
    ended = max((reply.finished_at for reply in [*verifies, *webhooks]), default=released)
    wallet = expect(session.api.get(WALLET, headers=bearer(access)), HTTPStatus.OK,
                    "reading the wallet")
    return PhaseRun(
        profile=profile, phase=phase, run=run, top_ups=count, verifies=tally(verifies),
        webhooks=tally(webhooks), webhooks_unsettled=unsettled,
        wall_seconds=round(ended - released, 3),
        credit_problems=credit_problems(wallet.get("balance"),
                                        transactions_all(session.api, access), top_ups),
        pg_peak_connections=sampler.peak if sampler else "n/a",
        pg_note=sampler.error if sampler else "", load_before=load_before)


# --- one profile -------------------------------------------------------------------------------


@dataclass
class ProfileResult(StackFigures):
    runs: list[PhaseRun] = field(default_factory=list)


def progress(run: PhaseRun, runs: int, bound: int | None) -> str:
    counted = totals(run)
    peak = run.pg_peak_connections
    pg = "" if peak == "n/a" else f", PG peak {'-' if peak is None else peak}/{bound or '?'}"
    credited = "credited once" if not run.credit_problems else f"NOT: {run.credit_problems}"
    unsettled = f", {run.webhooks_unsettled} unsettled" if run.webhooks_unsettled else ""
    return (f"{run.profile} run {run.run}/{runs} {run.phase}: {counted.sent} requests "
            f"({run.verifies.sent} verifies, {run.webhooks.sent} webhook attempts{unsettled}): "
            f"{counted.ok} 2xx, {counted.client_errors} 4xx, {counted.server_errors} 5xx, "
            f"{counted.transport_errors} transport errors; {run.wall_seconds:.1f} s; "
            f"{credited}{pg}; {'clean' if run_clean(run) else 'NOT clean'}")


MEASURE_ERRORS = (BenchError, AccountsError, httpx.HTTPError, OSError,
                  threading.BrokenBarrierError)


def profile_bench(profile: str, options: argparse.Namespace) -> ProfileResult:
    result = ProfileResult(profile)
    say(f"booting the {profile} stack")
    stack = BootedStack(profile, options.log_dir / profile, workers=options.workers)
    with stack as target, client(target.base_url) as api, client(target.sandbox_url) as sandbox:
        result.read_state(stack.state, os.environ)
        say(f"{profile} stack up in {result.boot_seconds} s ({result.workers} worker(s))")
        session = Session(target, api, sandbox, result.database)
        sizes = {"race": options.race_top_ups, "burst": options.top_ups}
        try:
            for number in range(1, options.runs + 1):
                for phase in PHASES:
                    run = phase_run(session, profile, phase, number, sizes[phase])
                    result.runs.append(run)
                    say(progress(run, options.runs, result.db_connection_bound))
        except MEASURE_ERRORS as error:
            # the runs made so far stand; the profile counts as not measured
            say(f"error: {error}")
            result.error = f"{type(error).__name__}: {error}"
    say(f"{profile} stack stopped")
    return result


# --- report ------------------------------------------------------------------------------------


def burst_requests(top_ups: int) -> int:
    """The requests a burst of `top_ups` sends the backend: a verify and the webhooks of each."""
    return top_ups * (1 + len(CHECKOUT_EVENTS))


def summary(results: Sequence[ProfileResult]) -> list[dict[str, Any]]:
    """Per profile and phase: runs clean of runs made, 5xx and transport errors in all, the
    worst run's wall time, PostgreSQL's peak over the runs and the bound."""
    rows = []
    for result in results:
        for phase in PHASES:
            runs = [run for run in result.runs if run.phase == phase]
            if not runs:
                continue
            peaks = [run.pg_peak_connections for run in runs
                     if isinstance(run.pg_peak_connections, int)]
            size = runs[0].top_ups
            rows.append({
                "profile": result.profile, "phase": phase, "top_ups": size,
                "name": "race" if phase == "race" else f"burst of {burst_requests(size)} requests",
                "runs": len(runs), "clean": sum(run_clean(run) for run in runs),
                "server_errors": sum(totals(run).server_errors for run in runs),
                "transport_errors": sum(totals(run).transport_errors for run in runs),
                "worst_wall_seconds": max(run.wall_seconds for run in runs),
                "pg_peak_connections": max(peaks) if peaks else (
                    "n/a" if not result.database else None),
                "db_connection_bound": result.db_connection_bound})
    return rows


def verdicts(rows: Iterable[dict[str, Any]]) -> list[str]:
    return [f"{row['profile']}: {row['name']}: {row['clean']}/{row['runs']} runs clean"
            for row in rows]


def _pg(row: dict[str, Any]) -> str:
    peak, bound = row["pg_peak_connections"], row["db_connection_bound"]
    if peak == "n/a":
        return "n/a"
    return f"{'-' if peak is None else peak} / {'unknown' if bound is None else bound}"


def report_text(results: Sequence[ProfileResult], options: argparse.Namespace) -> str:
    rows = summary(results)
    lines = [f"Verify and webhook bursts, {options.runs} run(s) per profile (the client, the "
             "stack and PostgreSQL share this machine's cores)",
             table(["profile", "phase", "top-ups", "clean/runs", "5xx", "transport errors",
                    "worst wall s", "PG peak / bound"],
                   [[row["profile"], row["phase"], str(row["top_ups"]),
                     f"{row['clean']}/{row['runs']}", str(row["server_errors"]),
                     str(row["transport_errors"]), f"{row['worst_wall_seconds']:.1f}", _pg(row)]
                    for row in rows]), ""]
    for result in results:
        first = [line for run in result.runs for line in totals(run).first_5xx][:FIRST_ERRORS]
        lines += [f"{result.profile}: first 5xx: {line}" for line in first]
        if result.error:
            lines.append(f"{result.profile}: FAILED: {result.error.splitlines()[0]}")
    return "\n".join([*lines, *verdicts(rows)])


def report_json(results: Sequence[ProfileResult], options: argparse.Namespace) -> dict[str, Any]:
    profiles = []
    for result in results:
        body = asdict(result)
        for run, row in zip(result.runs, body["runs"], strict=True):
            row["clean"] = run_clean(run)
            row["totals"] = asdict(totals(run))
        profiles.append(body)
    rows = summary(results)
    return {
        "generated_at": now_iso(),
        "machine": machine() | {"load_average": list(os.getloadavg())},
        "settings": {"runs": options.runs, "top_ups": options.top_ups,
                     "race_top_ups": options.race_top_ups,
                     "burst_requests": burst_requests(options.top_ups),
                     "webhook_events_per_top_up": list(CHECKOUT_EVENTS),
                     "webhook_deadline_seconds": WEBHOOK_DEADLINE_SECONDS,
                     "pg_sample_interval_seconds": SAMPLE_INTERVAL_SECONDS},
        "profiles": profiles,
        "summary": rows,
        "verdicts": verdicts(rows),
    }


# --- command line ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m load.bench_burst",
        description="Boot the reference stack and race verify against the gateway's webhooks, "
        "then burst them together, run after run: 5xx, transport errors, wall time, each "
        "top-up credited once, PostgreSQL's peak connections.")
    stack_options(parser, profiles=list(PROFILES), out=DEFAULT_OUT, logs="stack/burst")
    parser.add_argument("--runs", type=positive, default=10,
                        help="runs per profile, each a race and a burst (default 10)")
    # 100 verifies and the gateway's 300 webhooks: the 400 requests at once that the scaled
    # profile is held to
    parser.add_argument("--top-ups", type=positive, default=100, metavar="N",
                        help="top-ups of the burst: N verifies and the webhooks of N payments, "
                        f"4 x N requests (default 100; at most {MAX_TOP_UPS})")
    parser.add_argument("--race-top-ups", type=positive, default=50, metavar="N",
                        help=f"top-ups of the race (default 50; at most {MAX_TOP_UPS})")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    for name in ("top_ups", "race_top_ups"):
        if getattr(options, name) > MAX_TOP_UPS:
            parser.error(f"--{name.replace('_', '-')} must be at most {MAX_TOP_UPS} (each "
                         f"top-up is two threads of this process at once), got "
                         f"{getattr(options, name)}")
    stack_options_read(parser, options)
    exit_on_sigterm()

    results = each_profile(
        options.profiles, lambda profile: profile_bench(profile, options),
        failed=lambda profile, error: ProfileResult(profile,
                                                    error=f"{type(error).__name__}: {error}"),
        errors=(TargetError, *MEASURE_ERRORS))
    if results is None:
        return 130

    print()
    print(report_text(results, options), flush=True)
    write_json(options.out, report_json(results, options))
    say(f"written to {options.out}")
    unmeasured = [result.profile for result in results if result.error]
    if unmeasured:
        say(f"FAILED: not measured: {', '.join(unmeasured)} (the error is above)")
    return 1 if unmeasured else 0


if __name__ == "__main__":
    sys.exit(main())
