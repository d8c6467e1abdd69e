"""One customer's resources are invisible to another: the ownership matrix.

For every operation of the live schema that takes a resource id in its path and needs a login,
customer A makes the resource, customer B makes the very call A would, and must get 404,
exactly as if the resource did not exist; then A makes the same call and must succeed (the
positive control: a 404 for B proves nothing unless the call works for the owner). B goes
first because several calls change or delete the resource (cancel, DELETE, verify): the
owner's success afterwards also proves B's attempt left it alone. The two customers are two
bearer tokens; the matrix reads nothing else of them.

The kinds of resource come from the schema: a collection with a POST and calls on its items
by id (`fixtures.contract.makers.schema_kinds`), made with the registry's maker
(`fixtures/contract/resources.py`) or, when that fails on the target's shapes or the registry
does not know the kind, with Schemathesis's examples of the collection's POST. A kind made
neither way blocks its cases with one precondition finding naming it.

A 2xx for B on A's resource is an ownership finding, and the case fails. Any other answer than
404 for B is a status finding (the contract hides another customer's resource as not found).
An operation customers may not make at all (403 for A on their own resource) is staff-only
and listed apart. A path whose prefix no kind claims is a finding, never a silent pass: the
tier cannot make the resource, so it cannot say whether the call leaks.
The matrix is written to `reports/out/contract/ownership.json` and `.md`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from http import HTTPStatus

import allure

from fixtures.api.base import Call, describe
from fixtures.contract.makers import FromExamples, Makers, example_body, schema_kinds
from fixtures.contract.profile import contract_dir
from fixtures.contract.resources import Kind, Workshop, action_of, body_for, collection_of
from fixtures.contract.schema import needs_bearer, operations
from fixtures.findings import DEFECT, DEVIATES, NOTES, Blocked, ContractFinding, Finding, note


@dataclass
class Row:
    method: str
    path: str
    kind: str
    # not found to another customer | staff-only | leak | not 404 | blocked | unknown kind |
    # not owned
    verdict: str
    intruder_status: int | None = None
    owner_status: int | None = None
    detail: str = ""


def send(shop: Workshop, method: str, path: str, resource_id: str, body: object):
    """The call on `resource_id`, as `shop`'s customer."""
    parameter = path[path.index("{"):path.index("}") + 1]
    call = Call(method, path.replace(parameter, "{id}", 1))
    kwargs = {"json": body} if body is not None else {}
    return shop.caller.session.request(call, ids={"id": resource_id}, **kwargs)


def succeeded(status: int) -> bool:
    return HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES


def kind_for(path: str, kinds: list[Kind]) -> Kind | None:
    prefix = collection_of(path)
    return next((kind for kind in kinds if kind.prefix == prefix), None)


def request_body(document: dict, kind: Kind, method: str, path: str, shop: Workshop,
                 resource: dict) -> object:
    """The body of the call: the registry's for its kinds, Schemathesis's first valid example
    for a kind only the schema knows."""
    if not isinstance(kind.make, FromExamples):
        return body_for(kind, method, path, shop, resource)
    if method.upper() in ("GET", "DELETE", "HEAD"):
        return None
    try:
        found = example_body(document, method, path)
    except Exception:  # Schemathesis cannot make one from this schema: an empty object then
        found = None
    return {} if found is None else found


def judge(document: dict, method: str, path: str, kind: Kind | None, makers: Makers,
          owner: Workshop, intruder: Workshop) -> Row:
    if kind is None:
        # without a maker the tier can still tell a staff-only call: customers get 403 for it
        probe = send(owner, method, path, str(uuid.uuid4()), None if method in (
            "GET", "DELETE") else {})
        if probe.status_code == HTTPStatus.FORBIDDEN:
            return Row(method, path, "-", "staff-only", owner_status=probe.status_code)
        return Row(method, path, f"? ({collection_of(path)})", "unknown kind",
                   owner_status=probe.status_code,
                   detail=f"no kind claims {collection_of(path)}: the registry "
                          "(fixtures/contract/resources.py) has no maker for it and the OpenAPI no "
                          "POST on it")
    if not kind.owned:
        return Row(method, path, kind.name, "not owned",
                   detail=f"every customer may read a {kind.name}")
    resource = makers.make(kind, owner)
    resource_id = str(resource["id"])
    body = request_body(document, kind, method, path, owner, resource)
    with allure.step(f"customer B: {method} {path} on customer A's {kind.name}"):
        intruding = send(intruder, method, path, resource_id, body)
    with allure.step(f"customer A (positive control): {method} {path} on their {kind.name}"):
        owning = send(owner, method, path, resource_id, body)
    row = Row(method, path, kind.name, "", intruding.status_code, owning.status_code)
    if succeeded(intruding.status_code):
        row.verdict = "leak"
        row.detail = (f"customer B got {intruding.status_code} on customer A's {kind.name}\n"
                      f"{describe(intruding)}")
    elif owning.status_code == HTTPStatus.FORBIDDEN:
        row.verdict = "staff-only"
    elif intruding.status_code != HTTPStatus.NOT_FOUND:
        row.verdict = "not 404"
        row.detail = f"customer B got {intruding.status_code}, not 404\n{describe(intruding)}"
    elif not succeeded(owning.status_code):
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
             "| call | resource | B got | A got | verdict | detail |",
             "|---|---|---|---|---|---|"]
    lines += [f"| `{row.method} {row.path}` | {row.kind} | {row.intruder_status or '-'} | "
              f"{row.owner_status or '-'} | {row.verdict} | "
              f"{(row.detail.splitlines() or [''])[0].replace('|', '/')} |" for row in owned]
    lines += ["", "## Staff-only (403 for customers)", "", "| call | resource | A got |",
              "|---|---|---|"]
    lines += [f"| `{row.method} {row.path}` | {row.kind} | {row.owner_status} |"
              for row in staff] or ["| none | | |"]
    text = "\n".join(lines) + "\n"
    (folder / "ownership.md").write_text(text)
    return text


def verdict_findings(row: Row) -> None:
    """Notes what a row says about the target, and fails the case on a leak."""
    call = f"{row.method} {row.path}"
    sample = "\n".join(row.detail.splitlines()[1:])
    if row.verdict == "leak":
        note(Finding("ownership", call, f"404 for another customer's {row.kind}",
                     f"{row.intruder_status}: another customer's {row.kind} was answered",
                     sample), DEFECT)
        raise AssertionError(f"{call}: {row.detail}")
    if row.verdict == "not 404":
        note(Finding("status", call, f"404 for another customer's {row.kind}",
                     f"{row.intruder_status}", sample), DEVIATES)
    if row.verdict == "unknown kind":
        raise ContractFinding(Finding("precondition", call,
                                      "a kind of resource the matrix can make", row.detail))
    if row.verdict == "blocked":
        # the reason is the finding's `got`: its first line, without the exchange's ids
        raise Blocked(row.detail.splitlines()[0], call=call)


@allure.feature("Contract")
@allure.story("Another customer's resource is not found")
def test_another_customers_resource_is_not_found(openapi_document, workshop, new_customer,
                                                 data, photos, run, subtests, request):
    # given two customers (two bearer tokens); A owns what the calls are about
    owner = workshop
    intruder = Workshop(new_customer("intruder"), data=data, photos=photos,
                        staff=workshop.staff, sandbox=workshop.sandbox)
    kinds = schema_kinds(openapi_document)
    makers = Makers(openapi_document)
    calls = [(method, path) for method, path, operation in operations(openapi_document)
             if "{" in path and needs_bearer(openapi_document, operation)]
    assert calls, "the schema has no operation on a customer's resource by id"

    rows: list[Row] = []
    for method, path in calls:
        label = f"{method} {path}"
        kind = kind_for(path, kinds)
        with NOTES.scoped(f"{request.node.nodeid}[{label}]"), \
                subtests.test(msg=label), allure.step(label):
            # when B makes A's call on A's resource, then A makes it
            try:
                row = judge(openapi_document, method, path, kind, makers, owner, intruder)
            except (ContractFinding, Blocked) as problem:
                rows.append(Row(method, path, getattr(kind, "name", "-"), "blocked",
                                detail=f"the resource could not be made: {problem}"))
                raise
            rows.append(row)
            # then B got 404 and A succeeded (or customers may not make the call at all)
            verdict_findings(row)

    text = write_matrix(contract_dir(run.out_dir), rows)
    allure.attach(text, name="ownership matrix", attachment_type=allure.attachment_type.TEXT)
