"""The release gate: one GO / NO-GO / NOT MEASURED verdict per Phase 11 success metric, from
what the runs wrote, with the evidence behind each.

    python -m reports.gate --out-dir reports/out [--load-dir DIR] [--coverage-dir DIR]
                           [--release-dir DIR] [--brief]

It reads only files (it runs nothing): the suites' and contract tier's run under `--out-dir`
(`run.json`, `flows.json`, `findings.json`, `junit.xml`, `exchanges/*.jsonl`,
`contract/mobile-contract.json`, `coverage.json`, `openapi.json`), the load gate
(`<load-dir>/gate.json`, default `<out>/load`) and the backend's coverage
(`<coverage-dir>/backend.json`, default `<out>/coverage`, when the run had it). It writes
`gate.json`, `gate.md` and a self-contained `gate.html` under `--release-dir` (default
`<out>/release`) and exits 0 when every metric is GO, 1 on any NO-GO, 2 when a metric has no
evidence (and none is NO-GO).

Evidence counts only when it is of the run judged: `run.json` names the target and when the
run started; a file of the out dir older than that start, a contract file of a run without the
contract tier, and a load or backend coverage result of another target or finished before it,
is NOT MEASURED (never GO), with the reason.

`gate.json`: `{generated_at, target, verdict, exit_code, run, metrics: [{id, metric, threshold,
measured, status, evidence: [{label, path}], details: [...]}]}`; evidence paths are relative
to the release dir (where `gate.html` is). In `gate.html` each metric is a
`<tr data-metric="<id>" data-status="<status>">`.

`build(out_dir, ...)` returns what `gate.json` holds; the judges (`judge_*`) are pure: the
evidence as plain data in, one row out.

`<coverage-dir>/backend.json` is read as `{target, finished_at, ...}` with its line coverage as
`line_rate` (0..1), `lines: {covered, total}` or `lines: {percent}`, `line_percent`, or
coverage.py's JSON `totals` (`covered_lines` / `num_statements`); branches likewise
(`branch_rate`, `branches`, `branch_percent`, `totals.covered_branches` / `num_branches`).
"""

from reports.gate.cli import main
from reports.gate.evidence import junit_cases
from reports.gate.judges import green, share
from reports.gate.metrics import APP_FLOWS, FILES, GO, NO_GO, NOT_MEASURED
from reports.gate.pages import render_html, render_md, verdict_line, write
from reports.gate.verdict import build, judge, verdict_of

__all__ = ["APP_FLOWS", "FILES", "GO", "NOT_MEASURED", "NO_GO", "build", "green", "judge",
           "junit_cases", "main", "render_html", "render_md", "share", "verdict_line",
           "verdict_of", "write"]
