"""What the load side's reports share: JSON written whole, fixed-width tables, nearest-rank
percentiles, and the machine and time a figure was taken on. Imports no Locust."""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any, *, indent: int = 2) -> None:
    """Write `data` as JSON so that a reader sees either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data, indent=indent, default=str) + "\n")
    temp.replace(path)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def machine() -> dict[str, Any]:
    """The machine a benchmark's figures were taken on."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of `values` (share 0.5 is the median)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def table(headers: list[str], rows: list[list[str]], *, last_from_left: bool = False) -> str:
    """`rows` under `headers`, figures right-aligned; with `last_from_left` the last column (a
    verdict, a note) reads from the left."""
    if not rows:
        return "  (nothing measured)"
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(row: list[str]) -> str:
        if not last_from_left:
            return "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        cells = [cell.rjust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        return "  ".join([*cells, row[-1]]).rstrip()

    lines = [line(row) for row in [headers, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
