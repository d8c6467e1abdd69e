"""The release gate in Allure: each metric of a gate.json as an Allure result of its own.

A "Release gate" suite, one result per metric, so that the report opens on the verdict and
Allure's history shows each metric's trend from run to run. Allure 3's quality gate
(`reports/allurerc.mjs`) then fails the report's CLI on a failed result of this suite.

Statuses: GO is `passed`, NO-GO `failed`, NOT MEASURED `broken`. A metric without evidence is
not a pass and not a measured breach: `broken` is Allure's "could not be judged", and unlike
`skipped` it counts as a failure in Allure's quality gate (`maxFailures`), as NOT MEASURED
fails the release gate. Whether NO-GO (exit 1) or NOT MEASURED (exit 2) is `reports/gate/`'s
to say; Allure only knows passed or not.

History: Allure 3 keys a result's history on its test case (`testCaseId`, else `fullName`)
and its parameters, so both are stable per metric (`release-gate.<id>`) and a result has no
parameters: the measured value and the target are in the description and the attachment.
File names are derived from the metric id too, so writing the gate twice into one results
folder replaces its results instead of counting them twice.

Evidence: a file small enough is attached as it is; a larger file, a folder or a URL is named
in the text attachment (and a URL is a link of the result). Relative evidence paths are looked
up beside gate.json, then in the run's output folder (gate.json's parent's parent), then from
the working directory.

`python -m reports.gate.allure --gate reports/out/release/gate.json --results
reports/out/allure-results` (`make report` runs it) writes nothing when gate.json judged
another run than the one whose results these are (the run id of both).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import shutil
import sys
import uuid
from datetime import datetime
from pathlib import Path

SUITE = "Release gate"
PARENT_SUITE = "LaundryConnect release"
STATUS = {"GO": "passed", "NO-GO": "failed", "NOT MEASURED": "broken"}
ATTACH_MAX_BYTES = 512 * 1024
# uuid5 namespace of the gate's result and attachment files (any fixed UUID would do)
NAMESPACE = uuid.UUID("6f1d3c52-9a0e-4b7e-8c61-2f5a4d0b9e13")
MIME = {".md": "text/markdown", ".jsonl": "application/json", ".log": "text/plain",
        ".csv": "text/csv", ".yaml": "text/yaml", ".yml": "text/yaml"}


def full_name(metric_id: str) -> str:
    return f"release-gate.{metric_id}"


def history_id(metric_id: str) -> str:
    """The same id for a metric in every run (Allure 2 reads it; Allure 3 derives its own
    from testCaseId, which is this value too)."""
    return hashlib.md5(full_name(metric_id).encode()).hexdigest()  # noqa: S324 - an id, not a secret


def _file_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _millis(timestamp: str | None) -> int:
    try:
        moment = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return int(datetime.now().timestamp() * 1000)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return int(moment.timestamp() * 1000)


def _text(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _is_url(path: str) -> bool:
    return path.startswith(("http://", "https://"))


def _locate(path: str, bases: list[Path]) -> Path | None:
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate if candidate.exists() else None
    for base in bases:
        if (base / candidate).exists():
            return base / candidate
    return None


def _mime(path: Path) -> str:
    return MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] \
        or "application/octet-stream"


def _message(metric: dict) -> str:
    status = metric.get("status", "NOT MEASURED")
    head = (f"{status}: measured {_text(metric.get('measured'))}, "
            f"threshold {_text(metric.get('threshold'))}")
    details = [_text(line) for line in metric.get("details") or []]
    return "\n".join([head, *details])


def _summary(gate: dict, metric: dict, evidence_lines: list[str]) -> str:
    run = gate.get("run") or {}
    lines = [
        f"metric:    {_text(metric.get('metric'))} ({metric['id']})",
        f"threshold: {_text(metric.get('threshold'))}",
        f"measured:  {_text(metric.get('measured'))}",
        f"status:    {_text(metric.get('status'))}",
        f"target:    {_text(gate.get('target'))}",
        f"run:       started {_text(run.get('started_at'))}, "
        f"finished {_text(run.get('finished_at'))}",
        f"gate:      {_text(gate.get('verdict'))} (exit {_text(gate.get('exit_code'))}), "
        f"generated {_text(gate.get('generated_at'))}",
    ]
    if gate.get("note"):
        lines.append(f"note:      {_text(gate['note'])}")
    details = metric.get("details") or []
    if details:
        lines += ["", "details:", *(f"  {_text(line)}" for line in details)]
    for flow, cases in (metric.get("cases") or {}).items():
        if cases:
            lines += ["", f"{flow}:", *(f"  {_text(case.get('outcome'))}: "
                                        f"{_text(case.get('name'))}" for case in cases)]
    lines += ["", "evidence:", *(evidence_lines or ["  none"])]
    return "\n".join(lines) + "\n"


def _description(gate: dict, metric: dict) -> str:
    rows = [("threshold", metric.get("threshold")), ("measured", metric.get("measured")),
            ("status", metric.get("status")), ("target", gate.get("target"))]
    table = "\n".join(f"| {name} | {_cell(value)} |" for name, value in rows)
    details = "\n".join(f"- {_text(line).strip()}" for line in metric.get("details") or [])
    return f"| metric | {_cell(metric['id'])} |\n|---|---|\n{table}\n\n{details}".rstrip() + "\n"


def _cell(value) -> str:
    return _text(value).replace("|", "\\|").replace("\n", " ")


def _remove_previous(results_dir: Path, metric_id: str) -> None:
    prefix = _file_id(metric_id)
    for path in results_dir.glob(f"{prefix}*"):
        path.unlink()


def _result(gate: dict, metric: dict, order: int, results_dir: Path, bases: list[Path]) -> dict:
    metric_id = str(metric["id"])
    result_uuid = _file_id(metric_id)
    attachments: list[dict] = []
    links: list[dict] = []
    evidence_lines: list[str] = []
    for number, item in enumerate(metric.get("evidence") or []):
        label, path = _text(item.get("label")), str(item.get("path") or "")
        if _is_url(path):
            links.append({"name": label, "url": path, "type": "link"})
            evidence_lines.append(f"  {label}: {path}")
            continue
        found = _locate(path, bases) if path else None
        if found is None:
            evidence_lines.append(f"  {label}: {path or '-'} (not found)")
        elif found.is_file() and found.stat().st_size <= ATTACH_MAX_BYTES:
            source = f"{result_uuid}-{number}-attachment{found.suffix}"
            shutil.copyfile(found, results_dir / source)
            attachments.append({"name": label, "source": source, "type": _mime(found)})
            evidence_lines.append(f"  {label}: {path} (attached)")
        else:
            evidence_lines.append(f"  {label}: {found}")
    summary = f"{result_uuid}-summary-attachment.txt"
    (results_dir / summary).write_text(_summary(gate, metric, evidence_lines), encoding="utf-8")
    attachments.insert(0, {"name": "measured and evidence", "source": summary,
                           "type": "text/plain"})
    status = STATUS.get(str(metric.get("status")), "broken")
    # a millisecond apart, so that a report sorted by start lists them in gate.json's order
    moment = _millis(gate.get("generated_at")) + order
    result = {
        "uuid": result_uuid,
        "historyId": history_id(metric_id),
        "testCaseId": history_id(metric_id),
        "fullName": full_name(metric_id),
        "name": _text(metric.get("metric") or metric_id),
        "status": status,
        "stage": "finished",
        "description": _description(gate, metric),
        "start": moment,
        "stop": moment,
        "labels": [
            {"name": "parentSuite", "value": PARENT_SUITE},
            {"name": "suite", "value": SUITE},
            {"name": "feature", "value": SUITE},
            {"name": "story", "value": _text(metric.get("metric") or metric_id)},
            {"name": "tag", "value": f"gate:{metric_id}"},
            {"name": "severity", "value": "blocker"},
        ],
        "links": links,
        "attachments": attachments,
        "steps": [],
        "parameters": [],
    }
    if status != "passed":
        result["statusDetails"] = {"message": _message(metric)}
    return result


def write_results(gate: dict, results_dir: Path | str, gate_dir: Path | str | None = None,
                  ) -> list[Path]:
    """Write one Allure result per metric of `gate` (gate.json's content) into `results_dir`;
    `gate_dir` is the folder of gate.json, against which relative evidence paths are found
    (then its parent, then the working directory). Returns the result files written."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    bases = [Path(gate_dir), Path(gate_dir).parent] if gate_dir else []
    bases.append(Path.cwd())
    written = []
    for order, metric in enumerate(gate.get("metrics") or []):
        _remove_previous(results_dir, str(metric["id"]))
        result = _result(gate, metric, order, results_dir, bases)
        path = results_dir / f"{result['uuid']}-result.json"
        path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
        written.append(path)
    return written


def results_run_id(results_dir: Path) -> str | None:
    """The run id the run's pytest wrote into its results (fixtures/reporting.py)."""
    properties = results_dir / "environment.properties"
    if not properties.is_file():
        return None
    for line in properties.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "run_id":
            return value.strip()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gate", type=Path, default=Path("reports/out/release/gate.json"),
                        help="the gate's gate.json (default: %(default)s)")
    parser.add_argument("--results", type=Path, default=Path("reports/out/allure-results"),
                        help="the allure-results folder to write into (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.gate.is_file():
        print(f"no {args.gate}: run make gate first", file=sys.stderr)
        return 2
    gate = json.loads(args.gate.read_text(encoding="utf-8"))
    judged, results_of = (gate.get("run") or {}).get("run_id"), results_run_id(args.results)
    if judged and results_of and judged != results_of:
        # a gate of another run in this run's report would be a verdict on evidence it never saw
        print(f"{args.gate} judged run {judged}, {args.results} is of run {results_of}: "
              "no release gate results written (make gate judges this run)", file=sys.stderr)
        return 2
    written = write_results(gate, args.results, args.gate.parent)
    print(f"{len(written)} release gate result(s) in {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
