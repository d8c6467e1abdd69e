"""Which runs the harness's pytest header speaks to: a run of the suites or the contract tier
names its target (and the contract tier its profile and seed); the harness's own tests and the
load smoke, which test no target of that kind, get no such lines."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from fixtures.config import runs_tier

ROOT = Path(__file__).resolve().parent.parent


def config(*args: str, cwd: Path = ROOT) -> SimpleNamespace:
    return SimpleNamespace(args=list(args), invocation_params=SimpleNamespace(dir=cwd),
                           rootpath=ROOT)


@pytest.mark.parametrize("args", [("suites",), ("suites/orders",), ("contracts", "suites"),
                                  ("suites/auth/test_login.py::test_x",),
                                  (str(ROOT / "suites"),)])
def test_a_run_of_the_suites_is_one(args):
    assert runs_tier(config(*args), "suites", "contracts")


@pytest.mark.parametrize("args", [("tests",), ("tests/test_load_gate.py",), ("reference/tests",),
                                  ("/elsewhere/suites",)])
def test_the_harness_own_tests_and_the_load_smoke_are_not(args):
    assert not runs_tier(config(*args), "suites", "contracts")


def test_paths_are_read_from_where_pytest_was_started():
    assert runs_tier(config("orders", cwd=ROOT / "suites"), "suites")
    assert not runs_tier(config("suites"), "contracts")
