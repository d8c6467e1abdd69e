"""The release gate as Allure results (reports/gate/allure.py): one result per metric with the
status Allure's quality gate judges, ids that keep each metric's history, and the evidence
attached or named."""

import json

import pytest

from reports.gate.allure import SUITE, main, write_results


def gate_with(*metrics: dict) -> dict:
    return {"generated_at": "2026-12-06T00:00:00+00:00", "target": "reference:embedded",
            "verdict": "NO-GO", "exit_code": 1, "metrics": list(metrics)}


def metric(metric_id: str, status: str = "GO", evidence: list | None = None, **more) -> dict:
    return {"id": metric_id, "metric": metric_id.replace("_", " "), "threshold": "< 500 ms",
            "measured": "212 ms", "status": status, "evidence": evidence or [], "details": [],
            **more}


def results_in(folder) -> dict[str, dict]:
    found = (json.loads(path.read_text()) for path in folder.glob("*-result.json"))
    return {result["fullName"]: result for result in found}


@pytest.mark.parametrize(("status", "allure_status"), [
    ("GO", "passed"), ("NO-GO", "failed"), ("NOT MEASURED", "broken")])
def test_each_status_is_the_allure_status_its_quality_gate_judges(tmp_path, status,
                                                                   allure_status):
    write_results(gate_with(metric("average_response", status)), tmp_path)

    [result] = results_in(tmp_path).values()

    assert result["status"] == allure_status
    assert {"name": "suite", "value": SUITE} in result["labels"]
    assert result["name"] == "average response"


def test_a_metric_not_go_says_why_in_its_message(tmp_path):
    write_results(gate_with(metric("test_coverage", "NOT MEASURED", measured="-",
                                   details=["no backend coverage of this run"])), tmp_path)

    [result] = results_in(tmp_path).values()

    assert result["statusDetails"]["message"] == (
        "NOT MEASURED: measured -, threshold < 500 ms\nno backend coverage of this run")


def test_a_metric_keeps_its_ids_from_run_to_run_and_is_not_counted_twice(tmp_path):
    # Allure 3 keys history on testCaseId (else fullName) and the parameters
    write_results(gate_with(metric("flows", "GO")), tmp_path)
    first = results_in(tmp_path)["release-gate.flows"]

    write_results(gate_with(metric("flows", "NO-GO"), metric("security")), tmp_path)
    again = results_in(tmp_path)

    assert set(again) == {"release-gate.flows", "release-gate.security"}
    flows = again["release-gate.flows"]
    assert (flows["testCaseId"], flows["historyId"]) == (first["testCaseId"], first["historyId"])
    assert flows["parameters"] == []
    assert flows["status"] == "failed"


def test_evidence_is_attached_when_small_and_named_otherwise(tmp_path):
    out = tmp_path / "out"
    (out / "release").mkdir(parents=True)
    (out / "load").mkdir()
    (out / "load/gate.json").write_text('{"passed": true}')
    (out / "load/locust.html").write_bytes(b"x" * (600 * 1024))
    results = out / "allure-results"
    evidence = [{"label": "load gate (json)", "path": "../load/gate.json"},
                {"label": "Locust report", "path": "../load/locust.html"},
                {"label": "backend coverage", "path": "../coverage/html/index.html"},
                {"label": "staging dashboard", "path": "https://grafana.example.test/d/1"}]

    write_results(gate_with(metric("average_response", evidence=evidence)), results,
                  out / "release")

    [result] = results_in(results).values()
    attached = {item["name"]: item for item in result["attachments"]}
    assert set(attached) == {"measured and evidence", "load gate (json)"}
    assert attached["load gate (json)"]["type"] == "application/json"
    assert (results / attached["load gate (json)"]["source"]).read_text() == '{"passed": true}'
    summary = (results / attached["measured and evidence"]["source"]).read_text()
    assert "measured:  212 ms" in summary
    assert f"Locust report: {out / 'release/../load/locust.html'}" in summary
    assert "backend coverage: ../coverage/html/index.html (not found)" in summary
    assert result["links"] == [{"name": "staging dashboard",
                                "url": "https://grafana.example.test/d/1", "type": "link"}]


def test_the_command_reads_gate_json_beside_its_evidence(tmp_path, capsys):
    release = tmp_path / "release"
    release.mkdir()
    (release / "gate.json").write_text(json.dumps(gate_with(metric("flows"), metric("security"))))

    assert main(["--gate", str(release / "gate.json"),
                 "--results", str(tmp_path / "allure-results")]) == 0
    assert len(results_in(tmp_path / "allure-results")) == 2
    assert main(["--gate", str(tmp_path / "missing.json")]) == 2
    assert "no " in capsys.readouterr().err


def test_a_gate_of_another_run_is_not_put_in_this_runs_report(tmp_path, capsys):
    release, results = tmp_path / "release", tmp_path / "allure-results"
    release.mkdir()
    results.mkdir()
    (results / "environment.properties").write_text("target=x\nrun_id=b2\n")
    (release / "gate.json").write_text(json.dumps(gate_with(metric("flows")) | {
        "run": {"run_id": "a1"}}))

    assert main(["--gate", str(release / "gate.json"), "--results", str(results)]) == 2
    assert results_in(results) == {}
    assert "judged run a1" in capsys.readouterr().err
