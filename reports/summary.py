"""The short summary `make e2e` ends with: outcomes, blocked cases, findings, where to look.

Reads the run's JUnit XML and findings.json, prints a few lines, and writes them to
`summary.md` beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


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
        if case.find("failure") is not None:
            outcomes.counts["failed"] += 1
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


def render(outcomes: Outcomes, findings: list[dict], out_dir: Path, wall: int | None) -> str:
    order = ("passed", "failed", "error", "blocked", "skipped")
    counts = ", ".join(f"{outcomes.counts[k]} {k}" for k in order if outcomes.counts[k])
    verdict = "PASS" if outcomes.total and not (outcomes.counts["failed"]
                                               or outcomes.counts["error"]) else "FAIL"
    lines = [f"LaundryConnect e2e: {verdict} - {outcomes.total} cases: {counts or 'none ran'}"]
    if wall is not None:
        lines.append(f"wall time {wall} s")
    lines += [f"  failed: {name}" for name in outcomes.failed[:20]]
    if findings:
        lines.append(f"findings: {len(findings)} (the target lacks or misshapes these calls)")
        lines += [f"  [{f['kind']}] {f['call']} blocks {len(f['blocked_tests'])} case(s)"
                  for f in findings[:20]]
    else:
        lines.append("findings: none")
    lines += contract_lines(out_dir / "contract")
    lines.append(f"details: {out_dir / 'findings.md'}, JUnit {out_dir / 'junit.xml'}, "
                 f"Allure results {out_dir / 'allure-results'} (make report builds the HTML)")
    return "\n".join(lines)


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
