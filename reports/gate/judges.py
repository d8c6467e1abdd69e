"""The judges of the run's metrics: pure functions from the evidence, as plain data, to one
row of the gate each."""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from load.gate import wilson_interval
from reports.gate.evidence import of_run, of_target
from reports.gate.metrics import (
    API_COVERAGE,
    APP_FLOWS,
    AVERAGE_MS,
    CONFIDENCE,
    FILES,
    GO,
    KEY_FLOWS,
    LINKS,
    MIN_JOURNEYS,
    NAMED,
    NO_GO,
    NOT_MEASURED,
    PAYMENT_RATE,
    SECURITY_FLOW,
    TEST_COVERAGE,
    UPLOAD_RATE,
)


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


def undocumented_app_calls(evidence: Mapping[str, Any]) -> list[str]:
    """The app's calls the target's OpenAPI does not describe (the mobile contract's static
    check), when the run checked them."""
    mobile, _ = of_run(evidence, "mobile", "contracts")
    return [result["call"] for result in (mobile or {}).get("results") or ()
            if result.get("static") == "missing"]


def api_figure(evidence: Mapping[str, Any]) -> tuple[dict | None, float | None, str]:
    """The API coverage of the run, over the pairs the target documents and, one pair each,
    the app's calls it does not: a document that leaves most of the app out would otherwise be
    covered in full by testing the little it describes."""
    coverage, why = of_run(evidence, "coverage", "contracts")
    if coverage is None:
        return None, None, why
    figure = coverage.get("figure")
    if not isinstance(figure, int | float) or not coverage.get("pairs"):
        return None, None, f"{evidence['paths']['coverage']} holds no figure"
    undocumented = undocumented_app_calls(evidence)
    if not undocumented:
        return coverage, float(figure), ""
    pairs = coverage["pairs"] + len(undocumented)
    return ({**coverage, "pairs": pairs, "undocumented": undocumented},
            coverage["exercised"] / pairs, "")


def undocumented_detail(coverage: Mapping[str, Any]) -> list[str]:
    undocumented = coverage.get("undocumented") or []
    if not undocumented:
        return []
    return [f"{len(undocumented)} of the app's calls are not in the target's OpenAPI, each "
            "counted as a pair not covered: " + ", ".join(named(undocumented, 8))]


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
        details += undocumented_detail(coverage)
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
    details = undocumented_detail(coverage)
    if missing:
        details.append("statuses not exercised: " + ", ".join(
            f"{status} x {count}" for status, count in missing.most_common()))
    return row(evidence, "api_coverage", title, threshold,
               f"{figure:.1%} ({coverage['exercised']}/{coverage['pairs']} pairs)",
               GO if figure >= API_COVERAGE else NO_GO, details)
