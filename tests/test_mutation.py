"""Mutation testing's own parts (mutation/): which modules are mutated and by which suites, the
cosmic-ray configuration, the mutants left out before a run, the sample, the reports read from a
session, and the guard that ends the suites when cosmic-ray goes. No mutant is run here."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from mutation.config import (
    config_text,
    excluded_operators,
    suites_command,
    timeout_for,
)
from mutation.modules import NoSuites, app_of, discover, select, slug, suites_for
from mutation.prefilter import ANNOTATION_ONLY, NO_CHANGE, NOT_PYTHON, sample, why_not_run
from mutation.report import (
    ModuleRun,
    mutants_from_dump,
    summarize,
    summary,
    survivors_markdown,
)

ROOT = Path(__file__).resolve().parent.parent


def make_tree(root: Path, files: list[str]) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    return root


# -- which modules, which suites ---------------------------------------------------------------

def test_services_selectors_and_the_modules_of_a_services_package_are_found(tmp_path):
    make_tree(tmp_path, [
        "reference/orders/services.py", "reference/orders/selectors.py",
        "reference/orders/apis.py", "reference/payments/services/__init__.py",
        "reference/payments/services/refunds.py", "reference/tests/test_orders.py",
    ])

    assert discover(tmp_path) == [
        "reference/orders/selectors.py", "reference/orders/services.py",
        "reference/payments/services/__init__.py", "reference/payments/services/refunds.py",
    ]


def test_the_checkout_has_the_modules_the_bounded_run_mutates():
    found = discover(ROOT)
    assert "reference/catalog/selectors.py" in found
    assert "reference/orders/services.py" in found


def test_a_module_is_chosen_by_its_path_a_package_or_an_app():
    found = ["reference/catalog/selectors.py", "reference/payments/selectors.py",
             "reference/payments/services/refunds.py", "reference/payments/services/wallet.py"]

    assert select(found, []) == found
    assert select(found, ["./reference/catalog/selectors.py"]) == [found[0]]
    assert select(found, ["reference/payments/services/"]) == found[2:]
    assert select(found, ["reference/payments", "reference/payments/selectors.py"]) == found[1:]
    refused = re.escape("reference/catalog/apis.py is not one of the modules")
    with pytest.raises(ValueError, match=refused):
        select(found, ["reference/catalog/apis.py"])


def test_a_module_is_tested_by_its_apps_suites_and_the_cross_tier_scenarios_on_its_subject(
        tmp_path):
    make_tree(tmp_path, [
        "suites/payments/test_a.py", "suites/wallet/test_b.py", "suites/orders/test_c.py",
        "suites/security/test_attacker_replays_a_webhook.py",
        "suites/security/test_attacker_floods_login.py",
        "suites/resilience/test_customer_pays_after_a_gateway_outage.py",
    ])

    assert suites_for("reference/payments/services/refunds.py", tmp_path) == [
        "suites/payments", "suites/wallet",
        "suites/security/test_attacker_replays_a_webhook.py",
        "suites/resilience/test_customer_pays_after_a_gateway_outage.py",
    ]
    assert suites_for("reference/mobile/selectors.py", tmp_path) == ["suites/orders"]
    with pytest.raises(NoSuites, match=re.escape("no suite exercises reference/chat/services.py")):
        suites_for("reference/chat/services.py", tmp_path)


def test_every_module_of_the_checkout_has_suites_that_exist():
    for module in discover(ROOT):
        suites = suites_for(module, ROOT)
        assert suites, module
        assert all((ROOT / suite).exists() for suite in suites), (module, suites)


def test_names_of_a_module():
    assert app_of("reference/payments/services/refunds.py") == "payments"
    assert slug("reference/payments/services/refunds.py") == "payments.services.refunds"
    assert slug("reference/orders/services.py") == "orders.services"
    with pytest.raises(ValueError, match="not a module of a reference app"):
        app_of("fixtures/stack.py")


# -- cosmic-ray's configuration ----------------------------------------------------------------

def test_the_test_command_is_the_suites_fail_fast_under_the_guard():
    command = suites_command("/venv/bin/python", ["suites/orders", "suites/security/test_x.py"],
                             workers=2)

    assert command == (
        "/venv/bin/python -m mutation.guard -- /venv/bin/python -m pytest -x -q -n 2 "
        "--dist loadfile -p no:cacheprovider suites/orders suites/security/test_x.py")


def test_the_config_is_cosmic_rays_toml_for_one_module():
    command = suites_command("/a path/python", ["suites/catalog"], workers=2)
    text = config_text(module="reference/catalog/selectors.py", command=command,
                       timeout=timeout_for(40.0), exclude_operators=["core/NumberReplacer"])

    config = tomllib.loads(text)["cosmic-ray"]

    assert config["module-path"] == "reference/catalog/selectors.py"
    assert config["test-command"] == command
    assert "'/a path/python'" in config["test-command"]
    assert config["timeout"] == 40.0 * 3 + 60
    assert config["excluded-modules"] == []
    assert config["distributor"] == {"name": "local"}
    assert config["filters"]["operators-filter"]["exclude-operators"] == ["core/NumberReplacer"]


def excluded_by_cosmic_ray(patterns: list[str], operator: str) -> bool:
    """As cosmic-ray's operators filter (cr-filter-operators) matches its patterns."""
    return bool(patterns) and bool(
        re.compile("|".join(f"(:?{e})" for e in patterns)).match(operator))


def test_only_the_operators_asked_for_are_left_in():
    patterns = excluded_operators("core/ReplaceComparisonOperator")

    assert not excluded_by_cosmic_ray(patterns, "core/ReplaceComparisonOperator_Lt_LtE")
    assert excluded_by_cosmic_ray(patterns, "core/NumberReplacer")
    assert excluded_by_cosmic_ray(patterns, "core/ReplaceBinaryOperator_Add_Sub")
    assert not any(excluded_by_cosmic_ray(excluded_operators(), name)
                   for name in ("core/NumberReplacer", "core/AddNot"))


# -- mutants left out, the sample --------------------------------------------------------------

SERVICE = '''\
from uuid import UUID


def item_list(*, category_id: UUID | None = None) -> list[UUID] | None:
    limit: int = 2 * 10
    return [category_id] * limit
'''


@pytest.mark.parametrize(("mutated", "reason"), [
    (SERVICE.replace("(*, ", "(+, "), NOT_PYTHON),
    (SERVICE.replace("UUID | None =", "UUID - None ="), ANNOTATION_ONLY),
    (SERVICE.replace("-> list[UUID] | None", "-> list[UUID] ^ None"), ANNOTATION_ONLY),
    (SERVICE.replace("limit: int =", "limit: float ="), ANNOTATION_ONLY),
    (SERVICE.replace("2 * 10", "2 *  10"), NO_CHANGE),
    (SERVICE.replace("2 * 10", "2 + 10"), None),
    (SERVICE.replace("] * limit", "] ** limit"), None),
    (SERVICE.replace("limit: int = 2 * 10", "limit: int = 2 * 10 is 0"), None),
])
def test_a_mutant_the_interpreter_refuses_or_that_changes_only_annotations_is_left_out(
        mutated, reason):
    assert mutated != SERVICE
    assert why_not_run(SERVICE, mutated) == reason


def test_a_seed_draws_the_same_sample_whatever_the_order_of_the_mutants():
    keys = [("m.py", "core/NumberReplacer", occurrence) for occurrence in range(40)]

    drawn = sample(keys, 15, seed=7)

    assert len(drawn) == 15
    assert drawn == sample(list(reversed(keys)), 15, seed=7)
    assert drawn != sample(keys, 15, seed=8)
    assert sample(keys, None, seed=7) == set(keys) == sample(keys, 99, seed=7)


# -- the reports, from a session ---------------------------------------------------------------

def dump_line(operator: str, occurrence: int, row: int, result: dict | None) -> str:
    item = {"job_id": f"{operator}{occurrence}", "mutations": [{
        "module_path": "reference/catalog/selectors.py", "operator_name": operator,
        "occurrence": occurrence, "start_pos": [row, 4], "end_pos": [row, 8],
        "operator_args": {}, "definition_name": "service_item_get"}]}
    return json.dumps([item, result])


DIFF = ("--- mutation diff ---\n--- areference/catalog/selectors.py\n"
        "+++ breference/catalog/selectors.py\n@@ -24,1 +24,1 @@\n"
        "-    if item is None:\n+    if item is not None:")
SESSION = [
    dump_line("core/ReplaceComparisonOperator_Is_IsNot", 0, 24,
              {"worker_outcome": "normal", "test_outcome": "survived", "output": "13 passed",
               "diff": DIFF}),
    dump_line("core/AddNot", 0, 17, {"worker_outcome": "normal", "test_outcome": "killed",
                                     "output": "1 failed", "diff": "-a\n+b"}),
    dump_line("core/AddNot", 1, 24, {"worker_outcome": "normal", "test_outcome": "killed",
                                     "output": "timeout", "diff": "-a\n+b"}),
    dump_line("core/ReplaceTrueWithFalse", 0, 12,
              {"worker_outcome": "skipped", "test_outcome": None,
               "output": "not in the sample", "diff": None}),
    dump_line("core/NumberReplacer", 0, 30,
              {"worker_outcome": "exception", "test_outcome": "incompetent",
               "output": "Traceback", "diff": None}),
    dump_line("core/ReplaceTrueWithFalse", 1, 16, None),
    "",
]


def module_run(lines: list[str], **facts) -> ModuleRun:
    return ModuleRun(module="reference/catalog/selectors.py", suites=["suites/catalog"],
                     mutants=mutants_from_dump(lines), **facts)


def test_each_result_of_a_session_is_one_outcome_in_source_order():
    mutants = mutants_from_dump(SESSION)

    assert [(m.line, m.outcome) for m in mutants] == [
        (12, "skipped"), (16, "pending"), (17, "killed"), (24, "timeout"), (24, "survived"),
        (30, "error")]
    survivor = mutants[-2]
    assert survivor.operator == "core/ReplaceComparisonOperator_Is_IsNot"
    assert survivor.definition == "service_item_get"
    assert survivor.diff.startswith("--- areference/catalog/selectors.py")
    assert mutants[0].note == "not in the sample"


def test_a_modules_figures_count_what_ran_and_score_it():
    figures = summarize(module_run(SESSION, baseline_seconds=40.0, seconds=90.0, limit=4,
                                   seed=2026))

    assert {key: figures[key] for key in (
        "mutants", "run", "killed", "survived", "timeouts", "errors", "skipped", "pending",
        "score", "seconds_per_mutant", "skipped_because")} == {
        "mutants": 6, "run": 3, "killed": 1, "survived": 1, "timeouts": 1, "errors": 1,
        "skipped": 1, "pending": 1, "score": round(2 / 3, 4), "seconds_per_mutant": 30.0,
        "skipped_because": {"not in the sample": 1}}


def test_the_summary_adds_up_the_modules():
    clean = ModuleRun(module="reference/orders/services.py", suites=["suites/orders"],
                      mutants=mutants_from_dump(SESSION[1:2]))

    totals = summary([module_run(SESSION), clean], generated_at="t")["totals"]

    assert totals["run"] == 4
    assert totals["killed"] == 2
    assert totals["survived"] == 1
    assert totals["score"] == 0.75


def test_survivors_are_listed_by_module_with_operator_line_and_diff():
    clean = ModuleRun(module="reference/orders/services.py", suites=["suites/orders"],
                      mutants=mutants_from_dump(SESSION[1:2]))

    text = survivors_markdown([module_run(SESSION, limit=4, seed=2026), clean],
                              generated_at="2026-12-06T00:00:00+00:00")

    catalog, orders = text.split("## reference/orders/services.py")
    assert "## reference/catalog/selectors.py" in catalog
    assert "1 of 3 mutants run survived (score 66.7 %; 6 generated, a sample of 4" in catalog
    assert ("### line 24: core/ReplaceComparisonOperator_Is_IsNot (occurrence 0) in "
            "`service_item_get`") in catalog
    assert "+    if item is not None:" in catalog
    assert "mutation diff" not in catalog
    assert "core/AddNot" not in catalog
    assert "No survivor." in orders


# -- the guard ---------------------------------------------------------------------------------

def test_the_guard_exits_with_its_commands_status():
    done = subprocess.run([sys.executable, "-m", "mutation.guard", "--", sys.executable, "-c",
                           "raise SystemExit(3)"], cwd=ROOT, check=False)
    assert done.returncode == 3


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_the_guard_ends_its_command_when_its_parent_is_gone(tmp_path):
    pid_file = tmp_path / "pid"
    sleeper = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); " \
              "time.sleep(60)"
    # the parent starts the guard in a session of its own, as cosmic-ray starts a test command
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time; subprocess.Popen([sys.executable, '-m', "
        f"'mutation.guard', '--', sys.executable, '-c', {sleeper!r}], start_new_session=True); "
        "time.sleep(60)")], cwd=ROOT)
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the guarded command did not start"
        time.sleep(0.1)  # poll until the command has written its pid, with a deadline
    command = int(pid_file.read_text())

    parent.send_signal(signal.SIGKILL)
    parent.wait()

    deadline = time.monotonic() + 10
    while alive(command):
        assert time.monotonic() < deadline, "the guarded command outlived cosmic-ray"
        time.sleep(0.1)  # poll until the guard has stopped its command, with a deadline
