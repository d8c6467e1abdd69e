"""Upload benchmark of the reference stack (`make bench-upload`).

Measures, for each profile asked for, how many photo uploads per second go through the whole
pipeline (`POST /api/mobile/upload-image/`: the body limit, Pillow's decode and re-encode, the
thumbnail, the storage: local files in `embedded`, moto's S3 in `scaled`), one client at a time
and with a few at once, and how much memory the backend's processes take during a burst of
concurrent 5 MB uploads. It prints a table and writes it as JSON
(default `reports/out/bench/upload.json`); the exit code is 1 if any upload failed.

It boots the stack itself with the stack launcher (`load/target.py`) on free ports (the launcher
also watches this process, so a killed benchmark leaves no servers behind), and registers its
customers the way the app does: register, read the OTP from the SMS sandbox, verify it
(`load/accounts.py`). The client runs on the same machine as the server, in threads with httpx:
it measures the stack on this machine, not a production deployment. It imports nothing of the
project outside load/ and never imports locust.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import secrets
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Any

import httpx
from PIL import Image

from load.accounts import AccountsError, customer_register
from load.benchkit import BenchError, each_profile, say, stack_options, stack_options_read
from load.cli import exit_on_sigterm, positive
from load.proc import SAMPLE_INTERVAL_SECONDS, MemorySampler, OtherCpu, tree_memory
from load.reporting import machine, now_iso, percentile, table, write_json
from load.target import REPO_ROOT, BootedStack, TargetError

DEFAULT_OUT = REPO_ROOT / "reports" / "out" / "bench" / "upload.json"
UPLOAD_PATH = "/api/mobile/upload-image/"
UPLOAD_LIMIT_BYTES = 5_242_880
UNTHROTTLED = "100000/min"
MB = 1_000_000  # sizes and rates are in decimal megabytes; the 5 MB photo stays under 5 MiB

PROGRESS_EVERY_SECONDS = 2.0
UPLOAD_TIMEOUT = httpx.Timeout(180.0, connect=10.0)
API_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


# --- photos ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    label: str
    data: bytes
    width: int
    height: int

    @property
    def size(self) -> int:
        return len(self.data)


def photo_make(megabytes: int) -> Photo:
    """A JPEG of `megabytes` MB (up to 3 % more, always under the 5 MiB limit), with the pixel
    count of a phone photo of that weight: 2048x1536 up to 2 MB, 4000x3000 above.

    Each channel is a gradient blended with Gaussian noise, which JPEG cannot squeeze: the more
    noise, the heavier the file. The share of noise is found by interpolation between a lighter
    and a heavier try (the noise is made once; a try is a blend and an encode).
    """
    target = megabytes * MB
    ceiling = min(int(target * 1.03), UPLOAD_LIMIT_BYTES - 64 * 1024)
    if target > ceiling:
        raise BenchError(f"a {megabytes} MB photo cannot stay under the {UPLOAD_LIMIT_BYTES} B "
                         "upload limit; choose smaller --sizes")
    size = (2048, 1536) if megabytes <= 2 else (4000, 3000)
    gradient = Image.linear_gradient("L")
    bases = [gradient.rotate(90 * band).resize(size) for band in range(3)]
    noises = [Image.effect_noise(size, 64) for _ in range(3)]

    def jpeg(share: float) -> bytes:
        bands = [Image.blend(base, noise, share) for base, noise in zip(bases, noises, strict=True)]
        out = io.BytesIO()
        Image.merge("RGB", bands).save(out, "JPEG", quality=90)
        return out.getvalue()

    low, high = (0.0, len(jpeg(0.0))), (1.0, len(jpeg(1.0)))
    if high[1] < target:
        raise BenchError(f"even full noise at {size[0]}x{size[1]} makes only {high[1]} B, less "
                         f"than the {target} B asked for")
    data = b""
    for _ in range(40):
        share = low[0] + (high[0] - low[0]) * (target - low[1]) / (high[1] - low[1])
        # A step of at least a tenth of the interval: interpolation alone can crawl on one side.
        tenth = (high[0] - low[0]) / 10
        share = min(max(share, low[0] + tenth), high[0] - tenth)
        data = jpeg(share)
        if target <= len(data) <= ceiling:
            return Photo(f"{megabytes} MB", data, *size)
        if len(data) < target:
            low = (share, len(data))
        else:
            high = (share, len(data))
    raise BenchError(f"could not make a {megabytes} MB photo (last try {len(data)} B)")


# --- customers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    phone_number: str
    access: str


def customers_register(state: dict[str, Any], count: int) -> list[Customer]:
    """`count` verified customers, one after the other: each registration hashes a password
    with Argon2 (about 100 MB for a moment), which must not land in the burst's memory
    figures."""
    customers = []
    with (
        httpx.Client(base_url=state["base_url"], timeout=API_TIMEOUT, trust_env=False) as api,
        httpx.Client(base_url=state["sandbox_url"], timeout=API_TIMEOUT, trust_env=False) as sms,
    ):
        for serial in range(count):
            account, access = customer_register(
                api, sms, email=f"bench.{secrets.token_hex(4)}.{serial}@laundryconnect.test",
                full_name=f"Bench Customer {serial}", label="Bench")
            customers.append(Customer(account["phone_number"], access))
    return customers


# --- uploads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    seconds: float
    status: int | None  # None: no reply (connection error or timeout)
    detail: str = ""
    reply: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.CREATED and bool(self.reply and self.reply.get("id"))


def upload(http: httpx.Client, customer: Customer, photo: Photo) -> Outcome:
    headers = {"Authorization": f"Bearer {customer.access}"}
    files = {"image": ("photo.jpg", photo.data, "image/jpeg")}
    started = time.perf_counter()
    try:
        response = http.post(UPLOAD_PATH, files=files, headers=headers)
    except httpx.HTTPError as error:
        return Outcome(time.perf_counter() - started, None, f"{type(error).__name__}: {error}")
    seconds = time.perf_counter() - started
    reply = None
    with contextlib.suppress(ValueError):
        reply = response.json()
    if not isinstance(reply, dict):
        reply = None
    detail = "" if response.status_code == HTTPStatus.CREATED else response.text[:500]
    return Outcome(seconds, response.status_code, detail, reply)


class Progress:
    """Prints how far a run is: every few seconds, and when it is done."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, total
        self.done = 0
        self.failed = 0
        self.started = self.shown = time.perf_counter()
        self.lock = threading.Lock()

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.done += 1
            self.failed += not outcome.ok
            now = time.perf_counter()
            if now - self.shown >= PROGRESS_EVERY_SECONDS or self.done == self.total:
                self.shown = now
                failed = f", {self.failed} failed" if self.failed else ""
                say(f"  {self.label}: {self.done}/{self.total} uploads, "
                    f"{now - self.started:.1f} s{failed}")


def uploads_run(
    base_url: str,
    customers: list[Customer],
    photo: Photo,
    *,
    concurrency: int,
    uploads_each: int,
    label: str,
) -> tuple[float, list[Outcome]]:
    """`concurrency` clients, each with its own connection and its own share of the customers
    (so that a per-user throttle does not meet them), upload `photo` `uploads_each` times,
    starting together; returns the wall time and the outcomes."""
    progress = Progress(label, concurrency * uploads_each)
    started: list[float] = []
    barrier = threading.Barrier(concurrency, action=lambda: started.append(time.perf_counter()))
    cancelled = threading.Event()

    def client(index: int) -> list[Outcome]:
        mine = customers[index::concurrency] or customers
        outcomes = []
        with httpx.Client(base_url=base_url, timeout=UPLOAD_TIMEOUT, trust_env=False) as http:
            barrier.wait(timeout=60)
            for serial in range(uploads_each):
                if cancelled.is_set():
                    break
                outcome = upload(http, mine[serial % len(mine)], photo)
                progress.add(outcome)
                outcomes.append(outcome)
        return outcomes

    with ThreadPoolExecutor(concurrency, thread_name_prefix="upload") as pool:
        results = [pool.submit(client, index) for index in range(concurrency)]
        try:
            outcomes = [outcome for result in results for outcome in result.result()]
        except BaseException:
            # Ctrl-C or a broken client: the others stop after their current upload.
            cancelled.set()
            barrier.abort()
            raise
    return time.perf_counter() - started[0], outcomes


@dataclass
class RunResult:
    profile: str
    photo: str
    photo_bytes: int
    concurrency: int
    uploads: int
    seconds: float
    uploads_per_s: float
    mb_per_s: float
    p50_ms: float
    p95_ms: float
    failures: int
    statuses: dict[str, int]
    first_failure: str = ""


def run_result(
    profile: str, photo: Photo, concurrency: int, seconds: float, outcomes: list[Outcome]
) -> RunResult:
    ok = [outcome for outcome in outcomes if outcome.ok]
    latencies = [outcome.seconds * 1000 for outcome in outcomes]
    failed = [outcome for outcome in outcomes if not outcome.ok]
    return RunResult(
        profile=profile,
        photo=photo.label,
        photo_bytes=photo.size,
        concurrency=concurrency,
        uploads=len(outcomes),
        seconds=round(seconds, 3),
        uploads_per_s=round(len(ok) / seconds, 2),
        mb_per_s=round(len(ok) * photo.size / MB / seconds, 2),
        p50_ms=round(percentile(latencies, 0.50), 1),
        p95_ms=round(percentile(latencies, 0.95), 1),
        failures=len(failed),
        statuses=dict(Counter(str(outcome.status) for outcome in outcomes)),
        first_failure=failed[0].detail if failed else "",
    )


# --- memory ------------------------------------------------------------------------------------


@dataclass
class BurstResult:
    profile: str
    photo: str
    photo_bytes: int
    concurrency: int
    uploads: int
    failures: int
    seconds: float
    processes: int
    rss_before_mb: float
    rss_peak_mb: float
    hwm_before_mb: float
    hwm_after_mb: float
    samples: int
    s3_rss_before_mb: float | None = None
    s3_rss_after_mb: float | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    first_failure: str = ""


def burst_measure(
    state: dict[str, Any], customers: list[Customer], photo: Photo, concurrency: int
) -> BurstResult:
    """`concurrency` uploads of `photo` at once, while the backend's memory is sampled."""
    backend = state["processes"]["backend"]
    s3 = state["processes"].get("s3")
    before = tree_memory(backend)
    s3_before = tree_memory(s3).rss_mb if s3 else None
    sampler = MemorySampler(backend)
    label = f"{state['profile']} burst {photo.label} x{concurrency}"
    with sampler:
        seconds, outcomes = uploads_run(
            state["base_url"], customers, photo, concurrency=concurrency, uploads_each=1,
            label=label,
        )
    after = tree_memory(backend)
    failed = [outcome for outcome in outcomes if not outcome.ok]
    return BurstResult(
        profile=state["profile"],
        photo=photo.label,
        photo_bytes=photo.size,
        concurrency=concurrency,
        uploads=len(outcomes),
        failures=len(failed),
        seconds=round(seconds, 3),
        processes=before.processes,
        rss_before_mb=before.rss_mb,
        rss_peak_mb=max(sampler.peak_mb, after.rss_mb),
        hwm_before_mb=before.hwm_mb,
        hwm_after_mb=after.hwm_mb,
        samples=len(sampler.samples),
        s3_rss_before_mb=s3_before,
        s3_rss_after_mb=tree_memory(s3).rss_mb if s3 else None,
        statuses=dict(Counter(str(outcome.status) for outcome in outcomes)),
        first_failure=failed[0].detail if failed else "",
    )


# --- one profile -------------------------------------------------------------------------------


@dataclass
class ProfileResult:
    profile: str
    boot_seconds: float | None = None
    workers: int | None = None
    storage: str = ""
    customers: int = 0
    image_fetch: str = ""
    runs: list[RunResult] = field(default_factory=list)
    burst: BurstResult | None = None
    # The share of the machine's CPUs that processes other than this benchmark, its stack,
    # PostgreSQL and Redis took while it measured: a figure taken beside other work says so.
    other_cpu_share: float | None = None
    error: str = ""


def _check_upload_works(state: dict[str, Any], customer: Customer, photo: Photo) -> str:
    """Upload once and fetch the stored image; raise if the upload fails, say how the fetch went."""
    with httpx.Client(base_url=state["base_url"], timeout=UPLOAD_TIMEOUT,
                      trust_env=False) as http:
        outcome = upload(http, customer, photo)
        if not outcome.ok:
            hint = (" (the backend has no upload endpoint)"
                    if outcome.status == HTTPStatus.NOT_FOUND else "")
            raise BenchError(f"POST {UPLOAD_PATH} answered {outcome.status}, not 201{hint}:\n"
                             f"{outcome.detail}")
        url = str((outcome.reply or {}).get("url") or "")
        if not url:
            return "no url in the reply"
        fetched = http.get(url)  # a relative url joins the base; an absolute one stands
        kind = fetched.headers.get("content-type", "")
        return f"{fetched.status_code} {kind} {len(fetched.content)} B from {url.split('?')[0]}"


def profile_bench(profile: str, photos: list[Photo], options: argparse.Namespace) -> ProfileResult:
    result = ProfileResult(profile)
    concurrencies = sorted(set(options.concurrency))
    customer_count = max(max(concurrencies), options.burst)
    say(f"booting the {profile} stack")
    # the per-user upload throttle is not what is measured
    stack = BootedStack(profile, options.log_dir / profile, workers=options.workers,
                        env_defaults={"LC_THROTTLE_UPLOAD": UNTHROTTLED})
    with stack:
        state = stack.state
        result.boot_seconds = state.get("boot_seconds")
        result.workers = state.get("workers")
        result.storage = f"S3 {state['s3_url']}" if state.get("s3_url") else "local files"
        say(f"{profile} stack up in {result.boot_seconds} s ({result.workers} worker(s), "
            f"media: {result.storage}); registering {customer_count} customers")
        started = time.perf_counter()
        customers = customers_register(state, customer_count)
        result.customers = len(customers)
        say(f"{len(customers)} customers registered and verified in "
            f"{time.perf_counter() - started:.1f} s")
        result.image_fetch = _check_upload_works(state, customers[0], photos[0])
        say(f"first upload: 201; stored image fetched: {result.image_fetch}")
        others = OtherCpu(ours={os.getpid(), state["pid"]})
        # A warm-up the figures leave out: the first requests of each worker import and cache.
        uploads_run(state["base_url"], customers, photos[0], concurrency=max(concurrencies),
                    uploads_each=1, label=f"{profile} warm-up")
        # The burst comes first, so that the high-water marks after it speak of the burst and
        # not of the throughput runs (registration's Argon2 peak is in the "before" already).
        largest = max(photos, key=lambda photo: photo.size)
        result.burst = burst_measure(state, customers, largest, options.burst)
        for photo in photos:
            for concurrency in concurrencies:
                label = f"{profile} {photo.label} x{concurrency}"
                seconds, outcomes = uploads_run(
                    state["base_url"], customers, photo, concurrency=concurrency,
                    uploads_each=options.uploads, label=label,
                )
                result.runs.append(run_result(profile, photo, concurrency, seconds, outcomes))
        result.other_cpu_share = others.share()
    say(f"{profile} stack stopped")
    return result


# --- report ------------------------------------------------------------------------------------


def report_text(results: list[ProfileResult]) -> str:
    runs = [run for result in results for run in result.runs]
    throughput = table(
        ["profile", "photo", "clients", "uploads", "seconds", "uploads/s", "MB/s", "p50 ms",
         "p95 ms", "failures"],
        [[run.profile, run.photo, str(run.concurrency), str(run.uploads), f"{run.seconds:.2f}",
          f"{run.uploads_per_s:.2f}", f"{run.mb_per_s:.2f}", f"{run.p50_ms:.0f}",
          f"{run.p95_ms:.0f}", str(run.failures)] for run in runs],
    )
    bursts = [result.burst for result in results if result.burst]
    memory = table(
        ["profile", "burst", "failures", "seconds", "procs", "RSS before MB", "RSS peak MB",
         "HWM before MB", "HWM after MB", "S3 RSS before/after MB"],
        [[burst.profile, f"{burst.concurrency} x {burst.photo}", str(burst.failures),
          f"{burst.seconds:.2f}", str(burst.processes), f"{burst.rss_before_mb:.0f}",
          f"{burst.rss_peak_mb:.0f}", f"{burst.hwm_before_mb:.0f}", f"{burst.hwm_after_mb:.0f}",
          (f"{burst.s3_rss_before_mb:.0f} / {burst.s3_rss_after_mb:.0f}"
           if burst.s3_rss_before_mb is not None and burst.s3_rss_after_mb is not None
           else "-")] for burst in bursts],
    )
    parts = ["Uploads through POST /api/mobile/upload-image/ (MB = 10^6 bytes of photo sent)",
             throughput, "",
             "Backend memory during the burst (sum over the backend's process tree; RSS sampled "
             f"every {SAMPLE_INTERVAL_SECONDS * 1000:.0f} ms; HWM = sum of each process's VmHWM)",
             memory]
    parts += [f"{result.profile}: boot {result.boot_seconds} s, {result.workers} worker(s), "
              f"media {result.storage}; other processes took "
              f"{(result.other_cpu_share or 0) * 100:.0f} % of the {os.cpu_count()} CPUs "
              "meanwhile" for result in results if not result.error]
    # The whole error was printed when it happened; the summary names it in one line.
    parts += [f"{result.profile}: FAILED: {result.error.splitlines()[0]}"
              for result in results if result.error]
    return "\n".join(parts)


def report_json(results: list[ProfileResult], photos: list[Photo],
                options: argparse.Namespace) -> dict[str, Any]:
    return {
        "generated_at": now_iso(),
        "machine": machine(),
        "settings": {"uploads_per_client": options.uploads, "concurrency": options.concurrency,
                     "burst": options.burst, "upload_path": UPLOAD_PATH,
                     "upload_throttle": os.environ.get("LC_THROTTLE_UPLOAD", UNTHROTTLED),
                     "mb": "10^6 bytes of photo sent"},
        "photos": [{"label": photo.label, "bytes": photo.size, "width": photo.width,
                    "height": photo.height} for photo in photos],
        "profiles": [asdict(result) for result in results],
    }


# --- command line ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m load.bench_upload",
        description="Boot the reference stack and measure photo uploads per second and the "
        "backend's peak memory during a burst of concurrent uploads.",
    )
    stack_options(parser, profiles=["embedded"], out=DEFAULT_OUT, logs="stack")
    parser.add_argument("--sizes", nargs="+", type=positive, default=[1, 5], metavar="MB",
                        help="photo sizes in MB, under the 5 MiB limit (default 1 5)")
    parser.add_argument("--concurrency", nargs="+", type=positive, default=[1, 4],
                        metavar="N", help="concurrent clients of each run (default 1 4)")
    parser.add_argument("--uploads", type=positive, default=10, metavar="N",
                        help="uploads per client in each run (default 10)")
    parser.add_argument("--burst", type=positive, default=20, metavar="N",
                        help="concurrent uploads of the largest photo while memory is sampled "
                        "(default 20)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    stack_options_read(parser, options)
    exit_on_sigterm()

    say(f"making photos of {', '.join(f'{size} MB' for size in options.sizes)}")
    try:
        photos = [photo_make(size) for size in sorted(set(options.sizes))]
    except BenchError as error:
        say(f"error: {error}")
        return 2
    say("photos: " + ", ".join(f"{photo.label} = {photo.size} B {photo.width}x{photo.height}"
                               for photo in photos))

    results = each_profile(options.profiles,
                           lambda profile: profile_bench(profile, photos, options),
                           failed=lambda profile, error: ProfileResult(profile, error=str(error)),
                           errors=(BenchError, TargetError, AccountsError))
    if results is None:
        return 130

    print()
    print(report_text(results), flush=True)
    write_json(options.out, report_json(results, photos, options))
    say(f"written to {options.out}")
    failures = sum(run.failures for result in results for run in result.runs)
    failures += sum(result.burst.failures for result in results if result.burst)
    unmeasured = [result.profile for result in results if result.error]
    if failures:
        say(f"FAILED: {failures} upload(s) did not get 201 (see the statuses in the JSON)")
    if unmeasured:
        say(f"FAILED: not measured: {', '.join(unmeasured)} (the error is above)")
    return 1 if failures or unmeasured else 0


if __name__ == "__main__":
    sys.exit(main())
