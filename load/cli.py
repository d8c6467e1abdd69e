"""What the load side's commands share: the option type of a count, and SIGTERM taken as
Ctrl-C is. Imports no Locust."""

from __future__ import annotations

import argparse
import signal
import sys


def positive(text: str) -> int:
    """An option's whole number of at least 1; argparse says what came otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def exit_on_sigterm() -> None:
    """SIGTERM ends the command the way Ctrl-C does: through the `finally`s that stop stacks."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
