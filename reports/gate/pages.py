"""The gate's three pages: gate.json, gate.md and a self-contained gate.html, and the verdict
line printed at the end of a run."""

import html
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reports.gate.metrics import GO, NO_GO, NOT_MEASURED


def verdict_line(report: Mapping[str, Any], page: Path | str | None = None) -> str:
    counts = Counter(metric["status"] for metric in report["metrics"])
    tally = ", ".join(f"{counts[status]} {status}" for status in (GO, NO_GO, NOT_MEASURED)
                      if counts[status])
    return (f"release gate: {report['verdict']} (exit {report['exit_code']}) - {tally}; "
            f"target {report.get('target') or 'unknown'}" + (f"; {page}" if page else ""))


def render_text(report: Mapping[str, Any]) -> str:
    rows = [(metric["id"], metric["threshold"], metric["measured"], metric["status"])
            for metric in report["metrics"]]
    widths = [max(len(cells[i]) for cells in [("metric", "", "", ""), *rows])
              for i in range(3)]
    lines = [f"{'metric':<{widths[0]}}  {'measured':<{widths[2]}}  status"]
    lines += [f"{id_:<{widths[0]}}  {measured:<{widths[2]}}  {status}"
              for id_, _threshold, measured, status in rows]
    if report.get("note"):
        # nothing was judged: one reason, not nine
        return "\n".join([*lines, f"nothing to judge: {report['note']}"])
    for metric in report["metrics"]:
        if metric["status"] != GO and metric["details"]:
            lines.append(f"{metric['status']}: {metric['id']}")
            lines += [f"  {detail}" for detail in metric["details"][:6]]
            if len(metric["details"]) > 6:
                lines.append(f"  ... ({len(metric['details']) - 6} more lines in gate.md)")
    return "\n".join(lines)


def md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_md(report: Mapping[str, Any]) -> str:
    run = report.get("run") or {}
    lines = [f"# Release gate: {report['verdict']}", "",
             f"Target `{report.get('target') or 'unknown'}`; run started "
             f"{run.get('started_at') or '-'}, finished {run.get('finished_at') or '-'}; "
             f"gate generated {report['generated_at']}; exit code {report['exit_code']} "
             "(0 all GO, 1 any NO-GO, 2 a metric not measured).", "",
             "| metric | threshold | measured | status | evidence |", "|---|---|---|---|---|"]
    for metric in report["metrics"]:
        links = ", ".join(f"[{link['label']}]({link['path']})" for link in metric["evidence"])
        lines.append(f"| {md_cell(metric['metric'])} (`{metric['id']}`) | "
                     f"{md_cell(metric['threshold'])} | {md_cell(metric['measured'])} | "
                     f"**{metric['status']}** | {links or '-'} |")
    lines.append("")
    for metric in report["metrics"]:
        if metric["details"]:
            lines += [f"## {metric['metric']}: {metric['status']}", "",
                      *[f"- {detail.strip()}" if not detail.startswith("  ")
                        else f"  - {detail.strip()}" for detail in metric["details"]], ""]
    return "\n".join(lines)


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem;
       color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
p.about { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d1d9e0; padding: .5rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; }
td.status { font-weight: 700; white-space: nowrap; }
.go { background: #dafbe1; color: #116329; }
.no-go { background: #ffebe9; color: #a40e26; }
.not-measured { background: #fff8c5; color: #7d4e00; }
span.status { padding: .1rem .5rem; border-radius: 4px; }
ul { margin: .3rem 0 0 1.1rem; padding: 0; }
li { margin: .1rem 0; font-size: .9rem; }
small { color: #59636e; }
"""

STATUS_CLASS = {GO: "go", NO_GO: "no-go", NOT_MEASURED: "not-measured"}
SHOWN_DETAILS = 8


def html_list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(item.strip())}</li>" for item in items) + "</ul>"


def render_html(report: Mapping[str, Any]) -> str:
    escape = html.escape
    run = report.get("run") or {}
    verdict = report["verdict"]
    rows = []
    for metric in report["metrics"]:
        status = metric["status"]
        details = metric["details"]
        notes = html_list(details[:SHOWN_DETAILS]) if details else ""
        if len(details) > SHOWN_DETAILS:
            notes += (f"<details><summary>{len(details) - SHOWN_DETAILS} more</summary>"
                      f"{html_list(details[SHOWN_DETAILS:])}</details>")
        for flow, cases in (metric.get("cases") or {}).items():
            if cases:
                notes += (f"<details><summary>{escape(flow)}: {len(cases)} case(s)</summary>"
                          + html_list([f"{case['outcome']}: {case['name']}" for case in cases])
                          + "</details>")
        links = "<br>".join(f'<a href="{escape(link["path"], quote=True)}">'
                            f"{escape(link['label'])}</a>" for link in metric["evidence"])
        rows.append(
            f'<tr data-metric="{escape(metric["id"])}" data-status="{escape(status)}">'
            f"<td>{escape(metric['metric'])}<br><small>{escape(metric['id'])}</small></td>"
            f"<td>{escape(metric['threshold'])}</td>"
            f"<td>{escape(metric['measured'])}{notes}</td>"
            f'<td class="status {STATUS_CLASS[status]}">{escape(status)}</td>'
            f"<td>{links or '-'}</td></tr>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Release gate: {escape(verdict)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>Release gate:
<span class="status {STATUS_CLASS[verdict]}" id="verdict">{escape(verdict)}</span></h1>
<p class="about">Target <code>{escape(str(report.get('target') or 'unknown'))}</code>;
run started {escape(str(run.get('started_at') or '-'))}, finished
{escape(str(run.get('finished_at') or '-'))}; gate generated {escape(report['generated_at'])};
exit code {report['exit_code']} (0 every metric GO, 1 any NO-GO, 2 a metric not measured).
A metric is NOT MEASURED when its evidence is missing, of another target, or older than the
run judged.</p>
<table id="gate">
<thead><tr><th>metric</th><th>threshold</th><th>measured</th><th>status</th><th>evidence</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


def write(report: Mapping[str, Any], release_dir: Path | str) -> dict[str, Path]:
    """Writes gate.json, gate.md and gate.html into `release_dir`; returns their paths."""
    folder = Path(release_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "gate.json", "md": folder / "gate.md",
             "html": folder / "gate.html"}
    paths["json"].write_text(json.dumps(report, indent=1) + "\n")
    paths["md"].write_text(render_md(report) + "\n")
    paths["html"].write_text(render_html(report))
    return paths
