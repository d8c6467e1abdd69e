"""`python -m reports.gate`: the gate over what the runs wrote, its pages, and its verdict as the
exit code (see the package's docstring)."""

import argparse
from pathlib import Path

from reports.gate.pages import render_text, verdict_line, write
from reports.gate.verdict import JUDGES, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.gate",
                                     description="The release gate: one GO / NO-GO / NOT "
                                     "MEASURED verdict per Phase 11 success metric.")
    parser.add_argument("--out-dir", type=Path, default=Path("reports/out"),
                        help="where the suites and the contract check wrote (default "
                        "reports/out)")
    parser.add_argument("--load-dir", type=Path, help="the load run's (default <out>/load)")
    parser.add_argument("--coverage-dir", type=Path,
                        help="the backend coverage's (default <out>/coverage)")
    parser.add_argument("--release-dir", type=Path,
                        help="where the gate goes (default <out>/release)")
    parser.add_argument("--brief", action="store_true",
                        help="print the verdict line only, not the table")
    parser.add_argument("--count", action="store_true",
                        help="print how many metrics the gate judges and exit (Allure's "
                        "quality gate asks for as many results)")
    args = parser.parse_args(argv)
    if args.count:
        print(len(JUDGES))
        return 0
    release = args.release_dir or args.out_dir / "release"
    report = build(args.out_dir, load_dir=args.load_dir, coverage_dir=args.coverage_dir,
                   release_dir=release)
    paths = write(report, release)
    if not args.brief:
        print(render_text(report))
    print(verdict_line(report, paths["html"]))
    return report["exit_code"]

