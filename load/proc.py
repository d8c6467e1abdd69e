"""What /proc says of processes, for the benchmarks: a process tree's memory (now, and sampled
in a thread), the CPU time of one process, and of every process that is not the benchmark's.
Linux only; imports no Locust."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_INTERVAL_SECONDS = 0.05
TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, list[str]] | None:
    """The command name of a process and the fields of its /proc stat after it (the state
    first, the parent second); None for a process that ended while we looked."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()


def _ppids() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is not None:
            parents[int(entry.name)] = int(stat[1][1])
    return parents


def process_tree(root: int) -> list[int]:
    """`root` and every live descendant, from /proc."""
    parents = _ppids()
    tree = [root] if root in parents else []
    frontier = set(tree)
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        tree += sorted(frontier)
    return tree


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a live process."""
    stat = _stat(pid)
    if stat is None:
        return None
    fields = stat[1]
    return (int(fields[11]) + int(fields[12])) / TICKS


def _status_kb(pid: int, *keys: str) -> dict[str, int]:
    values = dict.fromkeys(keys, 0)
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in values:
                values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass  # the process ended while we looked: it holds no memory
    return values


@dataclass(frozen=True)
class TreeMemory:
    processes: int
    rss_mb: float  # sum of VmRSS now
    hwm_mb: float  # sum of VmHWM: each process's own peak, an upper bound of the tree's peak


def tree_memory(root: int) -> TreeMemory:
    pids = process_tree(root)
    readings = [_status_kb(pid, "VmRSS", "VmHWM") for pid in pids]
    return TreeMemory(
        processes=len(pids),
        rss_mb=round(sum(reading["VmRSS"] for reading in readings) / 1024, 1),
        hwm_mb=round(sum(reading["VmHWM"] for reading in readings) / 1024, 1),
    )


class MemorySampler:
    """Samples the RSS of a process tree every ~50 ms in a thread; `peak_mb` is the largest sum."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            self.samples.append(tree_memory(self.root).rss_mb)
            if self._stop.wait(SAMPLE_INTERVAL_SECONDS):
                return

    @property
    def peak_mb(self) -> float:
        return max(self.samples, default=0.0)


class OtherCpu:
    """CPU time of the processes that are neither `ours` (and their descendants) nor the
    database and cache servers the stack uses, from now on."""

    SERVICES = ("postgres", "redis-server")

    def __init__(self, ours: set[int]) -> None:
        self.ours = ours
        self.started = time.monotonic()
        self.start = self._times()

    def _times(self) -> dict[int, float]:
        """CPU seconds of each foreign process, its reaped children's included."""
        parents = _ppids()
        mine = set(self.ours)
        frontier = set(self.ours)
        while frontier:
            frontier = {pid for pid, parent in parents.items() if parent in frontier} - mine
            mine |= frontier
        times = {}
        for pid in parents.keys() - mine:
            stat = _stat(pid)
            if stat is None or stat[0] in self.SERVICES:
                continue
            # utime, stime, cutime, cstime: fields 14 to 17 of proc(5), 12 to 15 here
            times[pid] = sum(int(value) for value in stat[1][11:15]) / TICKS
        return times

    def share(self) -> float:
        """Their CPU seconds since the start over the CPU seconds the machine had."""
        now = self._times()
        used = sum(seconds - self.start.get(pid, 0.0) for pid, seconds in now.items())
        capacity = (time.monotonic() - self.started) * (os.cpu_count() or 1)
        return round(max(0.0, used) / capacity, 3)
