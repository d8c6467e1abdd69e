"""A case that hits a finding is reported blocked against a given target and failed against
the reference stack; each finding is written once with the cases it blocked."""

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CASES = textwrap.dedent('''
    import pytest
    from fixtures.findings import (DEFECT, DEVIATES, UNSERVED, Blocked, ContractFinding,
                                   Finding, note)

    MISSING = Finding("missing", "POST /api/x/", "status [201]", "404 text/html")
    RENAMED = Finding("shape", "POST /api/login/", "a body of shape User", "(top): lacks role")
    CRASH = Finding("server_error", "GET /api/y/", "no server error", "500 text/html")

    @pytest.fixture
    def target():
        return "a target"

    @pytest.fixture
    def needs_x():
        raise ContractFinding(MISSING)

    def test_setup_depends_on_a_missing_call(needs_x):
        pass

    def test_body_depends_on_a_missing_call():
        raise ContractFinding(MISSING)

    def test_precondition_absent():
        raise Blocked("no staff credentials were given")

    def test_real_failure():
        assert 1 == 2

    def test_passes():
        assert True

    def test_passes_with_a_renamed_field(target):
        note(RENAMED, DEVIATES)
        note(RENAMED, DEVIATES)  # met twice, listed once

    def test_passes_past_a_server_error(target):
        note(CRASH, DEFECT)

    def test_notes_only_count_in_cases_against_the_target():
        note(CRASH, DEFECT)

    def test_fails_after_a_call_that_is_not_served(target):
        note(Finding("missing", "POST /api/z/", "served", "404 text/html"), UNSERVED)
        assert 404 == 201

    def test_sets_up_through_an_operator_call():
        raise ContractFinding(Finding("operator", "GET /api/health/", "200", "404 text/html"))
''')


def run_cases(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess, Path]:
    # under suites/, as the cases of a tier that tests a target are
    (tmp_path / "suites").mkdir(exist_ok=True)
    (tmp_path / "suites" / "test_cases.py").write_text(CASES)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("LC_")} | {"PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "fixtures.config", "-p", "fixtures.findings",
         "-p", "no:cacheprovider", "-p", "no:xdist", "-ra", "--rootdir", str(tmp_path),
         "-c", str(tmp_path / "pytest.ini"), "--out-dir", str(out),
         "--junitxml", str(out / "junit.xml"), *options,
         str(tmp_path / "suites" / "test_cases.py")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    return result, out


def outcomes(junit: Path) -> dict[str, str]:
    root = ElementTree.parse(junit).getroot()  # noqa: S314 - our own pytest output
    result = {}
    for case in root.iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        result[case.get("name")] = kinds[0] if kinds else "passed"
    return result


def test_against_a_given_target_findings_block_and_real_failures_still_fail(tmp_path):
    result, out = run_cases(tmp_path, "--base-url", "http://127.0.0.1:9")

    assert result.returncode == 1, result.stdout + result.stderr
    assert outcomes(out / "junit.xml") == {
        "test_setup_depends_on_a_missing_call": "skipped",
        "test_body_depends_on_a_missing_call": "skipped",
        "test_precondition_absent": "skipped",
        "test_real_failure": "failure",
        "test_passes": "passed",
        "test_passes_with_a_renamed_field": "failure",
        "test_passes_past_a_server_error": "failure",
        "test_notes_only_count_in_cases_against_the_target": "passed",
        "test_sets_up_through_an_operator_call": "skipped",
        "test_fails_after_a_call_that_is_not_served": "skipped",
    }
    assert "BLOCKED: [missing] POST /api/z/" in result.stdout
    assert "NOT OFFERED: [operator] GET /api/health/" in result.stdout
    assert "BLOCKED: [missing] POST /api/x/" in result.stdout
    assert "DEVIATES: the behaviour held" in result.stdout
    assert "DEFECT: the target answered" in result.stdout
    findings = json.loads((out / "findings.json").read_text())
    # ranked by the cases they blocked; a noted finding is met, not blocking
    assert [(f["kind"], f["call"], len(f["blocked_tests"]), len(f["met_by"]))
            for f in findings] == [
        ("missing", "POST /api/x/", 2, 0), ("missing", "POST /api/z/", 1, 0),
        ("precondition", "-", 1, 0), ("operator", "GET /api/health/", 1, 0),
        ("server_error", "GET /api/y/", 0, 1),
        ("shape", "POST /api/login/", 0, 1)]
    assert [f["party"] for f in findings] == [
        "target", "target", "run", "harness", "target", "target"]
    report = (out / "findings.md").read_text()
    assert "| missing | major | `POST /api/x/` |" in report
    # whose evidence this is, for the release gate
    stamp = json.loads((out / "run.json").read_text())
    assert (stamp["target"], stamp["exit_status"]) == ("http://127.0.0.1:9", 1)
    assert stamp["outcomes"]["deviated"] == 1
    assert "## Of this run's setup" in report


def test_a_run_against_a_given_target_with_blocked_cases_is_never_green(tmp_path):
    result, _ = run_cases(tmp_path, "--base-url", "http://127.0.0.1:9", "-k",
                          "precondition_absent or (passes and not renamed and not server_error)")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "not green: 1 finding(s) and 1 blocked case(s)" in result.stdout

    # positive control: the cases that pass make a green run, with one that needs an
    # operator call the target does not offer (skipped: not required of a target)
    result, _ = run_cases(tmp_path, "--base-url", "http://127.0.0.1:9", "-k",
                          "operator or (test_passes and not renamed and not server_error)")
    assert result.returncode == 0, result.stdout + result.stderr


def test_against_the_reference_stack_a_finding_is_a_failure(tmp_path):
    result, out = run_cases(tmp_path)

    assert result.returncode == 1
    results = outcomes(out / "junit.xml")
    assert results["test_body_depends_on_a_missing_call"] == "failure"
    assert results["test_setup_depends_on_a_missing_call"] == "error"
    assert results["test_passes"] == "passed"
    assert results["test_passes_with_a_renamed_field"] == "failure"
    assert results["test_fails_after_a_call_that_is_not_served"] == "failure"
    assert len(json.loads((out / "findings.json").read_text())) == 6


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--base-url", "ftp://x", "--base-url must start with http"),
    ("--seed", "abc", "--seed must be an integer"),
    ("--otp-ttl", "ten", "--otp-ttl must be whole seconds"),
])
def test_bad_options_stop_the_run_with_a_clear_message(tmp_path, option, value, message):
    extra = ("--base-url", "http://127.0.0.1:9") if option != "--base-url" else ()
    result, _ = run_cases(tmp_path, option, value, *extra)

    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr
