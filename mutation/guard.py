"""`python -m mutation.guard -- COMMAND...`: runs the suites for one mutant, and ends them when
cosmic-ray is gone.

cosmic-ray starts each test command in a session of its own, so that a timeout can kill the
whole process group; the same choice keeps a Ctrl-C at the terminal from reaching the suites,
which would then go on testing a tree that the run is removing. The guard is that session's
leader: it waits for the command and, once its parent (cosmic-ray) has gone, stops the group
(pytest, its xdist workers; the stack launcher watches pytest and stops the stack). Its exit
status is the command's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

POLL_SECONDS = 1.0
STOP_GRACE_SECONDS = 15.0


def _stop(child: subprocess.Popen) -> int:
    """Stops the command: the whole group when the guard leads it (as under cosmic-ray), else
    the command alone (a guard run from a shell shares the shell's group)."""
    leader = os.getpgrp() == os.getpid()
    signal.signal(signal.SIGTERM, lambda *_: None)  # the guard outlives its own group's SIGTERM
    if leader:
        os.killpg(os.getpgrp(), signal.SIGTERM)
    else:
        child.terminate()
    try:
        child.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        if leader:
            os.killpg(os.getpgrp(), signal.SIGKILL)
        child.kill()
    return 128 + signal.SIGTERM


def guard(command: list[str]) -> int:
    """Runs `command` until it ends (its status) or the guard's parent goes (128 + SIGTERM)."""
    parent = os.getppid()
    child = subprocess.Popen(command)
    # a Ctrl-C at a terminal reaches the command too when the guard shares its group: the
    # command decides what it means (pytest ends the run), the guard waits for it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            return child.wait(timeout=POLL_SECONDS)
        except subprocess.TimeoutExpired:
            if os.getppid() != parent:
                return _stop(child)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m mutation.guard -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    return guard(args)


if __name__ == "__main__":
    sys.exit(main())
