"""What a run found, from cosmic-ray's sessions: `summary.json` (the figures of each module)
and `survivors.md` (each surviving mutant with its diff, by module).

A session is read through `cosmic-ray dump` (one JSON line per mutant: the work item and its
result), so that nothing here depends on how cosmic-ray stores it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KILLED, SURVIVED, TIMEOUT = "killed", "survived", "timeout"
ERROR, SKIPPED, PENDING = "error", "skipped", "pending"
# cosmic-ray counts a test command past its timeout as killed, with this as its output
TIMEOUT_OUTPUT = "timeout"


@dataclass(frozen=True)
class Mutant:
    """One mutant of a module and what became of it."""

    module: str
    operator: str
    occurrence: int
    line: int
    column: int
    definition: str | None
    outcome: str
    diff: str = ""
    note: str = ""


@dataclass
class ModuleRun:
    """A module's session and how it was run (`python -m mutation.run` writes these facts)."""

    module: str
    suites: list[str]
    mutants: list[Mutant]
    baseline_seconds: float | None = None
    seconds: float | None = None
    limit: int | None = None
    seed: int | None = None
    operators: str | None = None
    finished_at: str | None = None


def outcome_of(result: dict | None) -> str:
    """One word for a cosmic-ray result (None: not run yet)."""
    if result is None:
        return PENDING
    worker = result.get("worker_outcome")
    if worker in ("skipped", "no-test"):
        return SKIPPED
    if worker != "normal":
        return ERROR
    test = result.get("test_outcome")
    if test == "survived":
        return SURVIVED
    if test == "killed":
        return TIMEOUT if result.get("output") == TIMEOUT_OUTPUT else KILLED
    return ERROR


def mutants_from_dump(lines: Iterable[str]) -> list[Mutant]:
    """The mutants of `cosmic-ray dump`'s lines, in the order of the source."""
    mutants = []
    for line in lines:
        if not line.strip():
            continue
        item, result = json.loads(line)
        outcome = outcome_of(result)
        result = result or {}
        for mutation in item["mutations"]:
            row, column = mutation["start_pos"]
            mutants.append(Mutant(
                module=mutation["module_path"],
                operator=mutation["operator_name"],
                occurrence=int(mutation["occurrence"]),
                line=int(row),
                column=int(column),
                definition=mutation.get("definition_name"),
                outcome=outcome,
                diff=_diff_body(result.get("diff") or ""),
                note=(result.get("output") or "") if outcome == SKIPPED else "",
            ))
    return sorted(mutants, key=lambda m: (m.line, m.column, m.operator, m.occurrence))


def _diff_body(diff: str) -> str:
    """cosmic-ray's diff without its own header line."""
    return "\n".join(line for line in diff.splitlines() if line != "--- mutation diff ---")


def summarize(run: ModuleRun) -> dict:
    """The figures of one module: what was generated, run, killed, survived, and the score."""
    counts = Counter(mutant.outcome for mutant in run.mutants)
    ran = counts[KILLED] + counts[SURVIVED] + counts[TIMEOUT]
    caught = counts[KILLED] + counts[TIMEOUT]
    return {
        "module": run.module,
        "suites": run.suites,
        "mutants": len(run.mutants),
        "run": ran,
        "killed": counts[KILLED],
        "survived": counts[SURVIVED],
        "timeouts": counts[TIMEOUT],
        "errors": counts[ERROR],
        "skipped": counts[SKIPPED],
        "pending": counts[PENDING],
        "skipped_because": dict(sorted(Counter(
            mutant.note for mutant in run.mutants if mutant.outcome == SKIPPED).items())),
        "score": round(caught / ran, 4) if ran else None,
        "baseline_seconds": run.baseline_seconds,
        "seconds": run.seconds,
        "seconds_per_mutant": round(run.seconds / ran, 1) if ran and run.seconds else None,
        "limit": run.limit,
        "seed": run.seed,
        "operators": run.operators,
        "finished_at": run.finished_at,
    }


def summary(runs: Sequence[ModuleRun], *, generated_at: str) -> dict:
    """`summary.json`: every module's figures and the totals."""
    modules = [summarize(run) for run in runs]
    totals = {key: sum(module[key] for module in modules)
              for key in ("mutants", "run", "killed", "survived", "timeouts", "errors",
                          "skipped", "pending")}
    caught = totals["killed"] + totals["timeouts"]
    totals["score"] = round(caught / totals["run"], 4) if totals["run"] else None
    return {"generated_at": generated_at, "totals": totals, "modules": modules}


def _percent(score: float | None) -> str:
    return "no mutant ran" if score is None else f"score {score * 100:.1f} %"


def survivors_markdown(runs: Sequence[ModuleRun], *, generated_at: str) -> str:
    """`survivors.md`: by module, each surviving mutant's operator, line and diff."""
    out = [
        "# Surviving mutants",
        "",
        f"Written {generated_at} by `python -m mutation.run` (`make mutation`). A survivor is a",
        "change to the backend that every suite exercising its module let pass: either a rule",
        "the suites do not test, or an equivalent change that no caller can tell apart",
        "(mutation/README.md says how to judge one).",
        "",
    ]
    for run in runs:
        figures = summarize(run)
        survivors = [mutant for mutant in run.mutants if mutant.outcome == SURVIVED]
        sampled = f", a sample of {run.limit} (seed {run.seed})" if run.limit else ""
        out += [
            f"## {run.module}",
            "",
            f"{figures['survived']} of {figures['run']} mutants run survived "
            f"({_percent(figures['score'])}; {figures['mutants']} generated{sampled}, "
            f"{figures['skipped']} not run, {figures['timeouts']} timed out, "
            f"{figures['errors']} errors, {figures['pending']} pending).",
            f"Suites: {', '.join(run.suites)}.",
            "",
        ]
        if not survivors:
            out += ["No survivor.", ""]
        for mutant in survivors:
            where = f" in `{mutant.definition}`" if mutant.definition else ""
            out += [
                f"### line {mutant.line}: {mutant.operator} (occurrence {mutant.occurrence})"
                f"{where}",
                "",
                "```diff",
                mutant.diff,
                "```",
                "",
            ]
    return "\n".join(out)
