"""The cosmic-ray configuration of one module: what to mutate, the test command, its timeout, and
the operators left out.

The test command is pytest over the module's suites, fail-fast (`-x`) so that a killed mutant
costs the first failing case rather than the whole run, with the suites' own xdist
distribution, under `mutation.guard` (the suites end when cosmic-ray does).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence

# Every mutant boots a stack of its own and the run waits for it: a timeout this many times the
# unmutated run's time (plus the margin) tells a mutant that hangs the backend from a slow one.
TIMEOUT_FACTOR = 3.0
TIMEOUT_MARGIN_SECONDS = 60.0
# Operators left out of every run, as regular expressions matched at the start of an operator's
# name (cosmic-ray's operators filter). None yet: the mutants that only make noise (the
# interpreter refuses them, or they change a type annotation) are told by what they change,
# not by their operator (mutation/prefilter.py).
NOISE_OPERATORS: tuple[str, ...] = ()


def suites_command(python: str, suites: Sequence[str], *, workers: int) -> str:
    """The command cosmic-ray runs for each mutant (from the root of the tree it mutates)."""
    pytest = [python, "-m", "pytest", "-x", "-q", "-n", str(workers), "--dist", "loadfile",
              "-p", "no:cacheprovider", *suites]
    return shlex.join([python, "-m", "mutation.guard", "--", *pytest])


def timeout_for(baseline_seconds: float) -> float:
    """The time one mutant's test command may take, from the unmutated run's."""
    return round(baseline_seconds * TIMEOUT_FACTOR + TIMEOUT_MARGIN_SECONDS, 1)


def excluded_operators(only: str | None = None) -> list[str]:
    """The operators filter's patterns: the noise, and every operator `only` does not match
    (a negative lookahead, since the filter takes patterns of what to leave out)."""
    patterns = list(NOISE_OPERATORS)
    if only:
        patterns.append(f"(?!(?:{only}))")
    return patterns


def config_text(*, module: str, command: str, timeout: float,
                exclude_operators: Sequence[str]) -> str:
    """cosmic-ray's TOML for one module (JSON strings are TOML basic strings)."""
    return "\n".join([
        "# written by `python -m mutation.run`; cosmic-ray runs from the root of the tree it",
        "# mutates, a copy of the working tree",
        "[cosmic-ray]",
        f"module-path = {json.dumps(module)}",
        f"timeout = {float(timeout)}",
        "excluded-modules = []",
        f"test-command = {json.dumps(command)}",
        "",
        "[cosmic-ray.distributor]",
        'name = "local"',
        "",
        "[cosmic-ray.filters.operators-filter]",
        f"exclude-operators = {json.dumps(list(exclude_operators))}",
        "",
    ])
