"""All the judges over one run's evidence: the gate's report and its verdict."""

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reports.gate.documentation import judge_documentation
from reports.gate.evidence import evidence_read, no_run
from reports.gate.judges import (
    combine,
    judge_api_coverage,
    judge_average_response,
    judge_features,
    judge_flows,
    judge_payment_success,
    judge_security,
    judge_test_coverage,
    judge_upload_success,
)
from reports.gate.metrics import EXIT_CODES

JUDGES = (judge_features, judge_flows, judge_average_response, judge_upload_success,
          judge_payment_success, judge_security, judge_test_coverage, judge_api_coverage,
          judge_documentation)


def verdict_of(rows: list[dict[str, Any]]) -> tuple[str, int]:
    status = combine(row_["status"] for row_ in rows)
    return status, EXIT_CODES[status]


def judge(evidence: Mapping[str, Any], generated_at: str | None = None) -> dict[str, Any]:
    """The gate's report (what gate.json holds) from the evidence."""
    rows = [judge_(evidence) for judge_ in JUDGES]
    verdict, code = verdict_of(rows)
    run = evidence.get("run") or {}
    report = {
        "generated_at": generated_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "target": run.get("target"), "verdict": verdict, "exit_code": code,
        "run": {key: run.get(key) for key in ("started_at", "finished_at", "run_id", "tiers",
                                              "exit_status")},
        "metrics": rows,
    }
    why = no_run(evidence)
    if why:
        report["note"] = why
    return report


def build(out_dir: Path | str, *, load_dir: Path | str | None = None,
          coverage_dir: Path | str | None = None,
          release_dir: Path | str | None = None) -> dict[str, Any]:
    """The release gate's report over what the runs wrote under `out_dir` (the load gate
    under `load_dir`, default `<out>/load`; the backend's coverage under `coverage_dir`,
    default `<out>/coverage`); evidence paths are relative to `release_dir` (default
    `<out>/release`). Writes nothing (`write` does)."""
    out_dir = Path(out_dir)
    release = Path(release_dir) if release_dir else out_dir / "release"
    evidence = evidence_read(out_dir, Path(load_dir) if load_dir else out_dir / "load",
                             Path(coverage_dir) if coverage_dir else out_dir / "coverage",
                             release)
    return judge(evidence)
