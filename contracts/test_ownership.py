"""One customer's resources are invisible to another: the ownership matrix.

For every operation of the live schema that takes a resource id in its path and needs a login,
customer A makes the resource (through `fixtures/resources.py`, by the path prefix the id lives
under), customer B makes the very call A would, and must get 404, exactly as if the resource
did not exist; then A makes the same call and must succeed (the positive control: a 404 for
B proves nothing unless the call works for the owner). B goes first because several calls
change or delete the resource (cancel, DELETE, verify): the owner's success afterwards also
proves B's attempt left it alone.

An operation customers may not make at all (403 for A on their own resource) is staff-only
and listed apart. A path prefix the registry does not know is a finding, never a silent pass:
the tier cannot make the resource, so it cannot say whether the call leaks.
The matrix is written to `reports/out/contract/ownership.json` and `.md`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from http import HTTPStatus

import allure

from fixtures.api.base import Call, describe
from fixtures.contract import contract_dir, needs_bearer, operations
from fixtures.findings import Blocked, ContractFinding, Finding
from fixtures.resources import Workshop, action_of, body_for, collection_of, kind_of


@dataclass
class Row:
    method: str
    path: str
    kind: str
    verdict: str  # not found to another customer | staff-only | leak | blocked | unknown kind
    intruder_status: int | None = None
    owner_status: int | None = None
    detail: str = ""


def send(shop: Workshop, method: str, path: str, resource_id: str, body: object):
    """The call on `resource_id`, as `shop`'s customer."""
    parameter = path[path.index("{"):path.index("}") + 1]
    call = Call(method, path.replace(parameter, "{id}", 1))
    kwargs = {"json": body} if body is not None else {}
    return shop.caller.session.request(call, ids={"id": resource_id}, **kwargs)


def judge(method: str, path: str, owner: Workshop, intruder: Workshop) -> Row:
    kind = kind_of(path)
    if kind is None:
        # without a maker the tier can still tell a staff-only call: customers get 403 for it
        probe = send(owner, method, path, str(uuid.uuid4()), None if method in (
            "GET", "DELETE") else {})
        if probe.status_code == HTTPStatus.FORBIDDEN:
            return Row(method, path, "-", "staff-only", owner_status=probe.status_code)
        return Row(method, path, f"? ({collection_of(path)})", "unknown kind",
                   owner_status=probe.status_code,
                   detail=f"no kind in fixtures/resources.py claims {collection_of(path)}")
    resource = kind.make(owner)
    resource_id = str(resource["id"])
    body = body_for(kind, method, path, owner, resource)
    with allure.step(f"customer B: {method} {path} on customer A's {kind.name}"):
        intruding = send(intruder, method, path, resource_id, body)
    with allure.step(f"customer A (positive control): {method} {path} on their {kind.name}"):
        owning = send(owner, method, path, resource_id, body)
    row = Row(method, path, kind.name, "", intruding.status_code, owning.status_code)
    if owning.status_code == HTTPStatus.FORBIDDEN:
        row.verdict = "staff-only"
    elif intruding.status_code != HTTPStatus.NOT_FOUND:
        row.verdict = "leak"
        row.detail = f"customer B got {intruding.status_code}, not 404\n{describe(intruding)}"
    elif not HTTPStatus.OK <= owning.status_code < HTTPStatus.MULTIPLE_CHOICES:
        row.verdict = "blocked"
        row.detail = (f"the owner's own call answered {owning.status_code} (action "
                      f"`{action_of(path) or 'itself'}`)\n{describe(owning)}")
    else:
        row.verdict = "not found to another customer"
    return row


def write_matrix(folder, rows: list[Row]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ownership.json").write_text(json.dumps([asdict(row) for row in rows], indent=1))
    owned = [row for row in rows if row.verdict != "staff-only"]
    staff = [row for row in rows if row.verdict == "staff-only"]
    lines = ["# Ownership matrix", "",
             "Customer A's resource, customer B's call (must be 404), then A's own call "
             "(the positive control, must be 2xx).", "",
             "| call | resource | B got | A got | verdict |", "|---|---|---|---|---|"]
    lines += [f"| `{row.method} {row.path}` | {row.kind} | {row.intruder_status or '-'} | "
              f"{row.owner_status or '-'} | {row.verdict} |" for row in owned]
    lines += ["", "## Staff-only (403 for customers)", "", "| call | resource | A got |",
              "|---|---|---|"]
    lines += [f"| `{row.method} {row.path}` | {row.kind} | {row.owner_status} |"
              for row in staff] or ["| none | | |"]
    text = "\n".join(lines) + "\n"
    (folder / "ownership.md").write_text(text)
    return text


@allure.feature("Contract")
@allure.story("Another customer's resource is not found")
def test_another_customers_resource_is_not_found(openapi_document, workshop, new_customer,
                                                 data, photos, run, subtests):
    # given two customers; A owns what the calls are about
    owner = workshop
    intruder = Workshop(new_customer("intruder"), data=data, photos=photos,
                        staff=workshop.staff, sandbox=workshop.sandbox)
    calls = [(method, path) for method, path, operation in operations(openapi_document)
             if "{" in path and needs_bearer(openapi_document, operation)]
    assert calls, "the schema has no operation on a customer's resource by id"

    rows: list[Row] = []
    for method, path in calls:
        with subtests.test(msg=f"{method} {path}"), allure.step(f"{method} {path}"):
            # when B makes A's call on A's resource, then A makes it
            try:
                row = judge(method, path, owner, intruder)
            except (ContractFinding, Blocked) as problem:
                rows.append(Row(method, path, getattr(kind_of(path), "name", "-"), "blocked",
                                detail=f"the resource could not be made: {problem}"))
                raise
            rows.append(row)
            # then B got 404 and A succeeded (or customers may not make the call at all)
            if row.verdict == "unknown kind":
                raise ContractFinding(Finding(
                    "precondition", f"{method} {path}",
                    "a maker for its resource in fixtures/resources.py", row.detail))
            if row.verdict == "blocked":
                raise Blocked(row.detail, call=f"{method} {path}")
            assert row.verdict != "leak", f"{method} {path}: {row.detail}"

    text = write_matrix(contract_dir(run.out_dir), rows)
    allure.attach(text, name="ownership matrix", attachment_type=allure.attachment_type.TEXT)
