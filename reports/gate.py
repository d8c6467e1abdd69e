"""The release gate: one GO / NO-GO / NOT MEASURED verdict per Phase 11 success metric, from
what the runs wrote, with the evidence behind each.

    python -m reports.gate --out-dir reports/out [--load-dir DIR] [--coverage-dir DIR]
                           [--release-dir DIR] [--brief]

It reads only files (it runs nothing): the suites' and contract tier's run under `--out-dir`
(`run.json`, `flows.json`, `findings.json`, `junit.xml`, `exchanges/*.jsonl`,
`contract/mobile-contract.json`, `coverage.json`, `openapi.json`), the load gate
(`<load-dir>/gate.json`, default `<out>/load`) and the backend's coverage
(`<coverage-dir>/backend.json`, default `<out>/coverage`, when the run had it). It writes
`gate.json`, `gate.md` and a self-contained `gate.html` under `--release-dir` (default
`<out>/release`) and exits 0 when every metric is GO, 1 on any NO-GO, 2 when a metric has no
evidence (and none is NO-GO).

Evidence counts only when it is of the run judged: `run.json` names the target and when the
run started; a file of the out dir older than that start, a contract file of a run without the
contract tier, and a load or backend coverage result of another target or finished before it,
is NOT MEASURED (never GO), with the reason.

`gate.json`: `{generated_at, target, verdict, exit_code, run, metrics: [{id, metric, threshold,
measured, status, evidence: [{label, path}], details: [...]}]}`; evidence paths are relative
to the release dir (where `gate.html` is). In `gate.html` each metric is a
`<tr data-metric="<id>" data-status="<status>">`.

`build(out_dir, ...)` returns what `gate.json` holds; the judges (`judge_*`) are pure: the
evidence as plain data in, one row out.

`<coverage-dir>/backend.json` is read as `{target, finished_at, ...}` with its line coverage as
`line_rate` (0..1), `lines: {covered, total}` or `lines: {percent}`, `line_percent`, or
coverage.py's JSON `totals` (`covered_lines` / `num_statements`); branches likewise
(`branch_rate`, `branches`, `branch_percent`, `totals.covered_branches` / `num_branches`).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from load.gate import wilson_interval

GO, NO_GO, NOT_MEASURED = "GO", "NO-GO", "NOT MEASURED"
EXIT_CODES = {GO: 0, NO_GO: 1, NOT_MEASURED: 2}

# Phase 11's thresholds (shared/DESIGN.md); the load run's own slo.toml may be edited, these not
AVERAGE_MS = 500.0
UPLOAD_RATE = 0.95
PAYMENT_RATE = 0.98
TEST_COVERAGE = 0.85
API_COVERAGE = 0.90
# journeys a rate needs before a sample that is not clearly below it is judged, when the load
# gate's report does not say (load/slo.toml's values)
MIN_JOURNEYS = {"upload_success": 80, "payment_success": 200}
CONFIDENCE = 0.95

# the flows of the app's features (folders of suites/); every one must have run
APP_FLOWS = ("auth", "addresses", "catalog", "orders", "uploads", "payments", "wallet",
             "notifications", "chat")
# the flows Phase 11 names one by one
KEY_FLOWS = {"payments": "payment end to end", "uploads": "image upload",
             "chat": "chat synchronised", "notifications": "push delivered"}
SECURITY_FLOW = "security"
DOCS_PATH = "/api/docs/"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
# how many named items a detail list shows before it counts the rest
NAMED = 12

# key -> (where it lives: out, load or coverage dir; its path there; label of its link)
FILES = {
    "run": ("out", "run.json", "run.json"),
    "flows": ("out", "flows.json", "outcome by flow (flows.json)"),
    "findings": ("out", "findings.json", "findings.json"),
    "findings_md": ("out", "findings.md", "findings"),
    "junit": ("out", "junit.xml", "JUnit cases"),
    "summary": ("out", "summary.md", "run summary"),
    "allure": ("out", "allure-report/index.html", "Allure report"),
    "mobile": ("out", "contract/mobile-contract.json", "mobile contract (json)"),
    "mobile_md": ("out", "contract/mobile-contract.md", "mobile contract"),
    "coverage": ("out", "contract/coverage.json", "API coverage (json)"),
    "coverage_md": ("out", "contract/coverage.md", "API coverage"),
    "openapi": ("out", "contract/openapi.json", "the target's OpenAPI"),
    "load": ("load", "gate.json", "load gate (json)"),
    "locust": ("load", "locust.html", "Locust report"),
    "backend": ("coverage", "backend.json", "backend coverage (json)"),
    "backend_html": ("coverage", "html/index.html", "backend coverage"),
}
JSON_KEYS = ("run", "flows", "findings", "mobile", "coverage", "openapi", "load", "backend")
# which files back each metric's evidence links, in order
LINKS = {
    "features": ("mobile_md", "flows", "summary", "findings_md"),
    "flows": ("flows", "junit", "allure"),
    "average_response": ("load", "locust"),
    "upload_success": ("load", "locust"),
    "payment_success": ("load", "locust"),
    "security": ("findings_md", "findings", "junit"),
    "test_coverage": ("coverage_md", "backend_html", "backend"),
    "api_coverage": ("coverage_md", "coverage"),
    "documentation": ("openapi",),
}


# --- reading the evidence ------------------------------------------------------------------------


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


# --- whose evidence, and how recent --------------------------------------------------------------


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


# --- the judges ----------------------------------------------------------------------------------


def combine(statuses: Iterable[str]) -> str:
    """A metric of several parts: NO-GO if any part is, GO only if every part is."""
    statuses = list(statuses)
    if NO_GO in statuses:
        return NO_GO
    if not statuses or NOT_MEASURED in statuses:
        return NOT_MEASURED
    return GO


def row(evidence: Mapping[str, Any], metric_id: str, metric: str, threshold: str,
        measured: str, status: str, details: list[str], **more: Any) -> dict[str, Any]:
    links = evidence.get("links", {})
    return {"id": metric_id, "metric": metric, "threshold": threshold, "measured": measured,
            "status": status,
            "evidence": [{"label": FILES[key][2], "path": links[key]}
                         for key in LINKS[metric_id] if key in links],
            "details": details, **more}


def named(lines: list[str], limit: int = NAMED) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"... and {len(lines) - limit} more"]


def counts_text(counts: Mapping[str, int]) -> str:
    order = ("passed", "failed", "deviated", "blocked", "skipped")
    keys = [key for key in order if counts.get(key)] + sorted(
        key for key in counts if key not in order and counts[key])
    return ", ".join(f"{counts[key]} {key}" for key in keys) or "no cases"


def green(counts: Mapping[str, int]) -> bool:
    """Every case of the flow that ran passed (skipped ones, e.g. operator calls not offered,
    do not count against it), and at least one did."""
    return counts.get("passed", 0) > 0 and not any(
        count for outcome, count in counts.items() if outcome not in ("passed", "skipped"))


def cases_not_passed(evidence: Mapping[str, Any], flow: str) -> list[str]:
    cases, _ = of_run(evidence, "junit")
    return [f"{case['outcome']}: {case['name']}" + (f" ({case['message']})"
                                                    if case["message"] else "")
            for case in cases or () if case["flow"] == flow
            and case["outcome"] not in ("passed", "skipped")]


def judge_features(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Every app call served (the mobile contract) and every flow's cases passing."""
    parts, details, measured = [], [], []
    mobile, why = of_run(evidence, "mobile", "contracts")
    if mobile is None:
        parts.append(NOT_MEASURED)
        measured.append("app calls not measured")
        details.append(f"app calls: not measured: {why}")
    else:
        results = mobile.get("results") or []
        unserved = [result for result in results if result.get("outcome") != "served"]
        measured.append(f"{len(results) - len(unserved)}/{len(results)} app calls served")
        if not results:
            parts.append(NOT_MEASURED)
            details.append("app calls: the mobile contract checked no call")
        else:
            parts.append(NO_GO if unserved else GO)
        details += named([f"not served: {result.get('call')} ({result.get('outcome')}"
                          + (f": {str(result['detail'])[:160]}" if result.get("detail") else "")
                          + ")" for result in unserved])
    flows, why = of_run(evidence, "flows")
    if flows is None:
        parts.append(NOT_MEASURED)
        measured.append("flows not measured")
        details.append(f"flows: not measured: {why}")
    else:
        red = {flow: counts for flow, counts in flows.items() if not green(counts)}
        absent = [flow for flow in APP_FLOWS if flow not in flows]
        measured.append(f"{len(flows) - len(red)}/{len(flows)} flows green")
        parts.append(NO_GO if red else GO)
        for flow, counts in red.items():
            details.append(f"flow not green: {flow}: {counts_text(counts)}")
            details += named(["  " + line for line in cases_not_passed(evidence, flow)], 5)
        if absent:
            parts.append(NOT_MEASURED)
            details.append(f"flows that did not run: {', '.join(absent)}")
    return row(evidence, "features", "all mobile features functional",
               "every app call served; every flow's cases pass", "; ".join(measured),
               combine(parts), details)


def judge_flows(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The payment, upload, chat and notification (push) flows green, their cases named."""
    flows, why = of_run(evidence, "flows")
    threshold = "each flow's suite green"
    title = "payment, image upload, chat, push flows"
    if flows is None:
        return row(evidence, "flows", title, threshold, "not measured", NOT_MEASURED,
                   [f"not measured: {why}"])
    parts, details, measured = [], [], []
    cases, _ = of_run(evidence, "junit")
    named_cases: dict[str, list[dict[str, str]]] = {}
    for flow, what in KEY_FLOWS.items():
        counts = flows.get(flow)
        if counts is None:
            parts.append(NOT_MEASURED)
            measured.append(f"{flow} not run")
            details.append(f"{flow} ({what}): did not run")
            continue
        total = sum(counts.values())
        measured.append(f"{flow} {counts.get('passed', 0)}/{total}")
        parts.append(GO if green(counts) else NO_GO)
        details.append(f"{flow} ({what}): {counts_text(counts)}")
        details += named(["  " + line for line in cases_not_passed(evidence, flow)], 8)
        if cases is not None:
            named_cases[flow] = [{"name": case["name"], "outcome": case["outcome"]}
                                 for case in cases if case["flow"] == flow]
    return row(evidence, "flows", title, threshold, "passed: " + ", ".join(measured),
               combine(parts), details, cases=named_cases)


def load_check(evidence: Mapping[str, Any], pick: Callable[[dict], bool]) -> tuple[Any, str]:
    """The load gate's check that `pick` chooses, or None and why there is none."""
    report, why = of_target(evidence, "load")
    if report is None:
        return None, why
    check = next((check for check in report.get("checks") or [] if pick(check)), None)
    if check is None:
        return None, f"{evidence['paths']['load']} has no such check"
    return check, ""


def load_about(evidence: Mapping[str, Any]) -> list[str]:
    report = evidence.get("load") or {}
    settings = report.get("settings") or {}
    return [f"load run: {report.get('target')}, finished {report.get('finished_at')}; "
            f"{settings.get('users')} users for {settings.get('run_time')} s, "
            f"shape {settings.get('shape') or '-'}"]


def judge_average_response(evidence: Mapping[str, Any]) -> dict[str, Any]:
    threshold = f"< {AVERAGE_MS:g} ms"
    title = "average API response"
    check, why = load_check(evidence, lambda check: check.get("kind") == "api")
    if check is None:
        return row(evidence, "average_response", title, threshold, "not measured",
                   NOT_MEASURED, [f"not measured: {why}"])
    values = check.get("values") or {}
    average, requests = values.get("average_ms"), values.get("requests") or 0
    details = load_about(evidence)
    if average is None or not requests:
        return row(evidence, "average_response", title, threshold, "no API requests",
                   NOT_MEASURED, [f"not measured: {check.get('note') or 'no API requests'}",
                                  *details])
    measured = f"{average:.0f} ms over {requests:,} requests"
    if values.get("failures"):
        details.append(f"{values['failures']:,} of the requests failed")
    if check.get("judged") is False:
        return row(evidence, "average_response", title, threshold, measured, NOT_MEASURED,
                   [f"not measured: {check.get('note')}", *details])
    return row(evidence, "average_response", title, threshold, measured,
               GO if average < AVERAGE_MS else NO_GO, details)


def judge_rate(evidence: Mapping[str, Any], metric_id: str, title: str, threshold: float,
               pick: Callable[[dict], bool]) -> dict[str, Any]:
    """A journey rate: GO when the lower bound of its Wilson interval clears the threshold on
    enough journeys; NO-GO when its upper bound does not reach it, or enough journeys were made
    and the lower bound does not clear it; NOT MEASURED on too few to tell."""
    shown = f"> {threshold:.0%} (95 % Wilson lower bound)"
    check, why = load_check(evidence, lambda check: check.get("kind") == "rate" and pick(check))
    if check is None:
        return row(evidence, metric_id, title, shown, "not measured", NOT_MEASURED,
                   [f"not measured: {why}"])
    values = check.get("values") or {}
    total = int(values.get("total") or 0)
    successes = int(values.get("successes") or 0)
    details = load_about(evidence)
    if not total:
        return row(evidence, metric_id, title, shown, "no journeys", NOT_MEASURED,
                   [f"not measured: {check.get('note') or 'no journeys'}", *details])
    confidence = float(values.get("confidence") or CONFIDENCE)
    lower, upper = wilson_interval(successes, total, confidence)
    minimum = int(values.get("min_journeys") or MIN_JOURNEYS[metric_id])
    measured = (f"{successes / total:.1%} ({successes:,}/{total:,}), lower bound "
                f"{lower:.1%}")
    journeys = set(values.get("journeys") or ())
    details += [f"{check_['name'].removeprefix('journey: ')}: {check_.get('measured')}"
                + (f" ({check_['note']})" if check_.get("note") else "")
                for check_ in (evidence.get("load") or {}).get("checks") or []
                if check_.get("kind") == "journey"
                and check_.get("name", "").removeprefix("journey: ") in journeys]
    if lower > threshold and total >= minimum:
        status = GO
    elif upper <= threshold:
        status = NO_GO
        details.insert(0, f"even the upper bound {upper:.1%} is not above {threshold:.0%}")
    elif total < minimum:
        status = NOT_MEASURED
        details.insert(0, f"not measured: {total} journeys, fewer than the {minimum} a rate "
                          "needs (run the load longer or with more users)")
    else:
        status = NO_GO
        details.insert(0, f"lower bound {lower:.1%} is not above {threshold:.0%}")
    return row(evidence, metric_id, title, shown, measured, status, details)


def judge_upload_success(evidence: Mapping[str, Any]) -> dict[str, Any]:
    return judge_rate(evidence, "upload_success", "image upload success", UPLOAD_RATE,
                      lambda check: "upload" in (check.get("values") or {}).get("journeys", ())
                      or "upload" in check.get("name", "").lower())


def judge_payment_success(evidence: Mapping[str, Any]) -> dict[str, Any]:
    return judge_rate(evidence, "payment_success", "payment success", PAYMENT_RATE,
                      lambda check: any(str(journey).startswith("payment") for journey in
                                        (check.get("values") or {}).get("journeys", ()))
                      or "payment" in check.get("name", "").lower())


def judge_security(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """No critical finding (another user's data or money, authentication bypass, payment
    integrity, secrets or debug pages) and no failed case of the security flow."""
    parts, details, measured = [], [], []
    findings, why = of_run(evidence, "findings")
    if findings is None:
        parts.append(NOT_MEASURED)
        measured.append("findings not measured")
        details.append(f"findings: not measured: {why}")
    else:
        critical = [finding for finding in findings if finding.get("severity") == "critical"
                    and finding.get("party", "target") == "target"]
        parts.append(NO_GO if critical else GO)
        measured.append(f"{len(critical)} critical finding(s)")
        details += named([f"critical: [{finding.get('kind')}] {finding.get('call')}: "
                          f"{str(finding.get('got'))[:160]}" for finding in critical])
    flows, why = of_run(evidence, "flows")
    counts = (flows or {}).get(SECURITY_FLOW)
    if counts is None:
        parts.append(NOT_MEASURED)
        measured.append("security cases not run")
        details.append(f"security flow: not measured: {why or 'the security suite did not run'}")
    else:
        failed = counts.get("failed", 0) + counts.get("error", 0)
        measured.append(f"security cases: {counts_text(counts)}")
        if failed:
            parts.append(NO_GO)
        elif counts.get("blocked") or not counts.get("passed"):
            parts.append(NOT_MEASURED)
            details.append(f"{counts.get('blocked', 0)} security case(s) blocked: their "
                           "attacks were not tried")
        else:
            parts.append(GO)
        details += named(cases_not_passed(evidence, SECURITY_FLOW))
    return row(evidence, "security", "zero critical security vulnerabilities",
               "0 critical findings; 0 failed security cases", "; ".join(measured),
               combine(parts), details)


def share(data: Mapping[str, Any], kind: str) -> float | None:
    """Line (`kind` "line") or branch coverage of a backend coverage report, 0..1 (see the
    module doc for the shapes read)."""
    plural = {"line": "lines", "branch": "branches"}[kind]
    if isinstance(data.get(f"{kind}_rate"), int | float):
        return float(data[f"{kind}_rate"])
    if isinstance(data.get(f"{kind}_percent"), int | float):
        return float(data[f"{kind}_percent"]) / 100
    part = data.get(plural)
    if isinstance(part, Mapping):
        if isinstance(part.get("percent"), int | float):
            return float(part["percent"]) / 100
        if part.get("total"):
            return float(part.get("covered", 0)) / float(part["total"])
    totals = data.get("totals")
    if isinstance(totals, Mapping):
        covered, total = {"line": ("covered_lines", "num_statements"),
                          "branch": ("covered_branches", "num_branches")}[kind]
        if totals.get(total):
            return float(totals.get(covered, 0)) / float(totals[total])
    return None


def api_figure(evidence: Mapping[str, Any]) -> tuple[dict | None, float | None, str]:
    coverage, why = of_run(evidence, "coverage", "contracts")
    if coverage is None:
        return None, None, why
    figure = coverage.get("figure")
    if not isinstance(figure, int | float) or not coverage.get("pairs"):
        return None, None, f"{evidence['paths']['coverage']} holds no figure"
    return coverage, float(figure), ""


def judge_test_coverage(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The API coverage above 85 %, and the backend's line coverage beside it when the run
    measured it for the same target."""
    threshold = f"> {TEST_COVERAGE:.0%} (API; backend lines too when measured)"
    title = "test coverage"
    parts, details, measured = [], [], []
    coverage, figure, why = api_figure(evidence)
    if figure is None:
        parts.append(NOT_MEASURED)
        measured.append("API not measured")
        details.append(f"API coverage: not measured: {why}")
    else:
        parts.append(GO if figure > TEST_COVERAGE else NO_GO)
        measured.append(f"API {figure:.1%} ({coverage['exercised']}/{coverage['pairs']} pairs)")
    if evidence.get("backend") is not None or "backend" in evidence.get("unreadable", {}):
        backend, why = of_target(evidence, "backend")
        line = share(backend, "line") if backend is not None else None
        if backend is None:
            details.append(f"backend coverage not counted: {why}")
        elif line is None:
            details.append(f"backend coverage not counted: {evidence['paths']['backend']} "
                           "holds no line figure")
        else:
            parts.append(GO if line > TEST_COVERAGE else NO_GO)
            branch = share(backend, "branch")
            measured.append(f"backend lines {line:.1%}"
                            + (f", branches {branch:.1%}" if branch is not None else ""))
    else:
        details.append("backend coverage: not measured by this run (the reference stack's "
                       "backend under coverage.py); the API figure decides")
    return row(evidence, "test_coverage", title, threshold, "; ".join(measured),
               combine(parts), details)


def judge_api_coverage(evidence: Mapping[str, Any]) -> dict[str, Any]:
    threshold = f">= {API_COVERAGE:.0%} of (operation, documented status) pairs"
    title = "API tests coverage"
    coverage, figure, why = api_figure(evidence)
    if figure is None:
        return row(evidence, "api_coverage", title, threshold, "not measured", NOT_MEASURED,
                   [f"not measured: {why}"])
    missing = Counter(status for operation in coverage.get("by_operation") or []
                      for status in operation.get("missing") or [])
    details = []
    if missing:
        details.append("statuses not exercised: " + ", ".join(
            f"{status} x {count}" for status, count in missing.most_common()))
    return row(evidence, "api_coverage", title, threshold,
               f"{figure:.1%} ({coverage['exercised']}/{coverage['pairs']} pairs)",
               GO if figure >= API_COVERAGE else NO_GO, details)


def resolved(document: Mapping[str, Any], node: Any) -> Any:
    """A node of the document with its local `$ref` followed."""
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 20:
        ref, seen = node["$ref"], seen + 1
        if not ref.startswith("#/"):
            return node
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        node = target
    return node


def has_schema(document: Mapping[str, Any], node: Any) -> bool:
    content = (resolved(document, node) or {}).get("content") or {}
    return any(isinstance(media, Mapping) and media.get("schema") for media in content.values())


def takes_nothing(document: Mapping[str, Any], item: Mapping[str, Any],
                  operation: Mapping[str, Any]) -> bool:
    """An operation with no parameter, no body and no login (a health check, the app's
    public config): no client error is its to document."""
    parameters = [*(item.get("parameters") or []), *(operation.get("parameters") or [])]
    security = operation.get("security", document.get("security"))
    anonymous = not security or any(not requirement for requirement in security)
    return not parameters and operation.get("requestBody") is None and anonymous


def operation_gaps(document: Mapping[str, Any]) -> tuple[int, list[str]]:
    """How many operations the document has, and what each lacks: a summary or description,
    a schema of the request body it takes, a 2xx response schema (none needed for 204/205),
    a body schema for every error status it documents, and at least one 4xx (unless it takes
    nothing a client could get wrong: `takes_nothing`)."""
    count, gaps = 0, []
    for path, item in (document.get("paths") or {}).items():
        for method, operation in (resolved(document, item) or {}).items():
            if method not in HTTP_METHODS or not isinstance(operation, Mapping):
                continue
            count += 1
            call = f"{method.upper()} {path}"
            if not str(operation.get("summary") or operation.get("description") or "").strip():
                gaps.append(f"{call}: no summary or description")
            body = operation.get("requestBody")
            if body is not None and not has_schema(document, body):
                gaps.append(f"{call}: request body without a schema")
            responses = {str(code): answer
                         for code, answer in (operation.get("responses") or {}).items()}
            success = [code for code in responses if code.startswith("2")]
            if not success:
                gaps.append(f"{call}: no 2xx response")
            elif not all(code in ("204", "205") for code in success) and not any(
                    has_schema(document, responses[code]) for code in success):
                gaps.append(f"{call}: no 2xx response schema")
            errors = [code for code in responses if code[:1] in ("4", "5")]
            bare = [code for code in errors if not has_schema(document, responses[code])]
            if bare:
                gaps.append(f"{call}: error status without a body schema: {', '.join(bare)}")
            if not any(code.startswith("4") for code in errors) \
                    and not takes_nothing(document, item, operation):
                gaps.append(f"{call}: no 4xx response")
    return count, gaps


def judge_documentation(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Every operation of the target's OpenAPI documented, and Swagger UI served (a 200 for
    GET /api/docs/ among the run's exchanges)."""
    parts, details, measured = [], [], []
    statuses, why = of_run(evidence, "exchanges")
    if statuses is None or not statuses:
        parts.append(NOT_MEASURED)
        swagger = "Swagger UI not checked"
        details.append("Swagger UI: not measured: " + (
            why or f"no case of the run requested GET {DOCS_PATH}"))
    elif 200 in statuses:
        parts.append(GO)
        swagger = "Swagger UI served"
    else:
        parts.append(NO_GO)
        swagger = "Swagger UI not served"
        details.append(f"Swagger UI: GET {DOCS_PATH} answered "
                       f"{', '.join(map(str, sorted(set(statuses))))}")
    document, why = of_run(evidence, "openapi", "contracts")
    if document is None:
        parts.append(NOT_MEASURED)
        measured.append("OpenAPI not measured")
        details.append(f"OpenAPI: not measured: {why}")
    else:
        count, gaps = operation_gaps(document)
        incomplete = len({gap.split(": ", 1)[0] for gap in gaps})
        measured.append(f"{count - incomplete}/{count} operations documented")
        parts.append(NOT_MEASURED if not count else NO_GO if gaps else GO)
        if not count:
            details.append("OpenAPI: the document has no operation")
        details += named(gaps, 40)
    return row(evidence, "documentation", "documentation complete",
               "every operation documented (summary, request and 2xx schemas, 4xx with "
               "error bodies); Swagger UI served", "; ".join([*measured, swagger]),
               combine(parts), details)


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


# --- output --------------------------------------------------------------------------------------


def verdict_line(report: Mapping[str, Any], page: Path | str | None = None) -> str:
    counts = Counter(metric["status"] for metric in report["metrics"])
    tally = ", ".join(f"{counts[status]} {status}" for status in (GO, NO_GO, NOT_MEASURED)
                      if counts[status])
    return (f"release gate: {report['verdict']} (exit {report['exit_code']}) - {tally}; "
            f"target {report.get('target') or 'unknown'}" + (f"; {page}" if page else ""))


def render_text(report: Mapping[str, Any]) -> str:
    rows = [(metric["id"], metric["threshold"], metric["measured"], metric["status"])
            for metric in report["metrics"]]
    widths = [max(len(cells[i]) for cells in [("metric", "", "", ""), *rows])
              for i in range(3)]
    lines = [f"{'metric':<{widths[0]}}  {'measured':<{widths[2]}}  status"]
    lines += [f"{id_:<{widths[0]}}  {measured:<{widths[2]}}  {status}"
              for id_, _threshold, measured, status in rows]
    if report.get("note"):
        # nothing was judged: one reason, not nine
        return "\n".join([*lines, f"nothing to judge: {report['note']}"])
    for metric in report["metrics"]:
        if metric["status"] != GO and metric["details"]:
            lines.append(f"{metric['status']}: {metric['id']}")
            lines += [f"  {detail}" for detail in metric["details"][:6]]
            if len(metric["details"]) > 6:
                lines.append(f"  ... ({len(metric['details']) - 6} more lines in gate.md)")
    return "\n".join(lines)


def md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_md(report: Mapping[str, Any]) -> str:
    run = report.get("run") or {}
    lines = [f"# Release gate: {report['verdict']}", "",
             f"Target `{report.get('target') or 'unknown'}`; run started "
             f"{run.get('started_at') or '-'}, finished {run.get('finished_at') or '-'}; "
             f"gate generated {report['generated_at']}; exit code {report['exit_code']} "
             "(0 all GO, 1 any NO-GO, 2 a metric not measured).", "",
             "| metric | threshold | measured | status | evidence |", "|---|---|---|---|---|"]
    for metric in report["metrics"]:
        links = ", ".join(f"[{link['label']}]({link['path']})" for link in metric["evidence"])
        lines.append(f"| {md_cell(metric['metric'])} (`{metric['id']}`) | "
                     f"{md_cell(metric['threshold'])} | {md_cell(metric['measured'])} | "
                     f"**{metric['status']}** | {links or '-'} |")
    lines.append("")
    for metric in report["metrics"]:
        if metric["details"]:
            lines += [f"## {metric['metric']}: {metric['status']}", "",
                      *[f"- {detail.strip()}" if not detail.startswith("  ")
                        else f"  - {detail.strip()}" for detail in metric["details"]], ""]
    return "\n".join(lines)


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem;
       color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
p.about { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d1d9e0; padding: .5rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; }
td.status { font-weight: 700; white-space: nowrap; }
.go { background: #dafbe1; color: #116329; }
.no-go { background: #ffebe9; color: #a40e26; }
.not-measured { background: #fff8c5; color: #7d4e00; }
span.status { padding: .1rem .5rem; border-radius: 4px; }
ul { margin: .3rem 0 0 1.1rem; padding: 0; }
li { margin: .1rem 0; font-size: .9rem; }
small { color: #59636e; }
"""

STATUS_CLASS = {GO: "go", NO_GO: "no-go", NOT_MEASURED: "not-measured"}
SHOWN_DETAILS = 8


def html_list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(item.strip())}</li>" for item in items) + "</ul>"


def render_html(report: Mapping[str, Any]) -> str:
    escape = html.escape
    run = report.get("run") or {}
    verdict = report["verdict"]
    rows = []
    for metric in report["metrics"]:
        status = metric["status"]
        details = metric["details"]
        notes = html_list(details[:SHOWN_DETAILS]) if details else ""
        if len(details) > SHOWN_DETAILS:
            notes += (f"<details><summary>{len(details) - SHOWN_DETAILS} more</summary>"
                      f"{html_list(details[SHOWN_DETAILS:])}</details>")
        for flow, cases in (metric.get("cases") or {}).items():
            if cases:
                notes += (f"<details><summary>{escape(flow)}: {len(cases)} case(s)</summary>"
                          + html_list([f"{case['outcome']}: {case['name']}" for case in cases])
                          + "</details>")
        links = "<br>".join(f'<a href="{escape(link["path"], quote=True)}">'
                            f"{escape(link['label'])}</a>" for link in metric["evidence"])
        rows.append(
            f'<tr data-metric="{escape(metric["id"])}" data-status="{escape(status)}">'
            f"<td>{escape(metric['metric'])}<br><small>{escape(metric['id'])}</small></td>"
            f"<td>{escape(metric['threshold'])}</td>"
            f"<td>{escape(metric['measured'])}{notes}</td>"
            f'<td class="status {STATUS_CLASS[status]}">{escape(status)}</td>'
            f"<td>{links or '-'}</td></tr>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Release gate: {escape(verdict)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>Release gate:
<span class="status {STATUS_CLASS[verdict]}" id="verdict">{escape(verdict)}</span></h1>
<p class="about">Target <code>{escape(str(report.get('target') or 'unknown'))}</code>;
run started {escape(str(run.get('started_at') or '-'))}, finished
{escape(str(run.get('finished_at') or '-'))}; gate generated {escape(report['generated_at'])};
exit code {report['exit_code']} (0 every metric GO, 1 any NO-GO, 2 a metric not measured).
A metric is NOT MEASURED when its evidence is missing, of another target, or older than the
run judged.</p>
<table id="gate">
<thead><tr><th>metric</th><th>threshold</th><th>measured</th><th>status</th><th>evidence</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


def write(report: Mapping[str, Any], release_dir: Path | str) -> dict[str, Path]:
    """Writes gate.json, gate.md and gate.html into `release_dir`; returns their paths."""
    folder = Path(release_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "gate.json", "md": folder / "gate.md",
             "html": folder / "gate.html"}
    paths["json"].write_text(json.dumps(report, indent=1) + "\n")
    paths["md"].write_text(render_md(report) + "\n")
    paths["html"].write_text(render_html(report))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.gate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path("reports/out"),
                        help="where the suites and the contract check wrote (default "
                        "reports/out)")
    parser.add_argument("--load-dir", type=Path, help="the load run's (default <out>/load)")
    parser.add_argument("--coverage-dir", type=Path,
                        help="the backend coverage's (default <out>/coverage)")
    parser.add_argument("--release-dir", type=Path,
                        help="where the gate goes (default <out>/release)")
    parser.add_argument("--brief", action="store_true",
                        help="print the verdict line only, not the table")
    args = parser.parse_args(argv)
    release = args.release_dir or args.out_dir / "release"
    report = build(args.out_dir, load_dir=args.load_dir, coverage_dir=args.coverage_dir,
                   release_dir=release)
    paths = write(report, release)
    if not args.brief:
        print(render_text(report))
    print(verdict_line(report, paths["html"]))
    return report["exit_code"]


if __name__ == "__main__":
    sys.exit(main())
