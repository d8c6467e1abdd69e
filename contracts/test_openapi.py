"""Every operation of the target's OpenAPI, as Schemathesis generates calls to it.

The operations come from the live `/api/schema/` (what exists when the run starts), through
`schemathesis.pytest.from_fixture`, so that the target, its stack and the identity come from the
harness's fixtures (`api_schema` in `fixtures/contract/generation.py`). Phases examples,
coverage and fuzzing run here, one subtest per operation; the stateful phase is
`test_stateful.py`.

A failing check does not stop an operation: its cases go on, each distinct failure (check,
status, title) is kept with one case that showed it, and the operation's subtest fails once its
last case is in, with all of them, server errors first (`ContractRun.call_and_validate`,
`report_each_operation`).
"""

import allure
import schemathesis

schema = schemathesis.pytest.from_fixture("api_schema")


@allure.feature("Contract")
@allure.story("Every operation honours its OpenAPI description")
@schema.parametrize()
def test_operation_honours_its_openapi_description(case, contract_run):
    contract_run.call_and_validate(case)
