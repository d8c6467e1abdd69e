"""The seed of the contract tier's generated cases: given (CI, a replay) or the run's fresh one,
printed where a failure is read, and the kept cases' check of the schema they violate."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from schemathesis.core.failures import ServerError

from contracts.test_kept_cases import CASES, allowed_by
from fixtures.config import RUN_KEY, Run
from fixtures.contract.profile import PROFILES, SEED_ENV, ContractSeed, seed_of
from fixtures.contract.run import ContractRun
from fixtures.contract.summary import summary_lines

ORDER_ID = "0e9d8c7b-6a5f-4e3d-9c1b-0a9f8e7d6c5b"


def config_with(options: dict, run_seed: int = 4242) -> SimpleNamespace:
    return SimpleNamespace(getoption=lambda name: options.get(name),
                           stash={RUN_KEY: Run(seed=run_seed, run_id="r", out_dir=Path("."))})


def test_a_given_seed_wins_and_says_so(monkeypatch):
    monkeypatch.setenv(SEED_ENV, "99")

    assert seed_of(config_with({"lc_contract_seed": "15"})) == ContractSeed(15, given=True)
    assert seed_of(config_with({})) == ContractSeed(99, given=True)


def test_without_one_the_tier_explores_with_the_runs_seed(monkeypatch):
    monkeypatch.delenv(SEED_ENV, raising=False)
    monkeypatch.delenv("LC_SEED", raising=False)

    fresh = seed_of(config_with({}))
    replayed = seed_of(config_with({"lc_seed": "4242"}))

    assert fresh == ContractSeed(4242, given=False)
    assert "fresh: exploring; replay with --contract-seed 4242" in fresh.describe()
    assert replayed.given


def test_a_seed_that_is_no_number_stops_the_run(monkeypatch):
    monkeypatch.delenv(SEED_ENV, raising=False)
    with pytest.raises(pytest.UsageError, match="--contract-seed must be an integer"):
        seed_of(config_with({"lc_contract_seed": "tomorrow"}))


def test_a_failing_operation_says_which_seed_sends_its_cases_again():
    state = ContractRun(PROFILES["ci"], seed=ContractSeed(15, given=True))
    state.met("POST /api/chat/upload/", ServerError(operation="POST /api/chat/upload/",
                                                    status_code=500), 500, "curl ...")

    with pytest.raises(AssertionError, match="--contract-seed 15 sends them again"):
        state.end_operation("POST /api/chat/upload/")
    assert state.summary()["seed"] == 15


def test_the_end_of_the_run_prints_the_seed_of_the_generated_cases(tmp_path):
    state = ContractRun(PROFILES["ci"], seed=ContractSeed(7, given=False))
    state.sent["GET /api/orders/"] = 3
    (tmp_path / "generated-test_x.json").write_text(json.dumps(state.summary()))

    [line] = summary_lines(tmp_path)

    assert "profile ci, seed 7)" in line
    assert line.endswith("--contract-seed 7 sends them again")


@pytest.mark.parametrize("kept", CASES, ids=[case["name"] for case in CASES])
def test_each_kept_input_breaks_format_uuid_and_its_control_does_not(kept):
    schema = {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "format": "binary"},
        "order_id": {"type": "string", "format": "uuid", "nullable": True}}}

    def filled(body: dict) -> dict:
        return {name: b"photo" if value == "<jpeg>" else value.replace("<order>", ORDER_ID)
                for name, value in body.items()}

    assert not allowed_by(schema, filled(kept["body"]))
    assert allowed_by(schema, filled({**kept["body"], **kept["control"]}))
