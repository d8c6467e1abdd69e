"""Pointed at a backend that lacks calls, the harness reports findings and blocked cases, runs
what it can, and does not crash: the real suites against a small stand-in target."""

import json
import os
import subprocess
import sys
from pathlib import Path

from reports.summary import read_junit
from tests.stand_in import build_app, serving

ROOT = Path(__file__).resolve().parent.parent
SUITES = ["suites/catalog", "suites/addresses",
          "suites/auth/test_customer_logs_in_by_email_or_phone.py"]


def test_a_backend_lacking_calls_yields_findings_and_blocked_cases(tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    with serving(build_app()) as url:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *SUITES, "-p", "no:xdist", "--base-url", url,
             "--sandbox-url", url, "--out-dir", str(out), "--junitxml", str(out / "junit.xml")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr

    # the run ends normally and, with findings and blocked cases, is never green
    assert result.returncode == 1, output
    assert "INTERNALERROR" not in output

    # each way the stand-in falls short is one finding, naming the call
    findings = {(f["kind"], f["call"]): f for f in json.loads((out / "findings.json").read_text())}
    assert ("missing", "POST /api/accounts/verify-otp/") in findings, findings.keys()
    assert ("shape", "GET /api/services/categories/") in findings, findings.keys()
    assert ("server_error", "GET /api/services/items/") in findings, findings.keys()
    assert "text/html" in findings[("missing", "POST /api/accounts/verify-otp/")]["got"]

    # every case that needs a verified customer is blocked by the missing OTP call, not failed
    address_cases = [t for t in findings[("missing", "POST /api/accounts/verify-otp/")]
                     ["blocked_tests"] if t.startswith("suites/addresses/")]
    assert address_cases
    outcomes = read_junit(out / "junit.xml")
    assert outcomes.counts["blocked"] >= len(address_cases) + 2
    assert not any(name.startswith("suites.addresses") for name in outcomes.failed), \
        outcomes.failed
    assert "findings:" in result.stdout
    assert "outcome by flow" in result.stdout
