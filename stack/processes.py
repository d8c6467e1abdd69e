"""The stack's children: starting each in a process group of its own, stopping the group whole,
telling whether a process still runs, and the ports they bind.

Each child runs in its own process group (so a multi-worker uvicorn is stopped whole) and gets
SIGTERM if the launcher dies. Children run with `sys.executable`'s argv from the repository root.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from stack.errors import StackError

REPO_ROOT = Path(__file__).resolve().parent.parent
STOP_DEADLINE_SECONDS = 10

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def become_subreaper() -> None:
    """Adopt orphaned descendants (a server's workers whose supervisor was killed) to reap them."""
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A preexec_fn that makes the child get SIGTERM when the launcher dies, however it dies."""
    libc = _libc()
    if libc is None:
        return None
    parent = os.getpid()

    def die_with_parent() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return die_with_parent


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = proc_stat(pid)
    return stat is None or stat[0] not in "ZX"


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgrp) of `pid` from /proc, or None where /proc cannot tell."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[2])


def _group_members(pgid: int) -> list[tuple[int, str, int]] | None:
    """(pid, state, ppid) of every process in group `pgid`; None where /proc is unavailable."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        stat = proc_stat(int(entry.name))
        if stat is not None and stat[2] == pgid:
            members.append((int(entry.name), stat[0], stat[1]))
    return members


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _group_gone(pgid: int, seconds: float) -> bool:
    """Wait until no live process is left in group `pgid`, reaping the zombies we adopted."""
    deadline = time.monotonic() + seconds
    while True:
        members = _group_members(pgid)
        if members is None:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            live = True
        else:
            for pid, state, ppid in members:
                if state == "Z" and ppid == os.getpid():
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, os.WNOHANG)
            live = any(state not in "ZX" for _, state, _ in members)
            if not live:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)  # poll the group until the deadline


@dataclass
class Child:
    """One child process of the stack, leader of its own process group."""

    name: str
    process: subprocess.Popen
    log: Path
    # the thread that copies a filtered output into `log` (None: the child writes it)
    copier: threading.Thread | None = None

    def exit_code(self) -> int | None:
        code = self.process.poll()
        if code is not None and self.copier is not None:
            # the log is whole before anyone reads why the child ended
            self.copier.join(timeout=STOP_DEADLINE_SECONDS)
        return code

    def stop(self, say: Callable[[str], None]) -> None:
        """SIGTERM the group, wait with a deadline, then SIGKILL what is left."""
        pgid = self.process.pid
        _signal_group(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            say(f"the {self.name} did not stop within {STOP_DEADLINE_SECONDS} s; killing it")
            _signal_group(pgid, signal.SIGKILL)
            self.process.wait()
        # The workers of a multi-process server share the group and may outlive their leader.
        if not _group_gone(pgid, STOP_DEADLINE_SECONDS):
            say(f"processes of the {self.name} outlived it; killing them")
            _signal_group(pgid, signal.SIGKILL)
            _group_gone(pgid, STOP_DEADLINE_SECONDS)


def spawn(
    name: str,
    argv: list[str],
    env: Mapping[str, str],
    log: Path,
    *,
    append: bool = False,
    header: str = "",
    output_filter: Callable[[bytes], bytes] | None = None,
) -> Child:
    """Start `argv` from the repository root in a process group of its own, output to `log`
    (each line through `output_filter` first, when one is given)."""
    with log.open("ab" if append else "wb") as out:
        if header:
            out.write(header.encode() + b"\n")
            out.flush()
        process = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out if output_filter is None else subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent_hook(),
        )
    copier = None
    if output_filter is not None:
        copier = threading.Thread(
            target=_copy_filtered, args=(process, log, output_filter),
            name=f"{name} output", daemon=True,
        )
        copier.start()
    return Child(name, process, log, copier)


def _copy_filtered(
    process: subprocess.Popen, log: Path, output_filter: Callable[[bytes], bytes]
) -> None:
    """A child's output, line by line through `output_filter`, into `log` until it ends."""
    with process.stdout, log.open("ab") as out:
        for line in process.stdout:
            out.write(output_filter(line))
            out.flush()


@dataclass(frozen=True)
class Server:
    """A child that serves HTTP: how to run it on a port and how to tell that it is healthy."""

    name: str
    argv_for_port: Callable[[int], list[str]]
    health_path: str
    port: int  # 0: a free one
    env: Mapping[str, str]
    deadline_seconds: float
    # A free port picked in advance (others had to know it); another is tried if it is lost.
    first_port: int = 0
    # what each line of its output goes through on its way to the log (None: as it is)
    output_filter: Callable[[bytes], bytes] | None = None


# --- ports -------------------------------------------------------------------------------------


def free_port(host: str) -> int:
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def ensure_port_free(host: str, port: int, flag: str) -> None:
    """Raise StackError if (host, port) cannot be bound, the way uvicorn binds it."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StackError(
                f"port {port} on {host} is not available ({error.strerror}): another stack or "
                f"server uses it (`ss -ltnp 'sport = :{port}'` shows which). Stop it, or choose "
                f"another port with {flag}."
            ) from error


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
