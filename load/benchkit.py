"""What the standalone benchmarks share: their error, their voice, the options of the stacks
they boot, and measuring one profile after the other. Imports no Locust."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from load.cli import positive
from load.target import PROFILES

R = TypeVar("R")


class BenchError(Exception):
    """The benchmark cannot go on; the message says what happened and where to look."""


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def each_profile(profiles: Iterable[str], bench: Callable[[str], R], *,
                 failed: Callable[[str, Exception], R], errors: tuple[type[Exception], ...],
                 voice: Callable[[str], None] = say) -> list[R] | None:
    """`bench(profile)` for each profile in turn. A profile that raises one of `errors` is said
    and becomes `failed(profile, error)`, and the next one is measured; None when interrupted
    (the profile's stack is stopped by then)."""
    results = []
    for profile in profiles:
        try:
            results.append(bench(profile))
        except errors as error:
            voice(f"error: {error}")
            results.append(failed(profile, error))
        except KeyboardInterrupt:
            voice("interrupted; the stack is stopped")
            return None
    return results


def stack_options(parser: argparse.ArgumentParser, *, profiles: list[str], out: Path,
                  logs: str) -> None:
    """The options of a benchmark that boots the stack: which profiles (default `profiles`),
    the scaled profile's workers, where the JSON goes (default `out`), where the stacks' logs
    go (default the folder `logs` beside the JSON)."""
    parser.set_defaults(default_profiles=profiles, default_logs=logs)
    parser.add_argument(
        "--profile", "--profiles", dest="profiles", nargs="+", action="extend",
        choices=PROFILES, metavar="PROFILE",
        help="one or more of embedded, scaled, measured one after the other (default "
        f"{' and '.join(profiles)})")
    parser.add_argument("--workers", type=positive,
                        help="backend workers of the scaled profile (default: the launcher's)")
    parser.add_argument("--out", type=Path, default=out,
                        help=f"where the JSON goes (default {out.relative_to(out.parents[3])})")
    parser.add_argument("--log-dir", type=Path,
                        help=f"where the stacks' logs go (default: {logs} beside --out)")


def stack_options_read(parser: argparse.ArgumentParser, options: argparse.Namespace) -> None:
    """Settles what `stack_options` took: profiles once each, in order; `--workers` only
    with the scaled profile; absolute paths."""
    options.profiles = list(dict.fromkeys(options.profiles or options.default_profiles))
    if options.workers is not None and "scaled" not in options.profiles:
        parser.error("--workers applies to the scaled profile only")
    options.out = options.out.resolve()
    options.log_dir = (options.log_dir or options.out.parent / options.default_logs).resolve()
