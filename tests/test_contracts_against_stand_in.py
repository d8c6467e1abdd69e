"""Pointed at a backend that lacks most calls and serves no OpenAPI, the contract tier reports
each call's outcome, blocks what it cannot generate, and does not crash."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.stand_in import build_app, serving

ROOT = Path(__file__).resolve().parent.parent


def test_a_backend_lacking_calls_gets_a_mobile_contract_table_not_a_crash(tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    with serving(build_app()) as url:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "contracts", "-p", "no:xdist", "--base-url", url,
             "--sandbox-url", url, "--out-dir", str(out), "--junitxml", str(out / "junit.xml")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr

    # the run ends normally, never with an internal error, and never green: its blocked
    # cases (subtests of the mobile contract among them) and findings count
    assert result.returncode == 1, output
    assert "INTERNALERROR" not in output

    # every call of the app has an outcome, and the ways the stand-in falls short are named
    report = json.loads((out / "contract" / "mobile-contract.json").read_text())
    outcomes = {row["id"]: row["outcome"] for row in report["results"]}
    assert len(outcomes) == report["calls"] > 40
    assert outcomes["accounts.verify_otp"] == "missing"
    assert outcomes["services.categories"] == "wrong shape"
    assert outcomes["addresses.get"] == "blocked"  # no address was ever made
    assert report["served"] < report["calls"]
    assert "mobile contract:" in result.stdout

    # without an OpenAPI document, Schemathesis and the matrix are blocked by that finding
    findings = {(f["kind"], f["call"]) for f in json.loads((out / "findings.json").read_text())}
    assert ("missing", "GET /api/schema/") in findings, findings
