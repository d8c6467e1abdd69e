"""The backend a load run aims at: one given by URL, or the reference stack booted for the run.

`BootedStack` runs the stack launcher's `boot` (`python -m <LAUNCHER> boot`: free loopback
ports; the launcher watches this process, so a killed run leaves no servers behind) and hands
back the target once every part is healthy, with the state the launcher wrote; leaving the
`with` block stops it. Only the launcher is run, as a child process: nothing of the reference
backend is imported. No Locust here either. The load run, the benchmarks and the load smoke test
all boot their stacks here.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from load.polling import poll

REPO_ROOT = Path(__file__).resolve().parent.parent
# The stack launcher's module, run with `python -m`: the one place load/ names it.
LAUNCHER = "stack"
PROFILES = ("embedded", "scaled")
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
    """The reference stack of one profile for the length of a `with` block, which gets its
    `Target`; `state` is all the launcher wrote (processes, staff account, boot time...).

    `env_defaults` are variables set for the stack unless the caller exported them (limits that
    are not what a benchmark measures)."""

    def __init__(self, profile: str, log_dir: Path, *, workers: int | None = None,
                 env_defaults: dict[str, str] | None = None) -> None:
        self.profile = profile
        self.log_dir = log_dir
        self.workers = workers
        self.env_defaults = env_defaults or {}
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
        argv = [sys.executable, "-m", LAUNCHER, "boot", "--profile", self.profile,
                "--state-file", str(self.state_file), "--log-dir", str(self.log_dir),
                "--watch-pid", str(os.getpid()),
                # accounts are made right after the boot, long before any code expires; the
                # boot default (8 s) is for the expiry cases of the suites
                "--otp-ttl", "600"]
        if self.workers is not None:
            argv += ["--workers", str(self.workers)]
        env = {name: value for name, value in os.environ.items() if name != "LC_PROFILE"}
        for name, value in self.env_defaults.items():
            env.setdefault(name, value)
        with self.launcher_log.open("wb") as log:
            # a session of its own: Ctrl-C reaches this process, which then stops the stack
            self.process = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        state = poll(self._state, timeout=BOOT_DEADLINE_SECONDS, error=TargetError,
                     what=f"the {self.profile} stack's boot (see {self.launcher_log})")
        if "error" in state:
            raise TargetError(f"the {self.profile} stack failed to boot:\n{state['error']}\n"
                              f"logs: {self.log_dir}")
        return state

    def _state(self) -> dict[str, Any] | None:
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())
        if self.process is not None and self.process.poll() is not None:
            raise TargetError(
                f"the stack launcher exited with code {self.process.returncode} before it was "
                f"healthy:\n{self.launcher_log.read_text(errors='replace')[-3000:]}")
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
            print(f"the {self.profile} stack did not stop within {STOP_DEADLINE_SECONDS} s; "
                  "killing it", flush=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
