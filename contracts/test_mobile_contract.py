"""The mobile contract: every call the app makes, declared by the target's OpenAPI and served.

`contracts/mobile_calls.yaml` lists the calls (written from shared/spec/mobile-api.md); each is
checked against the live `/api/schema/` and then made, in the list's order, as one app user
would make it (`fixtures/mobile_contract.py`). One subtest per call; the outcomes go to
`reports/out/contract/mobile-contract.md` and `.json`, to Allure, and to the end of the run.
"""

import allure

from fixtures.api.base import Session
from fixtures.contract import contract_dir
from fixtures.findings import Blocked, ContractFinding, Finding
from fixtures.mobile_contract import (
    App,
    Outcome,
    combine,
    live_check,
    load_calls,
    static_check,
    write_report,
)

FINDING_KINDS = {"missing": "missing", "wrong shape": "shape"}


@allure.feature("Contract")
@allure.story("The app is served, call by call")
def test_every_call_of_the_app_is_served(request, target, data, photos, sandbox_client,
                                         staff_login, callers, run, subtests):
    try:
        document = request.getfixturevalue("openapi_document")
    except ContractFinding:
        document = None  # every call is then "missing" statically; the live check still runs
    staff = None
    if staff_login is not None:
        staff = callers.anonymous("staff")
        staff.use_tokens(staff_login["access"], staff_login["refresh"])
    app = App(Session(target.base_url, name="app"), data=data, photos=photos,
              sandbox=sandbox_client, staff=staff)
    results: list[Outcome] = []
    try:
        for call in load_calls():
            label = f"{call['method']} {call['path']}"
            with subtests.test(msg=f"{call['id']}: {label}"), \
                    allure.step(f"{call['id']}: {label}"):
                # given what earlier calls provided, when the app makes this call
                static = static_check(document, call)
                live = live_check(app, call)
                outcome, detail = combine(static, live)
                results.append(Outcome(call["id"], call["domain"], label, outcome, static[0],
                                       live[0], detail, live[2]))
                # then it is declared with the fields the app uses, and served
                if outcome == "blocked":
                    raise Blocked(detail, call=label)
                if outcome in FINDING_KINDS:
                    raise ContractFinding(Finding(FINDING_KINDS[outcome], label,
                                                  f"served as the contract says ({call['id']})",
                                                  detail.splitlines()[0] if detail else ""))
                assert outcome == "served", f"{label}: {outcome}\n{detail}"
    finally:
        app.close()
        text = write_report(contract_dir(run.out_dir), results)
        allure.attach(text, name="mobile contract", attachment_type=allure.attachment_type.TEXT)
