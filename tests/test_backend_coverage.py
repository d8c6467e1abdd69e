"""`--backend-coverage`: the reference stack's backend measured by coverage.py, every process
combined at the end of the run into `<out>/coverage/` (HTML, backend.json) and one line; refused
against a given target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import coverage
import pytest

from fixtures import backend_coverage

ROOT = Path(__file__).resolve().parent.parent
RUN_DEADLINE_SECONDS = 240

ONE_CALL = textwrap.dedent('''
    import httpx

    def test_reads_the_catalog(target):
        with httpx.Client(base_url=target.base_url, trust_env=False, timeout=30) as http:
            assert http.get("/api/services/categories/").status_code == 200
''')


def run_pytest(tmp_path: Path, *options: str, env: dict[str, str] | None = None
               ) -> tuple[subprocess.CompletedProcess, Path]:
    (tmp_path / "test_one_call.py").write_text(ONE_CALL)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    out = tmp_path / "out"
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("LC_", "COVERAGE_"))} | {"PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "fixtures.config", "-p", "fixtures.findings",
         "-p", "fixtures.backend_coverage", "-p", "fixtures.stack", "-p", "no:cacheprovider",
         "-p", "no:xdist", "--rootdir", str(tmp_path), "-c", str(tmp_path / "pytest.ini"),
         "--out-dir", str(out), *options, str(tmp_path / "test_one_call.py")],
        capture_output=True, text=True, env=clean | (env or {}), cwd=tmp_path,
        timeout=RUN_DEADLINE_SECONDS, check=False)
    return result, out


@pytest.mark.parametrize("how", [
    (("--backend-coverage", "--base-url", "http://127.0.0.1:9"), {}),
    ((), {"LC_BACKEND_COVERAGE": "1", "LC_BASE_URL": "http://127.0.0.1:9"}),
], ids=["options", "environment"])
def test_a_given_target_cannot_be_measured(tmp_path, how):
    options, env = how

    result, out = run_pytest(tmp_path, *options, env=env)

    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "cannot measure code it does not run" in result.stderr
    assert not (out / "coverage" / "backend.json").exists()


def test_the_stack_started_for_the_run_is_measured_and_reported(tmp_path):
    # given a run that measures the backend and makes one call to it
    result, out = run_pytest(tmp_path, "--backend-coverage")

    # then it passed, and its end names the figure
    assert result.returncode == 0, result.stdout + result.stderr
    assert "backend coverage (reference:embedded" in result.stdout, result.stdout
    # and backend.json holds the figure the release gate reads
    report = json.loads((out / "coverage" / "backend.json").read_text())
    assert report["target"] == "reference:embedded"
    assert report["html"] == "coverage/html/index.html"
    assert (out / report["html"]).is_file()
    assert 0 < report["line_percent"] < 100
    assert 0 < report["branch_percent"] < 100
    assert 0 < report["missing"] < report["statements"]
    # the setup commands and the uvicorn process each saved their data
    assert report["processes"] >= 2, report
    # and the call was measured, in the process the launcher stopped with SIGTERM: the
    # categories' read ran (only a request runs it), the items' read did not
    selectors = entry(json.loads((out / "coverage" / "coverage.json").read_text())["files"],
                      "reference/catalog/selectors.py")
    assert line_of("return Category.objects") in selectors["executed_lines"]
    assert line_of("items = ServiceItem.objects") in selectors["missing_lines"]
    # and the stack is gone, the data files combined
    assert not list((out / "stack").glob("run-*/state.json"))
    assert not list((out / "coverage" / "data").glob(".coverage.*"))


def test_a_run_without_the_option_measures_nothing(tmp_path):
    result, out = run_pytest(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "backend coverage" not in result.stdout
    assert not (out / "coverage").exists()


def entry(files: dict, name: str) -> dict:
    return next(data for path, data in files.items() if path.endswith(name))


def line_of(text: str) -> int:
    """The number of the line of reference/catalog/selectors.py that holds `text`."""
    source = (ROOT / "reference" / "catalog" / "selectors.py").read_text().splitlines()
    return next(number for number, line in enumerate(source, start=1) if text in line)


# --- the report, from data made in this process -------------------------------------------------


def measure_a_little(data_dir: Path) -> None:
    """A data file as a backend process leaves one: some lines of the reference run."""
    from reference.common.log_redaction import redact

    measured = coverage.Coverage(data_file=str(data_dir / ".coverage"), data_suffix=True,
                                 config_file=str(backend_coverage.CONFIG_FILE))
    measured.start()
    try:
        assert redact("/ws/chat/1/?token=abc") == "/ws/chat/1/?token=[redacted]"
    finally:
        measured.stop()
    measured.save()


def test_report_combines_the_data_files_into_the_figure(tmp_path):
    backend_coverage.forget_earlier(tmp_path)
    measure_a_little(backend_coverage.data_dir(tmp_path))
    measure_a_little(backend_coverage.data_dir(tmp_path))

    report = backend_coverage.write_report(tmp_path, target="reference:scaled")

    assert report.keys() >= {"target", "finished_at", "line_percent", "branch_percent",
                             "statements", "missing", "html"}
    assert report["target"] == "reference:scaled"
    assert report["processes"] == 2
    assert report["finished_at"].endswith("+00:00")
    assert json.loads((tmp_path / "coverage" / "backend.json").read_text()) == report
    covered = report["statements"] - report["missing"]
    assert 0 < covered < report["statements"]
    assert report["line_percent"] == round(100 * covered / report["statements"], 2)
    assert (tmp_path / "coverage" / "html" / "index.html").is_file()
    assert "of lines" in backend_coverage.summary_line(report, tmp_path)


def test_no_data_is_said_not_measured(tmp_path):
    backend_coverage.forget_earlier(tmp_path)

    report = backend_coverage.write_report(tmp_path, target="reference:embedded")

    assert "no coverage data" in report["error"]
    assert not (tmp_path / "coverage" / "backend.json").exists()
    assert backend_coverage.summary_line(report, tmp_path).startswith(
        "backend coverage: not measured")
