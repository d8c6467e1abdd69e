"""The documentation case (`contracts/test_documentation.py`) against targets that fall short:
Swagger UI absent is not offered (skipped with a note, never blocked), the OpenAPI absent
blocks the case with the tier's `missing` finding, and a page or document of the wrong kind
fails. Its positive control is the run against the reference stack."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from tests.stand_in import build_app, serving

ROOT = Path(__file__).resolve().parent.parent
CASE = "contracts/test_documentation.py"


def run_case(url: str, out: Path) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """Runs the documentation case against `url`; its result and each case's outcome, as
    `passed`, `failed` or the skip message."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", CASE, "-p", "no:xdist", "--base-url", url,
         "--sandbox-url", url, "--out-dir", str(out), "--junitxml", str(out / "junit.xml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    junit = ElementTree.parse(out / "junit.xml")  # noqa: S314 - our own pytest output
    outcomes = {}
    for case in junit.iter("testcase"):
        skipped, failed = case.find("skipped"), case.find("failure")
        outcomes[case.get("name")] = skipped.get("message", "") if skipped is not None \
            else "failed" if failed is not None else "passed"
    return result, outcomes


def test_a_target_without_docs_gets_swagger_ui_not_offered_and_the_schema_missing(tmp_path):
    out = tmp_path / "out"
    with serving(build_app()) as url:  # no /api/docs/, no /api/schema/: HTML 404s
        result, outcomes = run_case(url, out)

    assert result.returncode == 1, result.stdout + result.stderr  # never green
    assert outcomes["test_swagger_ui_is_served"].startswith("NOT OFFERED: [operator] GET "
                                                            "/api/docs/"), outcomes
    assert outcomes["test_openapi_document_is_served"].startswith(
        "BLOCKED: [missing] GET /api/schema/"), outcomes
    flows = json.loads((out / "flows.json").read_text())
    assert flows["contract: documentation"] == {"skipped": 1, "blocked": 1}
    findings = {(f["kind"], f["call"], f["party"])
                for f in json.loads((out / "findings.json").read_text())}
    assert ("missing", "GET /api/schema/", "target") in findings
    assert ("operator", "GET /api/docs/", "harness") in findings


def test_a_page_that_is_not_swagger_ui_and_a_swagger_2_document_fail(tmp_path):
    async def app_shell(request: Request) -> HTMLResponse:
        # a single-page app answering every path with its shell
        return HTMLResponse("<!doctype html><html><body><div id=root></div></body></html>")

    async def swagger_2(request: Request) -> JSONResponse:
        return JSONResponse({"swagger": "2.0", "info": {"title": "API", "version": "1"},
                             "paths": {}})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(routes=[Route("/api/docs/", app_shell), Route("/api/schema/", swagger_2),
                            Route("/api/health/", health), Route("/_sandbox/health/", health)])
    with serving(app) as url:
        result, outcomes = run_case(url, tmp_path / "out")

    assert outcomes == {"test_swagger_ui_is_served": "failed",
                        "test_openapi_document_is_served": "failed"}, result.stdout
    assert "is not Swagger UI" in result.stdout
    assert "expected an OpenAPI 3.x document" in result.stdout
