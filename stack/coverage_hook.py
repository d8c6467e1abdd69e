"""Coverage of the backend (`--coverage-data DIR`): what makes each of its processes measure
itself, and the check, before the boot, that a new interpreter would.

The backend's processes (the setup commands, uvicorn and each of its workers) get
COVERAGE_PROCESS_START (the `[tool.coverage]` settings of pyproject.toml) and COVERAGE_FILE, so
that coverage's start-up hook, which its package installs, starts measuring in every one of
them, and each saves a data file of its own into DIR when it ends, SIGTERM included. Combining
and reporting them is the caller's part.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from stack.errors import StackError
from stack.processes import REPO_ROOT

# What the backend's processes are measured with under --coverage-data.
COVERAGE_CONFIG = REPO_ROOT / "pyproject.toml"
COVERAGE_PROBE_DEADLINE_SECONDS = 60
# Exits 0 in a new interpreter only if coverage's start-up hook started measuring it.
_COVERAGE_PROBE = (
    "import sys\n"
    "try:\n"
    "    import coverage\n"
    "except ImportError:\n"
    "    sys.exit(4)\n"
    "sys.exit(0 if getattr(coverage.process_startup, 'coverage', None) else 3)\n"
)


def coverage_variables(data_dir: Path) -> dict[str, str]:
    """What makes a Python process of the backend measure itself: coverage's start-up hook
    reads the settings from COVERAGE_PROCESS_START, and COVERAGE_FILE puts the data file (one
    per process, `parallel = true`) in `data_dir`."""
    return {
        "COVERAGE_PROCESS_START": str(COVERAGE_CONFIG),
        "COVERAGE_FILE": str(Path(data_dir).resolve() / ".coverage"),
    }


def coverage_check(env: Mapping[str, str]) -> None:
    """Raise StackError unless a new interpreter given `coverage_variables` measures itself:
    coverage.py must be installed, with the start-up hook its package ships (7.10 and later)."""
    with tempfile.TemporaryDirectory(prefix="lc-coverage-probe-") as scratch:
        probe_env = {**env, **coverage_variables(Path(scratch))}
        try:
            probe = subprocess.run(
                [sys.executable, "-c", _COVERAGE_PROBE], cwd=REPO_ROOT, env=probe_env,
                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=COVERAGE_PROBE_DEADLINE_SECONDS, check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise StackError(
                f"--coverage-data: a Python process with coverage did not start within "
                f"{COVERAGE_PROBE_DEADLINE_SECONDS} s"
            ) from error
    if probe.returncode == 0:
        return
    why = {
        4: f"coverage.py is not installed in {sys.executable}",
        3: f"coverage.py's start-up hook (its .pth file) is not installed in {sys.executable}, "
        "so new processes are not measured",
    }.get(probe.returncode, f"the probe exited with {probe.returncode}: {probe.stderr[-800:]}")
    raise StackError(
        f"--coverage-data: {why}. Install the project's dependencies (`make install`; "
        "coverage>=7.10 ships the hook) or run without backend coverage."
    )
