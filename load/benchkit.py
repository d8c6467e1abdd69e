"""What the standalone benchmarks share: their error, their voice, and measuring one profile
after the other. Imports no Locust."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

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
