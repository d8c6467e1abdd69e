"""What the standalone benchmarks share: booting the reference stack for one profile, stopping
it on the way out, and polling with a deadline. Imports no Locust."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOT_DEADLINE_SECONDS = 240
STOP_DEADLINE_SECONDS = 60

T = TypeVar("T")


class BenchError(Exception):
    """The benchmark cannot go on; the message says what happened and where to look."""


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def poll(probe: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Call `probe` until it returns something other than None, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    interval = 0.05
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise BenchError(f"{what} did not happen within {timeout:g} s")
        time.sleep(interval)  # poll interval, bounded by the deadline above
        interval = min(interval * 1.5, 0.5)


class BootedStack:
    """`python -m reference.stack boot` for one profile: its state once healthy; stopped on exit.

    `env_defaults` are variables the benchmark sets unless the caller exported them (limits
    that are not what it measures)."""

    def __init__(self, profile: str, log_dir: Path, workers: int | None,
                 env_defaults: dict[str, str] | None = None) -> None:
        self.profile = profile
        self.log_dir = log_dir
        self.state_file = log_dir / "state.json"
        self.launcher_log = log_dir / "launcher.log"
        self.workers = workers
        self.env_defaults = env_defaults or {}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> dict[str, Any]:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> dict[str, Any]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.state_file.unlink()
        argv = [
            sys.executable, "-m", "reference.stack", "boot", "--profile", self.profile,
            "--state-file", str(self.state_file), "--log-dir", str(self.log_dir),
            "--watch-pid", str(os.getpid()),
            # accounts are made before the measurements, long before any code expires; the
            # boot default (short, for the expiry cases) is only a risk on a busy machine
            "--otp-ttl", "600",
        ]
        if self.workers is not None:
            argv += ["--workers", str(self.workers)]
        env = {name: value for name, value in os.environ.items() if name != "LC_PROFILE"}
        for name, value in self.env_defaults.items():
            env.setdefault(name, value)
        with self.launcher_log.open("wb") as log:
            # A session of its own: Ctrl-C reaches the benchmark, which then stops the stack.
            self.process = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        state = poll(self._state, timeout=BOOT_DEADLINE_SECONDS,
                     what=f"the {self.profile} stack's boot (see {self.launcher_log})")
        if "error" in state:
            raise BenchError(f"the {self.profile} stack failed to boot:\n{state['error']}\n"
                             f"logs: {self.log_dir}")
        return state

    def _state(self) -> dict[str, Any] | None:
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())
        if self.process is not None and self.process.poll() is not None:
            raise BenchError(
                f"the stack launcher exited with code {self.process.returncode} before it wrote "
                f"{self.state_file}:\n{self.launcher_log.read_text(errors='replace')[-3000:]}"
            )
        return None

    def stop(self) -> None:
        """SIGTERM the launcher (it stops its children) and wait; kill its group at the deadline."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            say(f"the {self.profile} stack did not stop within {STOP_DEADLINE_SECONDS} s; "
                "killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
