"""Reading the evidence the runs wrote (files only: the gate runs nothing), and deciding whose
it is and whether it is recent enough to count."""

import json
import os
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reports.gate.metrics import DOCS_PATH, FILES, JSON_KEYS


def modified_iso(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")


def junit_cases(path: Path) -> list[dict]:
    """Each case of a JUnit file: its flow (as `flows.json` names it), name, outcome and the
    first line of its message."""
    # our own pytest output, not untrusted input
    root = ElementTree.parse(path).getroot()  # noqa: S314
    cases = []
    for case in root.iter("testcase"):
        classname = case.get("classname") or ""
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            found = case.find(tag)
            if found is None:
                continue
            text = (found.get("message") or found.text or "").strip()
            message = text.splitlines()[0][:200] if text else ""
            if tag == "failure":
                outcome = "deviated" if text.startswith("DEVIATES") else "failed"
            elif tag == "error":
                outcome = "failed"
            else:
                outcome = "blocked" if "BLOCKED" in text else "skipped"
            break
        cases.append({"flow": flow_of_class(classname), "name": f"{classname}::{case.get('name')}",
                      "outcome": outcome, "message": message})
    return cases


def flow_of_class(classname: str) -> str:
    """The flow of a JUnit classname (`suites.payments.test_x.TestY` -> `payments`), as
    `fixtures.findings.flow_of` names it from a node id."""
    parts = classname.split(".")
    if parts[0] == "suites" and len(parts) > 2:
        return parts[1]
    if parts[0] == "contracts" and len(parts) > 1:
        module = next((part for part in parts[1:] if part.startswith("test_")), parts[1])
        return "contract: " + module.removeprefix("test_")
    return parts[0]


def docs_statuses(folder: Path) -> list[int] | None:
    """The statuses the run's exchanges got for GET /api/docs/ (None: no exchange log)."""
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        return None
    statuses = []
    for path in files:
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed worker
            path_only = str(entry.get("path", "")).split("?", 1)[0]
            if entry.get("method") == "GET" and path_only.rstrip("/") == DOCS_PATH.rstrip("/"):
                statuses.append(int(entry.get("status", 0)))
    return statuses


def evidence_read(out_dir: Path, load_dir: Path, coverage_dir: Path,
                  release_dir: Path) -> dict[str, Any]:
    """Everything the judges need, as plain data: each file's content (None when absent),
    why one could not be read, when each was written, its path to show and its link."""
    bases = {"out": out_dir, "load": load_dir, "coverage": coverage_dir}
    evidence: dict[str, Any] = {"paths": {}, "links": {}, "modified": {}, "unreadable": {}}
    for key, (base, name, _label) in FILES.items():
        path = bases[base] / name
        evidence["paths"][key] = str(path)
        if key in JSON_KEYS:
            evidence[key] = None
        if not path.is_file():
            continue
        evidence["modified"][key] = modified_iso(path)
        evidence["links"][key] = Path(os.path.relpath(path, release_dir)).as_posix()
        if key in JSON_KEYS:
            try:
                evidence[key] = json.loads(path.read_text())
            except (OSError, ValueError) as error:
                evidence["unreadable"][key] = str(error)
    evidence["cases"] = None
    if "junit" in evidence["modified"]:
        try:
            evidence["cases"] = junit_cases(out_dir / "junit.xml")
        except (OSError, ElementTree.ParseError) as error:
            evidence["unreadable"]["junit"] = str(error)
    exchanges = out_dir / "exchanges"
    evidence["paths"]["exchanges"] = str(exchanges / "*.jsonl")
    evidence["docs"] = docs_statuses(exchanges)
    logs = list(exchanges.glob("*.jsonl"))
    if logs:
        evidence["modified"]["exchanges"] = min(modified_iso(path) for path in logs)
    return evidence




def when(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def no_run(evidence: Mapping[str, Any]) -> str:
    """Why there is no run to judge ("" when there is one)."""
    if "run" in evidence.get("unreadable", {}):
        return f"{evidence['paths']['run']} is unreadable: {evidence['unreadable']['run']}"
    run = evidence.get("run")
    if not run:
        return (f"no {evidence['paths']['run']}: the suites and the contract check have not run "
                "into this out dir")
    if not run.get("target") or when(run.get("started_at")) is None:
        return f"{evidence['paths']['run']} names no target or start time"
    return ""


def of_run(evidence: Mapping[str, Any], key: str, tier: str = "") -> tuple[Any, str]:
    """A file of the judged run (`tier`: the tier that writes it must have run): its content,
    or None and why it does not count."""
    why = no_run(evidence)
    if why:
        return None, why
    run, path = evidence["run"], evidence["paths"][key]
    if key in evidence["unreadable"]:
        return None, f"{path} is unreadable: {evidence['unreadable'][key]}"
    data = evidence.get("cases" if key == "junit" else key)
    if key == "exchanges":
        data = evidence.get("docs")
    if data is None:
        return None, f"no {path}"
    if tier and tier not in (run.get("tiers") or []):
        return None, (f"{path} is not of the run judged: that run had no {tier} tier "
                      f"(run.json tiers: {', '.join(run.get('tiers') or []) or 'none'})")
    written = when(evidence["modified"].get(key))
    started = when(run["started_at"])
    if written is not None and written < started:
        return None, (f"{path} is older ({evidence['modified'][key]}) than the run judged "
                      f"(started {run['started_at']})")
    return data, ""


def of_target(evidence: Mapping[str, Any], key: str) -> tuple[Any, str]:
    """A result written apart from the run (the load gate, the backend's coverage): its
    content, or None and why it does not count (another target, finished before the run
    started, or it does not say)."""
    why = no_run(evidence)
    if why:
        return None, why
    run, path = evidence["run"], evidence["paths"][key]
    if key in evidence["unreadable"]:
        return None, f"{path} is unreadable: {evidence['unreadable'][key]}"
    data = evidence.get(key)
    if data is None:
        return None, f"no {path}"
    if not data.get("target") or when(data.get("finished_at")) is None:
        return None, (f"{path} names no target or finish time (written by an older version, "
                      "or not through the make targets): run it again")
    if data["target"] != run["target"]:
        return None, f"{path} is of {data['target']}, the run judged of {run['target']}"
    if when(data["finished_at"]) < when(run["started_at"]):
        return None, (f"{path} finished at {data['finished_at']}, before the run judged "
                      f"started ({run['started_at']})")
    return data, ""
