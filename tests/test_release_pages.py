"""The release gate's pages as a release manager sees them, in a real browser: gate.html shows
one row per metric with its status, and the Allure report built by `make report` shows the
"Release gate" suite and a quality gate that agrees with the verdict.

Headless Chromium from Debian (`/usr/bin/chromium`, installed by `.ci/run`) driven by
Playwright; each page is served over HTTP from a local static server, as a release manager's
browser would load it (Allure's report loads its data with fetch, which file:// refuses)."""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from filelock import FileLock
from playwright.sync_api import sync_playwright

from reports import gate
from reports.gate.allure import SUITE

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ALLURE = ROOT / "reports/.tools/node_modules/.bin/allure"
MAKE = shutil.which("make") or "/usr/bin/make"
SCREENSHOT = ROOT / "reports/out/release/gate.png"
WAIT_MS = 15_000

METRICS = {  # gate.json's metric ids (ARCHITECTURE.md): name, threshold, a measured value
    "features": ("all mobile features functional", "every app call served, every flow green",
                 "42 of 42 calls served; 9 of 9 flows green"),
    "flows": ("payment, upload, chat and push flows", "each flow's suite green",
              "4 of 4 flows green"),
    "average_response": ("average API response", "< 500 ms", "212 ms"),
    "upload_success": ("image upload success", "> 95 % (Wilson lower bound)", "99.1 %"),
    "payment_success": ("payment success", "> 98 % (Wilson lower bound)", "99.4 %"),
    "security": ("zero critical security vulnerabilities", "0", "0 critical"),
    "test_coverage": ("test coverage", "> 85 %", "91 %"),
    "api_coverage": ("API tests coverage", ">= 90 %", "93 %"),
    "documentation": ("documentation complete", "every operation documented",
                      "61 of 61 operations"),
}
RUN_ID = "5f3a9c"
# a gate that is not GO: a breach, and a metric without evidence
NOT_ALL_GO = {"average_response": ("NO-GO", "640 ms"),
              "test_coverage": ("NOT MEASURED", "no evidence")}


def fabricated_gate(**others: tuple[str, str]) -> dict:
    """A gate.json as ARCHITECTURE.md defines it: every metric GO unless named with its
    (status, measured value)."""
    metrics = []
    for metric_id, (name, threshold, measured) in METRICS.items():
        status, measured = others.get(metric_id, ("GO", measured))
        metrics.append({
            "id": metric_id, "metric": name, "threshold": threshold, "measured": measured,
            "status": status,
            "evidence": [{"label": "load gate (json)", "path": "../load/gate.json"}],
            "details": [] if status == "GO" else [f"{status} (fabricated)"],
        })
    verdict, exit_code = gate.verdict_of(metrics)
    return {"generated_at": "2026-12-06T00:00:00+00:00",
            "target": "https://staging.example.test (fabricated by tests/test_release_pages.py)",
            "verdict": verdict, "exit_code": exit_code,
            "run": {"started_at": "2026-12-05T23:00:00+00:00",
                    "finished_at": "2026-12-05T23:40:00+00:00", "run_id": RUN_ID},
            "metrics": metrics}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        """The pages' requests are not the test's output."""


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """Yields the base URL of `directory` served on a free loopback port; stops it after."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium under Playwright, one per worker and module."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium "
                    "(.ci/run does), or deselect these tests with -m 'not browser'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A page of a context of its own, every wait bounded by WAIT_MS."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def allure_cli() -> Path:
    """Allure 3 and its Node.js in reports/.tools, installed by make the first time."""
    lock = ROOT / "reports/out/.allure-install.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock)):  # one npm install at a time into reports/.tools
        subprocess.run([MAKE, "-s", str(ALLURE.relative_to(ROOT))], cwd=ROOT, check=True,
                       timeout=600)
    return ALLURE


def make_report(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([MAKE, "-s", "report", f"OUT={out}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=180)


def test_gate_page_shows_one_row_per_metric_with_its_status(tmp_path, page):
    # given a gate with a NO-GO and a metric without evidence, written as make gate writes it
    (tmp_path / "load").mkdir()
    (tmp_path / "load/gate.json").write_text("{}")
    report = fabricated_gate(**NOT_ALL_GO)
    gate.write(report, tmp_path / "release")

    # when a release manager opens gate.html
    with static_server(tmp_path) as base_url:
        page.goto(f"{base_url}/release/gate.html")
        rows = page.locator("table#gate tbody tr")
        rows.first.wait_for()
        shown = {row.get_attribute("data-metric"): row.locator("td.status").inner_text()
                 for row in rows.all()}
        verdict = page.locator("#verdict").inner_text()
        evidence = page.locator("tr[data-metric='average_response'] a").first
        served = page.request.get(evidence.evaluate("link => link.href"))
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT, full_page=True)

    # then there is one row per metric, in gate.json's order, with the status it was given
    assert list(shown) == list(METRICS)
    assert shown == {metric_id: "GO" for metric_id in METRICS} | {
        "average_response": "NO-GO", "test_coverage": "NOT MEASURED"}
    assert verdict == "NO-GO"
    # and an evidence link leads to the file, relative to the page
    assert served.ok, f"{served.url}: {served.status}"


def test_allure_report_shows_the_release_gate_and_its_quality_gate_agrees(
        allure_cli, tmp_path, page):
    # given a run's results, with a failed case of a suite, and its gate, all GO
    out = tmp_path / "out"
    results = out / "allure-results"
    results.mkdir(parents=True)
    (results / "environment.properties").write_text(f"run_id={RUN_ID}\n")
    (results / "0b1c2d3e-0000-4000-8000-000000000001-result.json").write_text(json.dumps({
        "uuid": "0b1c2d3e-0000-4000-8000-000000000001", "name": "test_login_by_phone",
        "fullName": "suites.auth.test_login#test_login_by_phone", "status": "failed",
        "labels": [{"name": "suite", "value": "test_login"}], "start": 1, "stop": 2}))
    gate.write(fabricated_gate(), out / "release")

    # when the report is built: the suite's failure is the gate's to judge, not a rule's
    built = make_report(out)
    assert built.returncode == 0, built.stdout + built.stderr

    # and built again, after a gate with a NO-GO and a metric without evidence
    gate.write(fabricated_gate(**NOT_ALL_GO), out / "release")
    built = make_report(out)

    # then the CLI fails on the gate's failed and broken results, and history has both reports
    assert built.returncode != 0, built.stdout + built.stderr
    assert "release-gate/maxFailures" in built.stderr
    assert len((out / "history.jsonl").read_text().splitlines()) == 2

    # and the report, in the browser, lists the gate's metrics with their statuses
    with static_server(out / "allure-report") as base_url:
        page.goto(f"{base_url}/index.html")
        # a section's header row, then its results beside it
        header = page.get_by_test_id("tree-section").filter(
            has=page.get_by_test_id("tree-section-title").get_by_text(SUITE, exact=True))
        leaves = header.locator("xpath=following-sibling::*[@data-testid='tree-content']") \
            .get_by_test_id("tree-leaf")
        leaves.first.wait_for()
        rows = {}
        for leaf in leaves.all():
            status = leaf.locator("[data-testid^='tree-leaf-status-']").get_attribute(
                "data-testid").removeprefix("tree-leaf-status-")
            rows[leaf.get_by_test_id("tree-leaf-title").inner_text()] = status
        names = {metric_id: name for metric_id, (name, _, _) in METRICS.items()}
        assert rows == {name: "passed" for name in names.values()} | {
            names["average_response"]: "failed", names["test_coverage"]: "broken"}

        # and its Quality Gates tab says what the CLI said
        page.get_by_test_id("nav-tab-qualityGate").click()
        verdicts = page.get_by_test_id("quality-gate-result")
        verdicts.first.wait_for()
        by_rule = {verdict.get_by_test_id("quality-gate-result-rule").inner_text():
                   verdict.get_attribute("data-success") for verdict in verdicts.all()}
        assert by_rule == {"release-gate/maxFailures": "false",
                           "release-gate/minTestsCount": "true"}
