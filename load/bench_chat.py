"""Chat latency benchmark of the reference stack (`make bench-chat`).

Measures, for each profile asked for (default: embedded, then scaled), how long a chat message
takes from one participant's socket to the other's: the customer sends a `chat_message` frame on
`/ws/chat/{room_id}/` and the time runs until support's socket delivers it (stored, seq assigned,
broadcast through the channel layer: in-memory in `embedded`, Redis across workers in
`scaled`). Messages go one at a time (the next once the previous arrived), so the figure is the
latency of one message, not of a queue. The echo to the sender is timed as well.

A room is between an order's customer and support, so the two participants are a customer,
registered the way the app does it (register, OTP from the SMS sandbox, verify:
`load/accounts.py`), and the stack's staff account. The customer makes an address and an order
and opens the order's room.

It boots the stack itself with the stack launcher (`load/target.py`) on free ports (the launcher
watches this process, so a killed benchmark leaves no servers behind) and always stops it. The
sockets' flood limit is not what is measured, so it is raised for the benchmark's stack (a rate
you export wins). It prints p50/p95/p99 per profile and writes them as JSON (default
`reports/out/bench/chat.json`); the exit code is 1 if a message was lost or a profile could not
be measured. It imports nothing of the project outside load/ and never imports locust.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import secrets
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from load.accounts import AccountsError, bearer, customer_register, expect
from load.benchkit import BenchError, each_profile, say, stack_options, stack_options_read
from load.cli import exit_on_sigterm, positive
from load.paths import ORDERS
from load.reporting import machine, now_iso, percentile, table, write_json
from load.target import PROFILES, REPO_ROOT, BootedStack, TargetError

DEFAULT_OUT = REPO_ROOT / "reports" / "out" / "bench" / "chat.json"
UNLIMITED_FRAMES = "100000"

MESSAGE_DEADLINE_SECONDS = 10.0
API_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
INDIA = timezone(timedelta(hours=5, minutes=30))

# --- the two participants and their room -------------------------------------------------------


def customer_of(api: httpx.Client, sandbox: httpx.Client) -> str:
    """A verified customer made as the app makes one; their access token."""
    _, access = customer_register(
        api, sandbox, email=f"bench.chat.{secrets.token_hex(4)}@laundryconnect.test",
        full_name="Bench Customer", label="Bench")
    return access


def staff_login(api: httpx.Client, state: dict[str, Any]) -> str:
    reply = expect(api.post("/api/accounts/auth/login/", json={
        "email": state["staff_email"], "password": state["staff_password"]}),
        HTTPStatus.OK, "logging in the staff account")
    return reply["access"]


def room_open(api: httpx.Client, access: str) -> str:
    """The chat room of a fresh order of the customer whose token is `access`."""
    headers = bearer(access)
    config = expect(api.get("/api/mobile/config/"), HTTPStatus.OK, "reading the app config")
    items = expect(api.get("/api/services/items/", params={"page_size": 100}), HTTPStatus.OK,
                    "reading the catalog")["results"]
    active = [item for item in items if item.get("is_active", True)]
    if not active:
        raise BenchError("the catalog has no active item to order")
    address = expect(api.post("/api/accounts/addresses/", headers=headers, json={
        "label": "home", "address_line1": "12, MG Road", "address_line2": "Indiranagar",
        "city": "Bengaluru", "state": "Karnataka", "pincode": "560038",
        "latitude": 12.9716, "longitude": 77.6412, "is_default": True}),
        HTTPStatus.CREATED, "adding an address")
    order = expect(api.post(ORDERS, headers=headers, json={
        "pickup_address": address["id"],
        "pickup_date": (datetime.now(INDIA) + timedelta(days=1)).date().isoformat(),
        "pickup_time_slot": config["pickup_time_slots"][0],
        "items": [{"service_item": active[0]["id"], "quantity": 1, "notes": ""}],
        "special_instructions": "", "payment_method": "cash"}),
        HTTPStatus.CREATED, "placing an order")
    room = expect(api.post("/api/chat/rooms/", headers=headers, json={"order_id": order["id"]}),
                   (HTTPStatus.CREATED, HTTPStatus.OK), "opening the order's chat room")
    return str(room["id"])


# --- the measurement ---------------------------------------------------------------------------


@dataclass
class Latency:
    messages: int
    min_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        ms = [value * 1000 for value in seconds]
        return cls(messages=len(ms), min_ms=round(min(ms), 2),
                   p50_ms=round(percentile(ms, 0.50), 2), p95_ms=round(percentile(ms, 0.95), 2),
                   p99_ms=round(percentile(ms, 0.99), 2), mean_ms=round(sum(ms) / len(ms), 2),
                   max_ms=round(max(ms), 2))


@dataclass
class ProfileResult:
    profile: str
    boot_seconds: float | None = None
    workers: int | None = None
    channel_layer: str = ""
    messages: int = 0
    warmup: int = 0
    seconds: float | None = None
    messages_per_s: float | None = None
    to_other: Latency | None = None  # customer's socket -> support's socket (the headline)
    echo: Latency | None = None  # customer's socket -> back to the customer's own socket
    lost: int = 0
    out_of_order: int = 0
    # the machine's 1-minute load average before and after the measured run: the client and
    # the stack share its CPUs, and a figure taken on a busy machine should say so
    load_before: float | None = None
    load_after: float | None = None
    error: str = ""


class Inbox:
    """Reads one socket in the background and records when each message (by client id)
    arrived, and in which seq order."""

    def __init__(self, connection: ClientConnection, name: str) -> None:
        self.connection = connection
        self.name = name
        self.arrived: dict[str, float] = {}
        self.seqs: list[int] = []
        self.waiters: dict[str, asyncio.Future] = {}
        self.task = asyncio.create_task(self._read(), name=f"read {name}")

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for text in self.connection:
                at = time.perf_counter()
                frame = json.loads(text)
                if frame.get("type") != "chat_message":
                    continue
                message = frame["message"]
                self.seqs.append(message["seq"])
                client_id = message.get("client_id") or ""
                self.arrived[client_id] = at
                waiter = self.waiters.pop(client_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(at)

    async def wait_for(self, client_id: str, timeout: float) -> float:
        if client_id in self.arrived:
            return self.arrived[client_id]
        waiter = asyncio.get_running_loop().create_future()
        self.waiters[client_id] = waiter
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except TimeoutError:
            raise BenchError(f"message {client_id} did not reach the {self.name} socket within "
                             f"{timeout:g} s") from None

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def _open(ws_url: str, room_id: str, access: str, name: str) -> ClientConnection:
    url = f"{ws_url}/ws/chat/{quote(room_id, safe='')}/?token={quote(access, safe='')}"
    connection = await connect(url, open_timeout=10, close_timeout=5, compression=None,
                               max_queue=None, ping_interval=None, proxy=None)
    async with asyncio.timeout(10):
        first = json.loads(await connection.recv())
    if first.get("type") != "connection_established":
        await connection.close()
        raise BenchError(f"the {name} socket greeted with {first!r}, not connection_established")
    return connection


async def latencies(ws_url: str, room_id: str, customer: str, staff: str, *,
                    messages: int, warmup: int) -> tuple[list[float], list[float], float,
                                                         list[int]]:
    """Sends `warmup` + `messages` messages one at a time from the customer's socket; the
    latency of each measured one to support's socket and back to the sender, the measured
    run's wall time, and the seqs support's socket delivered."""
    sender = await _open(ws_url, room_id, customer, "customer")
    try:
        receiver = await _open(ws_url, room_id, staff, "support")
        try:
            own, other = Inbox(sender, "customer"), Inbox(receiver, "support")
            to_other: list[float] = []
            echo: list[float] = []
            started = 0.0
            try:
                for number in range(warmup + messages):
                    if number == warmup:
                        started = time.perf_counter()
                    client_id = f"bench-{number}-{secrets.token_hex(4)}"
                    frame = {"type": "chat_message", "client_id": client_id,
                             "message": f"Benchmark message {number}"}
                    sent = time.perf_counter()
                    await sender.send(json.dumps(frame))
                    arrived = await other.wait_for(client_id, MESSAGE_DEADLINE_SECONDS)
                    echoed = await own.wait_for(client_id, MESSAGE_DEADLINE_SECONDS)
                    if number >= warmup:
                        to_other.append(arrived - sent)
                        echo.append(echoed - sent)
                wall = time.perf_counter() - started
                return to_other, echo, wall, list(other.seqs)
            finally:
                await own.stop()
                await other.stop()
        finally:
            await receiver.close()
    finally:
        await sender.close()


def profile_bench(profile: str, options: argparse.Namespace) -> ProfileResult:
    result = ProfileResult(profile, messages=options.messages, warmup=options.warmup)
    say(f"booting the {profile} stack")
    # one message at a time is far below a flood, but faster than a person types: the
    # per-socket frame limit is not what is measured
    stack = BootedStack(profile, options.log_dir / profile, workers=options.workers,
                        env_defaults={"LC_WS_FLOOD_RATE": UNLIMITED_FRAMES,
                                      "LC_WS_FLOOD_BURST": UNLIMITED_FRAMES})
    with stack:
        state = stack.state
        result.boot_seconds = state.get("boot_seconds")
        result.workers = state.get("workers")
        result.channel_layer = "Redis" if profile == "scaled" else "in-memory"
        say(f"{profile} stack up in {result.boot_seconds} s ({result.workers} worker(s)); "
            "registering the customer, opening a room")
        with (
            httpx.Client(base_url=state["base_url"], timeout=API_TIMEOUT, trust_env=False) as api,
            httpx.Client(base_url=state["sandbox_url"], timeout=API_TIMEOUT,
                         trust_env=False) as sandbox,
        ):
            customer = customer_of(api, sandbox)
            staff = staff_login(api, state)
            room_id = room_open(api, customer)
        say(f"room {room_id}: {options.warmup} warm-up and {options.messages} measured "
            "messages, customer -> support, one at a time")
        result.load_before = round(os.getloadavg()[0], 2)
        to_other, echo, wall, seqs = asyncio.run(latencies(
            state["ws_url"], room_id, customer, staff, messages=options.messages,
            warmup=options.warmup))
        result.load_after = round(os.getloadavg()[0], 2)
        result.seconds = round(wall, 3)
        result.messages_per_s = round(len(to_other) / wall, 1) if wall else None
        result.to_other = Latency.of(to_other)
        result.echo = Latency.of(echo)
        result.out_of_order = sum(1 for a, b in itertools.pairwise(seqs) if b != a + 1)
        result.lost = options.warmup + options.messages - len(seqs)
    say(f"{profile} stack stopped")
    return result


# --- report ------------------------------------------------------------------------------------


def report_text(results: list[ProfileResult]) -> str:
    rows = []
    for result in results:
        for label, latency in (("to support", result.to_other), ("echo", result.echo)):
            if latency is None:
                continue
            rows.append([result.profile, label, str(latency.messages), f"{latency.p50_ms:.1f}",
                         f"{latency.p95_ms:.1f}", f"{latency.p99_ms:.1f}",
                         f"{latency.mean_ms:.1f}", f"{latency.max_ms:.1f}",
                         f"{result.messages_per_s or 0:.0f}", str(result.lost)])
    parts = ["Chat message latency over /ws/chat/{room_id}/ (send on the customer's socket, "
             "delivered on support's; one message at a time)",
             table(["profile", "path", "messages", "p50 ms", "p95 ms", "p99 ms", "mean ms",
                     "max ms", "msg/s", "lost"], rows)]
    parts += [f"{result.profile}: boot {result.boot_seconds} s, {result.workers} worker(s), "
              f"{result.channel_layer} channel layer; load average {result.load_before} before, "
              f"{result.load_after} after, on {os.cpu_count()} CPUs"
              for result in results if not result.error]
    parts += [f"{result.profile}: FAILED: {result.error.splitlines()[0]}"
              for result in results if result.error]
    return "\n".join(parts)


def report_json(results: list[ProfileResult], options: argparse.Namespace) -> dict[str, Any]:
    return {
        "generated_at": now_iso(),
        "machine": machine(),
        "settings": {"messages": options.messages, "warmup": options.warmup,
                     "path": "customer socket -> support socket, /ws/chat/{room_id}/",
                     "frame_limit": os.environ.get("LC_WS_FLOOD_RATE", UNLIMITED_FRAMES)},
        "profiles": [asdict(result) for result in results],
    }


# --- command line ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m load.bench_chat",
        description="Boot the reference stack and measure the latency of chat messages from one "
        "participant's socket to the other's.",
    )
    stack_options(parser, profiles=list(PROFILES), out=DEFAULT_OUT, logs="stack/chat")
    parser.add_argument("--messages", type=positive, default=300, metavar="N",
                        help="measured messages per profile (default 300)")
    parser.add_argument("--warmup", type=int, default=20, metavar="N",
                        help="messages sent first and left out of the figures (default 20)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    if options.warmup < 0:
        parser.error("--warmup must be 0 or more")
    stack_options_read(parser, options)
    exit_on_sigterm()

    results = each_profile(
        options.profiles, lambda profile: profile_bench(profile, options),
        failed=lambda profile, error: ProfileResult(profile,
                                                    error=f"{type(error).__name__}: {error}"),
        errors=(BenchError, TargetError, AccountsError, OSError, ConnectionClosed))
    if results is None:
        return 130

    print()
    print(report_text(results), flush=True)
    write_json(options.out, report_json(results, options))
    say(f"written to {options.out}")
    lost = sum(result.lost + result.out_of_order for result in results)
    unmeasured = [result.profile for result in results if result.error]
    if lost:
        say(f"FAILED: {lost} message(s) lost or delivered out of order (see the JSON)")
    if unmeasured:
        say(f"FAILED: not measured: {', '.join(unmeasured)} (the error is above)")
    return 1 if lost or unmeasured else 0


if __name__ == "__main__":
    sys.exit(main())
