"""The release gate: each Phase 11 metric GO, NO-GO or NOT MEASURED from fabricated evidence;
evidence of another target or older than the run judged never counts; the exit codes."""

from __future__ import annotations

import argparse
import copy
import json
import re
from pathlib import Path

import pytest

from load.run import gate_stamped, target_identity
from reports import gate
from reports.gate import GO, NO_GO, NOT_MEASURED

STARTED = "2026-03-01T10:00:00+00:00"
WRITTEN = "2026-03-01T10:20:00+00:00"
TARGET = "reference:embedded"
APP_FLOWS = {flow: {"passed": 10} for flow in gate.APP_FLOWS}


def document(**operation_overrides) -> dict:
    """An OpenAPI document of two operations, both fully documented."""
    error = {"description": "", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
    create = {"description": "Place an order.",
              "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
              "responses": {"201": {"content": {"application/json": {
                  "schema": {"type": "object"}}}}, "400": error, "401": error}}
    create.update(operation_overrides)
    return {
        "paths": {
            "/api/orders/": {"post": create},
            "/api/orders/{id}/": {"delete": {"summary": "Delete it.", "responses": {
                "204": {"description": "gone"}, "404": {"$ref": "#/components/responses/E"}}}},
            "/api/health/": {"get": {"description": "Up.", "security": [{}], "responses": {
                "200": {"content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
        "components": {"schemas": {"Error": {"type": "object"}}, "responses": {"E": error}},
    }


def load_report(*, average=120.0, uploads=(200, 200), payments=(400, 400), judged=True,
                target=TARGET, finished_at=WRITTEN) -> dict:
    def rate(name, journeys, successes, total, minimum):
        return {"kind": "rate", "name": name, "measured": f"{successes}/{total}",
                "note": "", "values": {"journeys": journeys, "successes": successes,
                                       "total": total, "min_journeys": minimum,
                                       "confidence": 0.95}}

    report = {
        "passed": True, "settings": {"users": 32, "run_time": 120, "shape": "Steady"},
        "checks": [
            rate("image upload success", ["upload"], *uploads, 80),
            rate("payment success", ["payment online", "wallet top-up", "payment wallet"],
                 *payments, 200),
            {"kind": "journey", "name": "journey: upload", "measured": "100.0 %", "note": ""},
            {"kind": "api", "name": "API average response", "note": "", "judged": judged,
             "values": {"average_ms": average, "requests": 5000, "failures": 0}},
        ],
    }
    if target is not None:
        report["target"] = target
    if finished_at is not None:
        report["finished_at"] = finished_at
    return report


def evidence(**changes) -> dict:
    """Evidence of one run on which every metric is GO; `changes` replace parts of it."""
    keys = [*gate.FILES, "exchanges"]
    found = {
        "paths": {key: f"out/{key}" for key in keys},
        "links": {key: f"../{key}" for key in gate.FILES},
        "modified": {key: WRITTEN for key in keys},
        "unreadable": {},
        "run": {"target": TARGET, "started_at": STARTED, "finished_at": WRITTEN,
                "tiers": ["contracts", "suites"], "exit_status": 0},
        "flows": {**copy.deepcopy(APP_FLOWS), "security": {"passed": 40},
                  "contract: openapi": {"passed": 60}},
        "findings": [{"kind": "shape", "call": "GET /api/x/", "got": "y", "severity": "minor",
                      "party": "target"}],
        "cases": [{"flow": "payments", "name": "suites.payments.test_pay::test_online",
                   "outcome": "passed", "message": ""}],
        "mobile": {"calls": 2, "served": 2, "results": [
            {"call": "GET /api/mobile/config/", "outcome": "served", "detail": ""},
            {"call": "POST /api/orders/", "outcome": "served", "detail": ""}]},
        "coverage": {"figure": 0.92, "pairs": 100, "exercised": 92, "by_operation": [
            {"missing": ["413", "429"]}, {"missing": ["429"]}]},
        "openapi": document(),
        "docs": [200],
        "load": load_report(),
        "backend": None,
    }
    found.update(changes)
    return found


def status(metric_id: str, found: dict) -> tuple[str, dict]:
    report = gate.judge(found)
    metric = next(metric for metric in report["metrics"] if metric["id"] == metric_id)
    return metric["status"], metric


def text(metric: dict) -> str:
    return " | ".join([metric["measured"], *metric["details"]])


# --- every metric GO ------------------------------------------------------------------------------


def test_the_whole_evidence_of_a_good_run_is_go_with_exit_0():
    report = gate.judge(evidence())
    assert [metric["id"] for metric in report["metrics"]] == [
        "features", "flows", "average_response", "upload_success", "payment_success",
        "security", "test_coverage", "api_coverage", "documentation"]
    assert {metric["id"]: metric["status"] for metric in report["metrics"]} == dict.fromkeys(
        [metric["id"] for metric in report["metrics"]], GO)
    assert (report["verdict"], report["exit_code"], report["target"]) == (GO, 0, TARGET)


# --- features and flows ---------------------------------------------------------------------------


def test_features_name_the_calls_not_served_and_the_flows_not_green():
    found = evidence()
    found["mobile"]["results"][1] |= {"outcome": "missing", "detail": "HTML 404"}
    found["flows"]["orders"] = {"passed": 3, "blocked": 2}
    found["cases"].append({"flow": "orders", "name": "suites.orders.test_a::test_place",
                           "outcome": "blocked", "message": "BLOCKED: [missing] POST"})

    result, metric = status("features", found)

    assert result == NO_GO
    assert metric["measured"] == "1/2 app calls served; 10/11 flows green"
    assert "not served: POST /api/orders/ (missing: HTML 404)" in metric["details"]
    assert "flow not green: orders: 3 passed, 2 blocked" in metric["details"]
    assert any("suites.orders.test_a::test_place" in line for line in metric["details"])


def test_features_are_not_measured_when_an_app_flow_did_not_run():
    found = evidence()
    del found["flows"]["chat"]

    result, metric = status("features", found)

    assert result == NOT_MEASURED
    assert "flows that did not run: chat" in metric["details"]


def test_features_are_not_measured_without_the_contract_tier_in_the_run():
    found = evidence()
    found["run"]["tiers"] = ["suites"]

    result, metric = status("features", found)

    assert result == NOT_MEASURED
    assert "that run had no contracts tier" in text(metric)


def test_skipped_cases_do_not_make_a_flow_red_but_a_flow_of_skips_only_is_not_green():
    assert gate.green({"passed": 3, "skipped": 2})
    assert not gate.green({"skipped": 2})
    assert not gate.green({"passed": 3, "deviated": 1})


def test_the_key_flows_are_named_with_their_outcomes():
    found = evidence()
    found["flows"]["payments"] = {"passed": 9, "failed": 1}
    found["cases"].append({"flow": "payments", "name": "suites.payments.test_pay::test_twice",
                           "outcome": "failed", "message": "credited twice"})

    result, metric = status("flows", found)

    assert result == NO_GO
    assert metric["measured"] == ("passed: payments 9/10, uploads 10/10, chat 10/10, "
                                  "notifications 10/10")
    assert "payments (payment end to end): 9 passed, 1 failed" in metric["details"]
    assert "  failed: suites.payments.test_pay::test_twice (credited twice)" in metric["details"]
    assert {"name": "suites.payments.test_pay::test_online", "outcome": "passed"} in \
        metric["cases"]["payments"]


def test_a_key_flow_that_did_not_run_is_not_measured():
    found = evidence()
    del found["flows"]["notifications"]

    result, metric = status("flows", found)

    assert result == NOT_MEASURED
    assert "notifications (push delivered): did not run" in metric["details"]


# --- the load metrics -----------------------------------------------------------------------------


def test_average_response_go_no_go_and_not_measured():
    assert status("average_response", evidence())[0] == GO
    result, metric = status("average_response", evidence(load=load_report(average=620.0)))
    assert (result, metric["measured"]) == (NO_GO, "620 ms over 5,000 requests")
    result, metric = status("average_response", evidence(load=load_report(judged=False)))
    assert result == NOT_MEASURED
    result, metric = status("average_response", evidence(load=None))
    assert (result, metric["details"]) == (NOT_MEASURED, ["not measured: no out/load"])


@pytest.mark.parametrize(("uploads", "expected"), [
    ((199, 200), GO),        # lower bound 97.2 %
    ((185, 200), NO_GO),     # enough journeys, lower bound 88.1 %
    ((10, 20), NO_GO),       # few, but even the upper bound is under 95 %
    ((20, 20), NOT_MEASURED),  # lucky and too few: 20 < 80
    ((0, 0), NOT_MEASURED),  # no journey at all
])
def test_upload_success_is_judged_on_the_wilson_lower_bound(uploads, expected):
    result, metric = status("upload_success", evidence(load=load_report(uploads=uploads)))
    assert result == expected, text(metric)


def test_a_too_small_sample_says_so():
    _, metric = status("upload_success", evidence(load=load_report(uploads=(20, 20))))
    assert metric["details"][0].startswith("not measured: 20 journeys, fewer than the 80")


def test_payment_success_holds_to_98_percent_whatever_the_load_gate_was_told():
    assert status("payment_success", evidence())[0] == GO
    # 97.5 % would pass a load gate edited down to 95 %: the release gate says NO-GO
    result, metric = status("payment_success", evidence(load=load_report(payments=(390, 400))))
    assert result == NO_GO
    assert metric["measured"].startswith("97.5% (390/400), lower bound")
    assert status("payment_success", evidence(load=load_report(payments=(50, 50))))[0] \
        == NOT_MEASURED


# --- whose evidence, and how recent ---------------------------------------------------------------


def test_a_load_result_of_another_target_is_not_measured_with_the_reason():
    found = evidence(load=load_report(target="https://staging.example.in"))
    for metric_id in ("average_response", "upload_success", "payment_success"):
        result, metric = status(metric_id, found)
        assert result == NOT_MEASURED
        assert metric["details"] == [
            "not measured: out/load is of https://staging.example.in, the run judged of "
            "reference:embedded"]


def test_a_load_result_older_than_the_run_is_not_measured():
    result, metric = status("average_response", evidence(
        load=load_report(finished_at="2026-03-01T09:59:59+00:00")))
    assert result == NOT_MEASURED
    assert "finished at 2026-03-01T09:59:59+00:00, before the run judged started" in text(metric)


def test_a_load_result_that_names_no_target_does_not_count():
    result, metric = status("upload_success", evidence(load=load_report(target=None)))
    assert result == NOT_MEASURED
    assert "names no target or finish time" in text(metric)


def test_a_file_of_the_out_dir_older_than_the_run_does_not_count():
    found = evidence()
    found["modified"]["coverage"] = "2026-03-01T09:00:00+00:00"
    result, metric = status("api_coverage", found)
    assert result == NOT_MEASURED
    assert "out/coverage is older (2026-03-01T09:00:00+00:00) than the run judged" in text(metric)


def test_without_run_json_nothing_is_judged():
    report = gate.judge(evidence(run=None))
    assert {metric["status"] for metric in report["metrics"]} == {NOT_MEASURED}
    assert report["exit_code"] == 2
    assert "the suites and the contract check have not run" in report["note"]


def test_load_run_stamps_its_target_and_times_as_the_suites_name_them():
    options = argparse.Namespace(target="https://staging.example.in/", profile="scaled")
    assert target_identity(options) == "https://staging.example.in"
    assert target_identity(argparse.Namespace(target=None, profile="scaled")) \
        == "reference:scaled"
    stamped = gate_stamped({"passed": True}, "reference:scaled", STARTED, WRITTEN)
    assert stamped == {"passed": True, "target": "reference:scaled", "started_at": STARTED,
                       "finished_at": WRITTEN}


# --- security -------------------------------------------------------------------------------------


def test_security_no_go_names_critical_findings_and_failed_cases():
    found = evidence()
    found["findings"].append({"kind": "ownership", "call": "GET /api/orders/{id}/",
                              "got": "200 with another customer's order",
                              "severity": "critical", "party": "target"})
    found["flows"]["security"] = {"passed": 39, "failed": 1}
    found["cases"].append({"flow": "security", "name": "suites.security.test_jwt::test_none_alg",
                           "outcome": "failed", "message": "accepted alg none"})

    result, metric = status("security", found)

    assert result == NO_GO
    assert metric["measured"] == "1 critical finding(s); security cases: 39 passed, 1 failed"
    assert ("critical: [ownership] GET /api/orders/{id}/: 200 with another customer's order"
            in metric["details"])
    assert ("failed: suites.security.test_jwt::test_none_alg (accepted alg none)"
            in metric["details"])


def test_blocked_security_cases_are_not_measured_and_harness_limits_not_critical():
    found = evidence()
    found["flows"]["security"] = {"passed": 38, "blocked": 2}
    found["findings"].append({"kind": "limit", "severity": "-", "party": "harness"})
    result, metric = status("security", found)
    assert result == NOT_MEASURED
    assert "2 security case(s) blocked: their attacks were not tried" in metric["details"]


# --- coverage -------------------------------------------------------------------------------------


def test_test_coverage_and_api_coverage_from_the_api_figure():
    assert status("test_coverage", evidence())[0] == GO
    assert status("api_coverage", evidence())[0] == GO
    exactly = evidence(coverage={"figure": 0.90, "pairs": 100, "exercised": 90})
    assert status("api_coverage", exactly)[0] == GO  # 90 %+
    low = evidence(coverage={"figure": 0.85, "pairs": 100, "exercised": 85})
    assert status("test_coverage", low)[0] == NO_GO  # above 85 %, not at it
    result, metric = status("api_coverage", low)
    assert (result, metric["measured"]) == (NO_GO, "85.0% (85/100 pairs)")
    assert status("api_coverage", evidence(coverage=None))[0] == NOT_MEASURED
    assert status("test_coverage", evidence(coverage=None))[0] == NOT_MEASURED


def test_api_coverage_lists_the_statuses_not_exercised():
    _, metric = status("api_coverage", evidence())
    assert metric["details"] == ["statuses not exercised: 429 x 2, 413 x 1"]


def test_app_calls_the_targets_openapi_leaves_out_count_as_pairs_not_covered():
    # given a document whose every documented pair was exercised, but which leaves out two of
    # the app's three calls
    mobile = {"calls": 3, "served": 1, "results": [
        {"call": "GET /api/mobile/config/", "outcome": "served", "static": "served"},
        {"call": "POST /api/orders/", "outcome": "missing", "static": "missing"},
        {"call": "GET /api/orders/", "outcome": "missing", "static": "missing"}]}
    whole = {"figure": 1.0, "pairs": 8, "exercised": 8}
    found = evidence(mobile=mobile, coverage=whole)

    # then both coverage metrics count the calls left out, and name them
    result, metric = status("api_coverage", found)
    assert (result, metric["measured"]) == (NO_GO, "80.0% (8/10 pairs)")
    assert "POST /api/orders/, GET /api/orders/" in text(metric)
    assert status("test_coverage", found)[0] == NO_GO
    # while a document that has every call of the app keeps its figure (the positive control)
    for result_ in mobile["results"]:
        result_["static"] = "served"
    assert status("api_coverage", evidence(mobile=mobile, coverage=whole))[1]["measured"] == \
        "100.0% (8/8 pairs)"


def test_backend_line_coverage_of_the_same_target_is_shown_beside_and_must_pass_too():
    backend = {"target": TARGET, "finished_at": WRITTEN,
               "totals": {"covered_lines": 800, "num_statements": 1000,
                          "covered_branches": 150, "num_branches": 200}}
    result, metric = status("test_coverage", evidence(backend=backend))
    assert (result, metric["measured"]) == (
        NO_GO, "API 92.0% (92/100 pairs); backend lines 80.0%, branches 75.0%")
    backend["totals"]["covered_lines"] = 900
    assert status("test_coverage", evidence(backend=backend))[0] == GO
    assert gate.share({"lines": {"covered": 9, "total": 10}}, "line") == 0.9


def test_backend_coverage_as_the_run_writes_it():
    backend = {"target": TARGET, "finished_at": WRITTEN, "line_percent": 88.5,
               "branch_percent": 71.25, "statements": 4000, "branches": 900,
               "html": "coverage/html/index.html"}
    result, metric = status("test_coverage", evidence(backend=backend))
    assert (result, metric["measured"]) == (
        GO, "API 92.0% (92/100 pairs); backend lines 88.5%, branches 71.2%")


def test_backend_coverage_of_another_target_is_not_counted():
    backend = {"target": "reference:scaled", "finished_at": WRITTEN, "line_rate": 0.1}
    result, metric = status("test_coverage", evidence(backend=backend))
    assert result == GO
    assert metric["measured"] == "API 92.0% (92/100 pairs)"
    assert ("backend coverage not counted: out/backend is of reference:scaled, the run judged "
            "of reference:embedded") in metric["details"]


# --- documentation --------------------------------------------------------------------------------


def test_documentation_no_go_names_what_each_operation_lacks():
    found = evidence(openapi=document(description="", requestBody={"content": {
        "application/json": {}}}, responses={"200": {"description": "ok"}}))

    result, metric = status("documentation", found)

    assert result == NO_GO
    assert metric["measured"] == "2/3 operations documented; Swagger UI served"
    assert metric["details"] == [
        "POST /api/orders/: no summary or description",
        "POST /api/orders/: request body without a schema",
        "POST /api/orders/: no 2xx response schema",
        "POST /api/orders/: no 4xx response"]


def test_documented_errors_need_their_body():
    found = evidence(openapi=document(responses={
        "201": {"content": {"application/json": {"schema": {}}}},
        "400": {"description": "bad"}}))
    _, metric = status("documentation", found)
    assert "POST /api/orders/: no 2xx response schema" in metric["details"]
    assert "POST /api/orders/: error status without a body schema: 400" in metric["details"]


def test_swagger_ui_not_served_is_no_go_and_not_requested_is_not_measured():
    result, metric = status("documentation", evidence(docs=[404]))
    assert result == NO_GO
    assert "Swagger UI: GET /api/docs/ answered 404" in metric["details"]
    result, metric = status("documentation", evidence(docs=[]))
    assert result == NOT_MEASURED
    assert metric["measured"] == "3/3 operations documented; Swagger UI not checked"


# --- the verdict, the files and the exit codes ---------------------------------------------------


def test_any_no_go_wins_over_not_measured():
    found = evidence(load=None, coverage={"figure": 0.5, "pairs": 10, "exercised": 5})
    report = gate.judge(found)
    assert (report["verdict"], report["exit_code"]) == (NO_GO, 1)
    report = gate.judge(evidence(load=None))
    assert (report["verdict"], report["exit_code"]) == (NOT_MEASURED, 2)


def write_out_dir(out: Path, *, load: dict | None) -> None:
    """An out dir as `make release-check` leaves it, the run started before any file."""
    found = evidence()
    (out / "contract").mkdir(parents=True)
    (out / "exchanges").mkdir()
    (out / "load").mkdir()
    (out / "run.json").write_text(json.dumps(found["run"]))
    (out / "flows.json").write_text(json.dumps(found["flows"]))
    (out / "findings.json").write_text(json.dumps(found["findings"]))
    (out / "findings.md").write_text("# Findings\n")
    (out / "junit.xml").write_text(
        '<testsuites><testsuite><testcase classname="suites.payments.test_pay" '
        'name="test_online"/><testcase classname="contracts.test_openapi" name="test_x"/>'
        "</testsuite></testsuites>")
    (out / "contract" / "mobile-contract.json").write_text(json.dumps(found["mobile"]))
    (out / "contract" / "coverage.json").write_text(json.dumps(found["coverage"]))
    (out / "contract" / "openapi.json").write_text(json.dumps(found["openapi"]))
    (out / "exchanges" / "gw0.jsonl").write_text(
        json.dumps({"method": "GET", "path": "/api/docs/", "status": 200, "source": "harness"})
        + "\n{cut short")
    if load is not None:
        (out / "load" / "gate.json").write_text(json.dumps(load))


def test_main_writes_the_three_files_and_exits_0_when_all_is_go(tmp_path, capsys):
    out = tmp_path / "out"
    write_out_dir(out, load=load_report(finished_at=WRITTEN))

    assert gate.main(["--out-dir", str(out)]) == 0

    release = out / "release"
    report = json.loads((release / "gate.json").read_text())
    assert report == gate.build(out) | {"generated_at": report["generated_at"]}
    assert report["verdict"] == GO
    assert "release gate: GO (exit 0) - 9 GO; target reference:embedded" in \
        capsys.readouterr().out
    page = (release / "gate.html").read_text()
    assert len(re.findall(r'<tr data-metric="[a-z_]+" data-status="GO">', page)) == 9
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)  # self-contained
    assert '<a href="../contract/mobile-contract.json">' not in page  # only what LINKS names
    assert '<a href="../load/gate.json">load gate (json)</a>' in page
    assert "| **GO** |" in (release / "gate.md").read_text()


def test_main_exits_1_on_a_no_go_and_2_on_a_metric_without_evidence(tmp_path):
    out = tmp_path / "out"
    write_out_dir(out, load=load_report(average=900.0,
                                        finished_at=WRITTEN))
    assert gate.main(["--out-dir", str(out), "--brief"]) == 1
    (out / "load" / "gate.json").unlink()
    assert gate.main(["--out-dir", str(out), "--brief"]) == 2
    report = json.loads((out / "release" / "gate.json").read_text())
    assert {metric["id"] for metric in report["metrics"] if metric["status"] == NOT_MEASURED} \
        == {"average_response", "upload_success", "payment_success"}


def test_the_load_dir_and_release_dir_can_be_elsewhere(tmp_path):
    out, load_dir = tmp_path / "out", tmp_path / "elsewhere"
    write_out_dir(out, load=None)
    load_dir.mkdir()
    (load_dir / "gate.json").write_text(json.dumps(
        load_report(finished_at=WRITTEN)))
    code = gate.main(["--out-dir", str(out), "--load-dir", str(load_dir),
                      "--release-dir", str(tmp_path / "page"), "--brief"])
    assert code == 0
    report = json.loads((tmp_path / "page" / "gate.json").read_text())
    links = {link["path"] for metric in report["metrics"] for link in metric["evidence"]}
    assert "../elsewhere/gate.json" in links
    assert "../out/flows.json" in links


def test_junit_cases_carry_their_flow_and_outcome(tmp_path):
    (tmp_path / "junit.xml").write_text(
        '<testsuites><testsuite>'
        '<testcase classname="suites.payments.test_pay.TestOnline" name="test_a"/>'
        '<testcase classname="suites.chat.test_room" name="test_b"><skipped message="BLOCKED: '
        '[missing] GET /api/chat/rooms/">x</skipped></testcase>'
        '<testcase classname="contracts.test_openapi" name="test_c"><failure message="DEVIATES:'
        ' shape">x</failure></testcase></testsuite></testsuites>')
    assert [(case["flow"], case["outcome"]) for case in gate.junit_cases(
        tmp_path / "junit.xml")] == [("payments", "passed"), ("chat", "blocked"),
                                     ("contract: openapi", "deviated")]
