"""`python -m mutation.run` (`make mutation`): mutation testing of the reference backend's
services and selectors, with the suites that exercise each module as the test command.

For each module: an unmutated run of its suites (which must pass, and whose time sets the
timeout), then `cosmic-ray init`, its operators and pragma filters, the mutants not worth a
run left out (mutation/prefilter.py) and, with `--limit`, a seeded sample drawn, then
`cosmic-ray exec` with its progress printed, and the reports rewritten from every module's
session: `reports/out/mutation/summary.json` and `survivors.md`.

cosmic-ray mutates the files it tests on disk. The run mutates a copy of the working tree (or
of `--commit`), made in a scratch folder and removed at the end, Ctrl-C included: the checkout
itself is never written, so an interrupted run cannot leave a mutant in it, and whoever works
or runs the suites in the checkout meanwhile never meets one.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from mutation import session
from mutation.config import config_text, excluded_operators, suites_command, timeout_for
from mutation.modules import discover, select, slug, suites_for
from mutation.report import ModuleRun, summary, survivors_markdown

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = ROOT / "reports" / "out" / "mutation"
DEFAULT_SEED = 2026
POLL_SECONDS = 2.0
# the suites must test the mutated copy's own stack, never a target named in the environment
TARGET_VARIABLES = ("LC_BASE_URL", "LC_WS_URL", "LC_SANDBOX_URL", "LC_OUT_DIR")


class BaselineFailed(RuntimeError):
    """The suites fail without any mutant: every mutant would count as killed."""


@dataclass
class Facts:
    """How a module's session was run, kept beside it (`<slug>.json`) for the reports."""

    module: str
    suites: list[str]
    test_command: str
    timeout: float
    baseline_seconds: float
    limit: int | None
    seed: int
    operators: str | None
    commit: str | None
    seconds: float | None = None
    finished_at: str | None = None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def say(message: str) -> None:
    print(f"[mutation] {message}", flush=True)


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def git() -> str:
    found = shutil.which("git")
    if found is None:
        raise RuntimeError("git is needed to copy the tree to mutate, and is not on PATH")
    return found


def copy_tree(root: Path, dest: Path, commit: str | None) -> None:
    """The files of the working tree git would see (tracked and new, not ignored), or of
    `commit`, copied under `dest`."""
    if commit:
        archive = subprocess.Popen([git(), "archive", "--format=tar", commit], cwd=root,
                                   stdout=subprocess.PIPE)
        with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
            tar.extractall(dest, filter="data")
        if archive.wait() != 0:
            raise RuntimeError(f"git archive {commit} failed")
        return
    listed = subprocess.run([git(), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=root, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = root / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


@contextmanager
def scratch_tree(root: Path, commit: str | None, keep: bool) -> Iterator[Path]:
    """A copy of the tree to mutate, removed when the run ends however it ends."""
    tree = Path(tempfile.mkdtemp(prefix="lc-mutation-"))
    try:
        copy_tree(root, tree, commit)
        yield tree
    finally:
        if keep:
            say(f"the mutated copy is kept in {tree}")
        else:
            shutil.rmtree(tree, ignore_errors=True)


def baseline(command: str, tree: Path, log: Path) -> float:
    """Runs the suites on the unmutated copy; their time, or BaselineFailed naming the log."""
    started = time.monotonic()
    with log.open("w") as out:
        status = subprocess.run(shlex.split(command), cwd=tree, stdout=out,
                                stderr=subprocess.STDOUT, check=False).returncode
    if status != 0:
        raise BaselineFailed(f"the suites fail without a mutant (exit {status}); see {log}")
    return time.monotonic() - started


def prepare(module: str, tree: Path, sessions: Path, args: argparse.Namespace) -> Facts:
    """The module's unmutated run, its config and its session, ready for `cosmic-ray exec`."""
    name = slug(module)
    for stale in sessions.glob(f"{name}.*"):
        stale.unlink()
    suites = suites_for(module, tree)
    command = suites_command(sys.executable, suites, workers=args.workers)
    say(f"{module}: the unmutated run of {' '.join(suites)}")
    seconds = baseline(command, tree, sessions / f"{name}.baseline.log")
    facts = Facts(module=module, suites=suites, test_command=command,
                  timeout=timeout_for(seconds), baseline_seconds=round(seconds, 1),
                  limit=args.limit, seed=args.seed, operators=args.operators,
                  commit=args.commit)
    config, db = sessions / f"{name}.toml", sessions / f"{name}.sqlite"
    config.write_text(config_text(module=module, command=command, timeout=facts.timeout,
                                  exclude_operators=excluded_operators(args.operators)))
    (sessions / f"{name}.json").write_text(json.dumps(asdict(facts), indent=2))
    session.cosmic("cosmic-ray", "init", config, db, "--force", cwd=tree)
    session.cosmic("cr-filter-operators", db, config, cwd=tree)
    session.cosmic("cr-filter-pragma", db, cwd=tree)
    left_out = session.leave_out(db, tree, limit=args.limit, seed=args.seed)
    for reason, count in sorted(left_out.items()):
        say(f"{module}: {count} left out: {reason}")
    say(f"{module}: unmutated run {clock(seconds)}, timeout {clock(facts.timeout)} a mutant")
    return facts


def progress(module: str, db: Path, total: int, started: float) -> tuple[int, str]:
    """How many mutants have run, and the line that says so."""
    counted = session.outcomes(db)
    done = sum(counted.values())
    elapsed = time.monotonic() - started
    left = f", about {clock(elapsed / done * (total - done))} left" if done else ""
    return done, (f"{module}: {done}/{total} mutants, {counted['killed']} killed, "
                  f"{counted['survived']} survived, {counted['timeout']} timed out, "
                  f"{clock(elapsed)} elapsed{left}")


def execute(module: str, tree: Path, config: Path, db: Path) -> float:
    """`cosmic-ray exec`, its progress printed as mutants finish; its time."""
    total = session.pending(db)
    started = time.monotonic()
    say(f"{module}: {total} mutants to run")
    log_path = db.with_suffix(".exec.log")
    with log_path.open("w") as log:
        runner = subprocess.Popen([session.tool("cosmic-ray"), "exec", str(config), str(db)],
                                  cwd=tree, stdout=log, stderr=subprocess.STDOUT)
        try:
            shown = 0
            while runner.poll() is None:
                time.sleep(POLL_SECONDS)
                done, line = progress(module, db, total, started)
                if done != shown:
                    say(line)
                    shown = done
        finally:
            # Ctrl-C reaches cosmic-ray too: it puts the mutated file back and exits
            try:
                runner.wait(timeout=60)
            except subprocess.TimeoutExpired:
                runner.kill()
                runner.wait()
    if runner.returncode == 128 + signal.SIGINT:
        raise KeyboardInterrupt  # cosmic-ray took the Ctrl-C (or a SIGINT of its own)
    if runner.returncode != 0:
        raise RuntimeError(f"cosmic-ray exec exited {runner.returncode}; see {log_path}")
    return time.monotonic() - started


def run_module(module: str, tree: Path, sessions: Path, args: argparse.Namespace) -> None:
    original = (tree / module).read_bytes()
    facts = prepare(module, tree, sessions, args)
    name = slug(module)
    try:
        facts.seconds = round(execute(module, tree, sessions / f"{name}.toml",
                                      sessions / f"{name}.sqlite"), 1)
        facts.finished_at = now()
    finally:
        if (tree / module).read_bytes() != original:
            (tree / module).write_bytes(original)
            say(f"{module} was left mutated in the copy; put back")
        (sessions / f"{name}.json").write_text(json.dumps(asdict(facts), indent=2))
    say(f"{module}: done in {clock(facts.seconds)}")


def module_runs(sessions: Path, tree: Path) -> list[ModuleRun]:
    """Every module's session in the reports folder whose module is still in the checkout."""
    runs = []
    for facts_file in sorted(sessions.glob("*.json")):
        facts = json.loads(facts_file.read_text())
        db = facts_file.with_suffix(".sqlite")
        if not db.exists() or not (ROOT / facts["module"]).exists():
            continue
        runs.append(ModuleRun(
            module=facts["module"], suites=facts["suites"],
            mutants=session.mutants(db, cwd=tree),
            baseline_seconds=facts["baseline_seconds"], seconds=facts.get("seconds"),
            limit=facts.get("limit"), seed=facts.get("seed"),
            operators=facts.get("operators"), finished_at=facts.get("finished_at")))
    return runs


def write_reports(out_dir: Path, tree: Path) -> dict:
    runs = module_runs(out_dir / "sessions", tree)
    generated = now()
    figures = summary(runs, generated_at=generated)
    (out_dir / "summary.json").write_text(json.dumps(figures, indent=2) + "\n")
    (out_dir / "survivors.md").write_text(survivors_markdown(runs, generated_at=generated))
    return figures


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mutation.run",
        description="Mutation testing of the reference's services and selectors with the "
                    "suites as the test command (mutation/README.md).")
    parser.add_argument("--module", action="append", default=[],
                        help="a module (or a services/ package) to mutate; repeat for more; "
                             "default: every services and selectors module")
    parser.add_argument("--limit", type=int, help="run a sample of N mutants of each module")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"the sample's seed (default {DEFAULT_SEED})")
    parser.add_argument("--operators", metavar="REGEX",
                        help="only the operators whose name this matches from its start, "
                             "e.g. 'core/ReplaceComparisonOperator'")
    parser.add_argument("--workers", type=int, default=2, help="xdist workers (default 2)")
    parser.add_argument("--commit", help="mutate the tree of this commit, not the working tree")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--keep-tree", action="store_true",
                        help="keep the mutated copy of the tree (its suites' logs) at the end")
    parser.add_argument("--list", action="store_true",
                        help="print the modules and their suites, and run nothing")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit takes a number of mutants, 1 or more")
    return args


def list_modules(modules: list[str]) -> int:
    for module in modules:
        print(f"{module}\n    {' '.join(suites_for(module, ROOT))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        modules = select(discover(ROOT), args.module)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if args.list:
        return list_modules(modules)
    try:
        session.tool("cosmic-ray")
    except session.MissingTool as error:
        print(error, file=sys.stderr)
        return 2
    for name in TARGET_VARIABLES:
        os.environ.pop(name, None)
    sessions = args.out_dir / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    failed: list[str] = []
    interrupted = False
    with scratch_tree(ROOT, args.commit, args.keep_tree) as tree:
        try:
            run_modules(modules, tree, sessions, args, failed)
        except KeyboardInterrupt:
            interrupted = True
            say("interrupted: the reports hold what ran; the checkout was never mutated")
        finally:
            figures = write_reports(args.out_dir, tree)
    totals = figures["totals"]
    say(f"{totals['run']} mutants run: {totals['killed']} killed, {totals['survived']} survived, "
        f"{totals['timeouts']} timed out, in {clock(time.monotonic() - started)}; "
        f"{args.out_dir / 'survivors.md'}")
    if interrupted:
        return 130
    return 1 if failed else 0


def run_modules(modules: list[str], tree: Path, sessions: Path, args: argparse.Namespace,
                failed: list[str]) -> None:
    """Runs each module in turn; a module whose suites fail unmutated is named in `failed`."""
    started = time.monotonic()
    for index, module in enumerate(modules, 1):
        say(f"module {index}/{len(modules)}: {module} "
            f"({clock(time.monotonic() - started)} elapsed)")
        try:
            run_module(module, tree, sessions, args)
        except BaselineFailed as error:
            say(f"{module}: not run: {error}")
            failed.append(module)


if __name__ == "__main__":
    sys.exit(main())
