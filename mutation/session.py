"""A module's cosmic-ray session: its commands, the mutants left out before the run, the
progress of the run, and its results.

The only module here that needs cosmic-ray (the `mutation` extra): the others are pure and are
tested without it.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutation.prefilter import CANNOT_MUTATE, NO_CHANGE, NOT_IN_SAMPLE, sample, why_not_run
from mutation.report import Mutant, mutants_from_dump, outcome_of


class MissingTool(RuntimeError):
    """cosmic-ray is not installed next to this interpreter."""


def tool(name: str) -> str:
    """The path of one of cosmic-ray's commands in this interpreter's environment."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise MissingTool(f"{name} is not installed in {path.parent}: `make mutation` installs "
                          f"it, or `{sys.executable} -m pip install -e '.[mutation]'`")
    return str(path)


def cosmic(name: str, *args: str | Path, cwd: Path) -> str:
    """Runs one of cosmic-ray's commands in the mutated tree; its output, or an error with it."""
    done = subprocess.run([tool(name), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} {' '.join(map(str, args))} exited {done.returncode}:\n"
                           f"{done.stdout}{done.stderr}")
    return done.stdout


def leave_out(db_path: Path, tree: Path, *, limit: int | None, seed: int) -> Counter:
    """Marks skipped, with the reason, the pending mutants not worth a run (mutation/prefilter.py)
    and, with a limit, those outside the sample; the reasons counted."""
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    skipped: dict[str, list[str]] = defaultdict(list)
    worth: dict[tuple[str, str, int], str] = {}
    sources: dict[Path, str] = {}
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        for item in db.pending_work_items:
            (mutation,) = item.mutations  # `cosmic-ray init` makes one mutation a work item
            path = Path(mutation.module_path)
            if path not in sources:
                sources[path] = (tree / path).read_text(encoding="utf-8")
            original = sources[path]
            operator = get_operator(mutation.operator_name)(**mutation.operator_args)
            try:
                mutated = mutate_code(original, operator, mutation.occurrence)
            except Exception:  # whatever the operator raises, its exec would raise too
                skipped[CANNOT_MUTATE].append(item.job_id)
                continue
            reason = NO_CHANGE if mutated is None else why_not_run(original, mutated)
            if reason:
                skipped[reason].append(item.job_id)
            else:
                worth[(path.as_posix(), mutation.operator_name, mutation.occurrence)] = item.job_id
        chosen = sample(list(worth), limit, seed)
        skipped[NOT_IN_SAMPLE] = [job for key, job in worth.items() if key not in chosen]
        for reason, jobs in skipped.items():
            if jobs:
                db.set_multiple_results(jobs, WorkResult(worker_outcome=WorkerOutcome.SKIPPED,
                                                         output=reason))
    return Counter({reason: len(jobs) for reason, jobs in skipped.items() if jobs})


def pending(db_path: Path) -> int:
    """How many mutants of the session are still to run."""
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(db_path), WorkDB.Mode.open) as db:
        return db.num_work_items - db.num_results


def outcomes(db_path: Path) -> Counter:
    """What became of the mutants run so far (`report.outcome_of`'s words), skipped ones aside."""
    from cosmic_ray.work_db import WorkDB, use_db

    counted: Counter = Counter()
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        for _, result in db.results:
            counted[outcome_of({
                "worker_outcome": result.worker_outcome.value,
                "test_outcome": result.test_outcome.value if result.test_outcome else None,
                "output": result.output,
            })] += 1
    counted.pop("skipped", None)
    return counted


def mutants(db_path: Path, cwd: Path) -> list[Mutant]:
    """Every mutant of the session and what became of it, through `cosmic-ray dump`."""
    return mutants_from_dump(cosmic("cosmic-ray", "dump", db_path, cwd=cwd).splitlines())
