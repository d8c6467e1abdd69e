"""The backend a load run aims at: one given by URL, or the reference stack booted for the run.

`BootedStack` runs `python -m reference.stack boot` (free loopback ports; the launcher watches
this process, so a killed run leaves no servers behind) and hands back the state it writes once
every part is healthy; leaving the `with` block stops it. Only the launcher is run, as a child
process: nothing of the reference backend is imported. No Locust here either.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOT_DEADLINE_SECONDS = 240
STOP_DEADLINE_SECONDS = 60


class TargetError(Exception):
    """The target cannot be used; the message says why and where to look."""


@dataclass(frozen=True)
class Target:
    base_url: str
    sandbox_url: str
    ws_url: str = ""
    profile: str = "target"
    workers: int | None = None

    @classmethod
    def of_state(cls, state: dict[str, Any]) -> Target:
        return cls(state["base_url"], state["sandbox_url"], state.get("ws_url") or "",
                   state.get("profile") or "target", state.get("workers"))


class BootedStack:
    """`python -m reference.stack boot --profile P` for the length of a `with` block."""

    def __init__(self, profile: str, log_dir: Path, *, workers: int | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.profile = profile
        self.log_dir = log_dir
        self.workers = workers
        self.extra_env = env or {}
        self.state_file = log_dir / "state.json"
        self.launcher_log = log_dir / "launcher.log"
        self.process: subprocess.Popen | None = None
        self.state: dict[str, Any] = {}

    def __enter__(self) -> Target:
        try:
            self.state = self.start()
        except BaseException:
            self.stop()
            raise
        return Target.of_state(self.state)

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> dict[str, Any]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.state_file.unlink()
        argv = [sys.executable, "-m", "reference.stack", "boot", "--profile", self.profile,
                "--state-file", str(self.state_file), "--log-dir", str(self.log_dir),
                "--watch-pid", str(os.getpid()),
                # accounts are made right after the boot; the boot default (8 s) is for the
                # expiry cases of the suites
                "--otp-ttl", "600"]
        if self.workers is not None:
            argv += ["--workers", str(self.workers)]
        env = {name: value for name, value in os.environ.items() if name != "LC_PROFILE"}
        env.update(self.extra_env)
        with self.launcher_log.open("wb") as log:
            # a session of its own: Ctrl-C reaches this process, which then stops the stack
            self.process = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + BOOT_DEADLINE_SECONDS
        while not self.state_file.exists():
            if self.process.poll() is not None:
                raise TargetError(
                    f"the stack launcher exited with code {self.process.returncode} before it "
                    f"was healthy:\n{self.launcher_log.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                raise TargetError(f"the {self.profile} stack did not boot within "
                                  f"{BOOT_DEADLINE_SECONDS} s (see {self.launcher_log})")
            time.sleep(0.2)  # poll for the state file, bounded by the deadline above
        state = json.loads(self.state_file.read_text())
        if "error" in state:
            raise TargetError(f"the {self.profile} stack failed to boot:\n{state['error']}")
        return state

    def stop(self) -> None:
        """SIGTERM the launcher (it stops its children); kill its group at the deadline."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
