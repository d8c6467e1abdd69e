"""The run summary counts blocked cases apart from skipped ones and names what failed."""

import json

from reports.summary import main, read_junit, render

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" time="12.5">
  <testcase classname="suites.auth.test_login" name="test_by_email" time="0.1"/>
  <testcase classname="suites.auth.test_login" name="test_by_phone" time="0.1">
    <failure message="expected status 200, got 401">...</failure></testcase>
  <testcase classname="suites.orders.test_x" name="test_blocked" time="0.0">
    <skipped type="pytest.skip" message="BLOCKED: [missing] POST /api/orders/">x</skipped>
  </testcase>
  <testcase classname="suites.orders.test_y" name="test_skipped" time="0.0">
    <skipped type="pytest.skip" message="other reason">x</skipped></testcase>
</testsuite></testsuites>
"""


def test_outcomes_separate_blocked_from_skipped(tmp_path):
    (tmp_path / "junit.xml").write_text(JUNIT)
    outcomes = read_junit(tmp_path / "junit.xml")
    assert dict(outcomes.counts) == {"passed": 1, "failed": 1, "blocked": 1, "skipped": 1}
    assert outcomes.failed == ["suites.auth.test_login::test_by_phone"]
    assert outcomes.seconds == 12.5


def test_a_run_with_a_failure_is_a_fail_and_names_it(tmp_path):
    (tmp_path / "junit.xml").write_text(JUNIT)
    findings = [{"kind": "missing", "call": "POST /api/orders/", "expected": "201",
                 "got": "404", "blocked_tests": ["a"]}]
    text = render(read_junit(tmp_path / "junit.xml"), findings, tmp_path, wall=30)
    assert text.startswith("LaundryConnect e2e: FAIL - 4 cases: 1 passed, 1 failed, 1 blocked")
    assert "failed: suites.auth.test_login::test_by_phone" in text
    assert "[missing] POST /api/orders/: 404 (blocks 1 case(s), met in 0)" in text


def test_deviated_cases_count_apart_and_are_never_green(tmp_path):
    (tmp_path / "junit.xml").write_text(
        '<testsuites><testsuite time="1"><testcase classname="a" name="b"/>'
        '<testcase classname="a" name="c"><failure message="DEVIATES: the behaviour held">'
        "x</failure></testcase></testsuite></testsuites>")
    (tmp_path / "flows.json").write_text(json.dumps(
        {"orders": {"passed": 1, "deviated": 1}, "chat": {"blocked": 9}}))

    text = render(read_junit(tmp_path / "junit.xml"), [], tmp_path, wall=None)

    assert text.startswith("LaundryConnect e2e: FAIL - 2 cases: 1 passed, 1 deviated")
    assert "failed:" not in text  # a deviation is not listed as a failure of behaviour
    assert "  orders                     2 of 2         1         0         1" in text
    assert "  chat                       0 of 9         0         0         0         9" in text


def test_findings_beyond_the_top_ones_are_counted_and_limits_kept_apart(tmp_path):
    (tmp_path / "junit.xml").write_text(
        '<testsuites><testsuite time="1"><testcase classname="a" name="b"/></testsuite>'
        "</testsuites>")
    findings = [{"kind": "shape", "call": f"GET /api/{n}/", "expected": "x", "got": "y",
                 "party": "target", "blocked_tests": [], "met_by": ["t"]} for n in range(13)]
    findings.append({"kind": "limit", "call": "-", "expected": "available",
                     "got": "the OTP lives 600 s", "party": "harness", "blocked_tests": ["t"]})

    text = render(read_junit(tmp_path / "junit.xml"), findings, tmp_path, wall=None)

    assert text.startswith("LaundryConnect e2e: FAIL")  # findings alone make it not green
    assert "findings: 13, the most blocking first" in text
    assert "... and 3 more in findings.md" in text
    assert "limit of this run (not the target's): the OTP lives 600 s" in text

    # positive control: a limit of the run alone does not fail a run whose cases passed
    assert render(read_junit(tmp_path / "junit.xml"), findings[-1:], tmp_path,
                  wall=None).startswith("LaundryConnect e2e: PASS")


def test_a_clean_run_passes_and_the_summary_is_written(tmp_path, capsys):
    (tmp_path / "junit.xml").write_text(
        '<testsuites><testsuite time="1"><testcase classname="a" name="b"/></testsuite>'
        "</testsuites>")
    assert main(["--out-dir", str(tmp_path), "--wall", "3"]) == 0
    assert "PASS - 1 cases: 1 passed" in capsys.readouterr().out
    assert "findings: none" in (tmp_path / "summary.md").read_text()


def test_no_results_is_an_error_not_a_pass(tmp_path, capsys):
    assert main(["--out-dir", str(tmp_path)]) == 2
    assert "wrote no results" in capsys.readouterr().err


def test_the_contract_figures_join_the_summary_when_the_run_had_them(tmp_path):
    (tmp_path / "junit.xml").write_text(JUNIT)
    (tmp_path / "contract").mkdir()
    (tmp_path / "contract" / "mobile-contract.json").write_text(json.dumps(
        {"calls": 56, "served": 50, "served_share": 0.8929,
         "counts": {"served": 50, "missing": 4, "blocked": 2}}))
    (tmp_path / "contract" / "coverage.json").write_text(json.dumps(
        {"figure": 0.7213, "exercised": 210, "pairs": 291}))

    text = render(read_junit(tmp_path / "junit.xml"), [], tmp_path, wall=None)

    assert "mobile contract: 50/56 calls served (89%); 4 missing, 2 blocked" in text
    assert "API coverage: 72.1% of (operation, documented status) pairs (210/291)" in text
