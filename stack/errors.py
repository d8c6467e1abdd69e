"""What a failed boot step says: `StackError` with the tail of the failing child's log."""

from __future__ import annotations

from pathlib import Path

LOG_TAIL_LINES = 40


class StackError(Exception):
    """A boot step failed. The message says what and what to do; `log` is the log to read."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log

    def report(self) -> str:
        """The message followed by the tail of the failing child's log."""
        if self.log is None:
            return str(self)
        tail = log_tail(self.log)
        return f"{self}\n--- last lines of {self.log} ---\n{tail or '(empty)'}"


class StopRequested(Exception):
    """SIGTERM or SIGINT arrived while the stack was booting."""


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
