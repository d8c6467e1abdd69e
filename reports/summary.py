"""The short summary `make e2e` ends with: the verdict, the outcome of every flow, the
findings that matter most, the latency of the run's own calls, where to look.

Reads the run's JUnit XML, findings.json, flows.json and latency.json, prints a few lines,
and writes them to `summary.md` beside them. The verdict is PASS only when every case ran and
passed and the target showed no finding: a run with blocked cases, deviations or findings is
never green.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fixtures.findings import limit_line


@dataclass
class Outcomes:
    """Test outcomes of one run, with blocked cases counted apart from skipped ones."""

    counts: Counter = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def read_junit(path: Path) -> Outcomes:
    # our own pytest output, not untrusted input
    root = ElementTree.parse(path).getroot()  # noqa: S314
    outcomes = Outcomes()
    for suite in root.iter("testsuite"):
        outcomes.seconds += float(suite.get("time", 0))
    for case in root.iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        skipped = case.find("skipped")
        failure = case.find("failure")
        if failure is not None:
            deviated = (failure.get("message", "") + (failure.text or "")).lstrip().startswith(
                "DEVIATES")
            outcomes.counts["deviated" if deviated else "failed"] += 1
            if not deviated:
                outcomes.failed.append(name)
        elif case.find("error") is not None:
            outcomes.counts["error"] += 1
            outcomes.failed.append(name)
        elif skipped is not None:
            blocked = "BLOCKED" in (skipped.get("message", "") + (skipped.text or ""))
            outcomes.counts["blocked" if blocked else "skipped"] += 1
        else:
            outcomes.counts["passed"] += 1
    return outcomes


SHOWN = 10


def render(outcomes: Outcomes, findings: list[dict], out_dir: Path, wall: int | None) -> str:
    order = ("passed", "failed", "error", "deviated", "blocked", "skipped")
    counts = ", ".join(f"{outcomes.counts[k]} {k}" for k in order if outcomes.counts[k])
    of_target = [f for f in findings if f.get("party", "target") != "harness"]
    limits = [f for f in findings if f.get("party") == "harness"]
    green = outcomes.total and not any(outcomes.counts[k] for k in
                                       ("failed", "error", "deviated", "blocked")) \
        and not of_target
    lines = [f"LaundryConnect e2e: {'PASS' if green else 'FAIL'} - {outcomes.total} cases: "
             f"{counts or 'none ran'}"]
    if wall is not None:
        lines.append(f"wall time {wall} s")
    lines += flow_lines(out_dir / "flows.json")
    lines += [f"  failed: {name}" for name in outcomes.failed[:SHOWN]]
    if len(outcomes.failed) > SHOWN:
        lines.append(f"  ... and {len(outcomes.failed) - SHOWN} more failed (junit.xml)")
    if of_target:
        lines.append(f"findings: {len(of_target)}, the most blocking first")
        lines += [f"  [{f['kind']}] {f['call']}: {f['got'][:160]} (blocks "
                  f"{len(f['blocked_tests'])} case(s), met in {len(f.get('met_by', []))})"
                  for f in of_target[:SHOWN]]
        if len(of_target) > SHOWN:
            lines.append(f"  ... and {len(of_target) - SHOWN} more in findings.md")
    else:
        lines.append("findings: none")
    lines += [f"limit of this run (not the target's): {limit_line(f)}" for f in limits]
    lines += latency_lines(out_dir / "latency.json")
    lines += contract_lines(out_dir / "contract")
    lines.append(f"details: {out_dir / 'findings.md'}, JUnit {out_dir / 'junit.xml'}, "
                 f"Allure results {out_dir / 'allure-results'} (make report builds the HTML)")
    return "\n".join(lines)


def flow_lines(path: Path) -> list[str]:
    """The outcome of every flow: how many of its cases ran, and how they ended."""
    if not path.exists():
        return []
    flows = json.loads(path.read_text())
    kinds = ("passed", "failed", "deviated", "blocked", "skipped")
    lines = [f"  {'flow':<24}{'ran':>9}" + "".join(f"{k:>10}" for k in kinds)]
    for flow, counts in flows.items():
        total = sum(counts.values())
        ran = total - counts.get("blocked", 0) - counts.get("skipped", 0)
        lines.append(f"  {flow:<24}{f'{ran} of {total}':>9}"
                     + "".join(f"{counts.get(k, 0):>10}" for k in kinds))
    return lines


def latency_lines(path: Path) -> list[str]:
    """The run's own calls: the average and the slowest group (the load test judges the
    launch target; this is the early warning)."""
    if not path.exists():
        return []
    table = json.loads(path.read_text())
    overall = table.pop("(all)", None)
    if not overall or not table:
        return []
    slowest = max(table, key=lambda group: table[group]["p95_ms"])
    return [f"latency of the run's calls: average {overall['average_ms']:.0f} ms, p95 "
            f"{overall['p95_ms']:.0f} ms over {overall['requests']} requests; slowest group "
            f"{slowest} (p95 {table[slowest]['p95_ms']:.0f} ms); {path}"]


def contract_lines(folder: Path) -> list[str]:
    """The contract check's two figures, when the run had it: calls of the app served, and
    the API coverage."""
    lines = []
    mobile = folder / "mobile-contract.json"
    if mobile.exists():
        report = json.loads(mobile.read_text())
        others = ", ".join(f"{count} {outcome}" for outcome, count in report["counts"].items()
                           if count and outcome != "served")
        lines.append(f"mobile contract: {report['served']}/{report['calls']} calls served "
                     f"({report['served_share']:.0%}){'; ' + others if others else ''}; "
                     f"{folder / 'mobile-contract.md'}")
    coverage = folder / "coverage.json"
    if coverage.exists():
        report = json.loads(coverage.read_text())
        lines.append(f"API coverage: {report['figure']:.1%} of (operation, documented status) "
                     f"pairs ({report['exercised']}/{report['pairs']}); {folder / 'coverage.md'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path("reports/out"))
    parser.add_argument("--wall", type=int, default=None, help="wall time of the run, seconds")
    args = parser.parse_args(argv)
    junit = args.out_dir / "junit.xml"
    if not junit.exists():
        print(f"no {junit}: the run wrote no results (did pytest start?)", file=sys.stderr)
        return 2
    findings_file = args.out_dir / "findings.json"
    findings = json.loads(findings_file.read_text()) if findings_file.exists() else []
    text = render(read_junit(junit), findings, args.out_dir, args.wall)
    (args.out_dir / "summary.md").write_text(text + "\n")
    print(text)
    return 0 if text.startswith("LaundryConnect e2e: PASS") else 1


if __name__ == "__main__":
    sys.exit(main())
