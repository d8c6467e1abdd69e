"""wrk, the HTTP load generator of the benchmarks (`make wrk` installs it): running it, and
the figures of its report. Imports no Locust."""

from __future__ import annotations

import argparse
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from load.benchkit import BenchError

WRK_GRACE_SECONDS = 60  # beyond the run's duration, before a wrk that does not end is killed

MS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
TIME = r"([\d.]+)(us|ms|s|m|h)"
TOTAL = re.compile(rf"^\s*(\d+) requests in {TIME},", re.MULTILINE)
RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses: (\d+)", re.MULTILINE)
SOCKET_ERRORS = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE)
SOCKET_ERROR_KINDS = ("connect", "read", "write", "timeout")


@dataclass(frozen=True)
class WrkFigures:
    """What one wrk run says; wrk leaves out the error lines when there were none."""

    requests: int
    seconds: float
    requests_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    non_2xx: int
    socket_errors: dict[str, int]

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


def milliseconds(value: str, unit: str) -> float:
    return round(float(value) * MS_PER_UNIT[unit], 3)


def wrk_parse(text: str) -> WrkFigures:
    """The figures of wrk's report (run with `--latency`); BenchError quoting the report when it
    has no request count or rate."""
    total, rate = TOTAL.search(text), RATE.search(text)
    if total is None or rate is None:
        raise BenchError(f"could not read wrk's report (no request count or rate):\n{text[-800:]}")

    def share(percent: int) -> float | None:
        match = re.search(rf"^\s+{percent}%\s+{TIME}\s*$", text, re.MULTILINE)
        return milliseconds(*match.groups()) if match else None

    non_2xx = NON_2XX.search(text)
    socket = SOCKET_ERRORS.search(text)
    return WrkFigures(
        requests=int(total.group(1)),
        seconds=round(milliseconds(total.group(2), total.group(3)) / 1000, 3),
        requests_per_s=float(rate.group(1)), p50_ms=share(50), p99_ms=share(99),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(zip(SOCKET_ERROR_KINDS,
                               (int(count) for count in socket.groups()) if socket else
                               (0,) * len(SOCKET_ERROR_KINDS), strict=True)))


def wrk_duration(text: str) -> str:
    """An option's wrk duration: a whole number of seconds, or with s, m or h."""
    if not re.fullmatch(r"[1-9]\d*[smh]?", text):
        raise argparse.ArgumentTypeError(f"expected a duration such as 12s, 2m or 30, got {text!r}")
    return text


def duration_seconds(duration: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([smh]?)", duration).groups()
    return int(number) * {"": 1, "s": 1, "m": 60, "h": 3600}[unit]


def wrk_run(url: str, headers: Mapping[str, str], *, connections: int, threads: int,
            duration: str) -> WrkFigures:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}",
            "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    try:
        finished = subprocess.run(
            [*argv, url], capture_output=True, text=True, check=False,
            timeout=duration_seconds(duration) + WRK_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk on {url} did not end within {duration} and "
                         f"{WRK_GRACE_SECONDS} s more") from None
    if finished.returncode != 0:
        raise BenchError(f"wrk on {url} exited with code {finished.returncode}:\n"
                         f"{(finished.stdout + finished.stderr)[-800:]}")
    return wrk_parse(finished.stdout)
