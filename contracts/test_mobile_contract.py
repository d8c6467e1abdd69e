"""The mobile contract: every call the app makes, declared by the target's OpenAPI and served.

`contracts/mobile_calls.yaml` lists the calls (written from shared/spec/mobile-api.md); each is
checked against the live `/api/schema/` and then made, in the list's order, as one app user
would make it (`fixtures/contract/mobile_contract.py`). One subtest per call; the outcomes go to
`reports/out/contract/mobile-contract.md` and `.json`, to Allure, and to the end of the run.
"""

import allure

from fixtures.api.base import Session
from fixtures.contract.identity import staff_of
from fixtures.contract.mobile_contract import Outcome, load_calls, outcome_of, write_report
from fixtures.contract.mobile_live import App, live_check
from fixtures.contract.mobile_static import NO_DOCUMENT, static_check
from fixtures.contract.profile import contract_dir
from fixtures.findings import DEVIATES, NOTES, Blocked, ContractFinding, Finding, note

FINDING_KINDS = {"missing": "missing", "wrong shape": "shape"}


def static_finding(call: dict, result: Outcome) -> Finding | None:
    """What the static check found, as a finding of its own when the row's outcome does not
    already say it (the live call's outcome counts first: blocked, a server error, not
    served), so that what the OpenAPI lacks is reported even where the call could not be
    judged by its reply. Without a document at all, that one finding says it."""
    if result.static == "served" or result.static_detail in result.detail or \
            result.static_detail == NO_DOCUMENT:
        return None
    return Finding("schema", result.call,
                   f"declared by the OpenAPI with the app's fields ({call['id']})",
                   result.static_detail)


@allure.feature("Contract")
@allure.story("The app is served, call by call")
def test_every_call_of_the_app_is_served(request, target, data, photos, sandbox_client,
                                         callers, run, subtests):
    try:
        document = request.getfixturevalue("openapi_document")
    except ContractFinding:
        document = None  # every call is then "missing" statically; the live check still runs
    app = App(Session(target.base_url, name="app"), data=data, photos=photos,
              sandbox=sandbox_client, staff=staff_of(request, callers),
              accounts=target.accounts)
    results: list[Outcome] = []
    try:
        for call in load_calls():
            label = f"{call['method']} {call['path']}"
            with NOTES.scoped(f"{request.node.nodeid}[{call['id']}]"), \
                    subtests.test(msg=f"{call['id']}: {label}"), \
                    allure.step(f"{call['id']}: {label}"):
                # given what earlier calls provided, when the app makes this call
                result = outcome_of(call, static_check(document, call), live_check(app, call))
                results.append(result)
                # then it is declared with the fields the app uses, and served
                if static := static_finding(call, result):
                    note(static, DEVIATES)
                if result.outcome == "blocked":
                    raise Blocked(result.detail, call=label)
                if result.outcome in FINDING_KINDS:
                    raise ContractFinding(Finding(
                        FINDING_KINDS[result.outcome], label,
                        f"served as the contract says ({call['id']})",
                        result.detail.splitlines()[0] if result.detail else ""))
                assert result.outcome == "served", f"{label}: {result.outcome}\n{result.detail}"
    finally:
        app.close()
        text = write_report(contract_dir(run.out_dir), results)
        allure.attach(text, name="mobile contract", attachment_type=allure.attachment_type.TEXT)
