"""Every paginated list refuses a page size that is not a number (400) and a page past the end
(404), where its OpenAPI documents those refusals: the contract's paging rules (`?page=`,
`?page_size=` up to 100; an out-of-range page is 404), checked on every list of the schema.

For every GET of the live schema that declares the query parameters `page` and `page_size`:
- the positive control first: `?page=1` must answer 200, so that the refusals below are about
  the paging parameters alone;
- where it documents 400: `?page_size=many` must answer 400;
- where it documents 404: `?page=` a page far past the end (`PAST_THE_END`) must answer 404.

The calls are made as the list's caller: no token for a public list, the contract customer's
otherwise, staff's where customers get 403 (a staff-only list). A list under a resource
(`/api/chat/rooms/{room_id}/messages/`) is that of a real resource of the customer where the
tier can make one (`fixtures.contract.makers.RealIds`). Another answer than the documented
refusal is a `status` deviation; a control that does not answer 200 blocks the case. One
subtest per (operation, status).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import allure

from fixtures.api.base import Call, describe
from fixtures.contract.makers import RealIds
from fixtures.contract.schema import needs_bearer, operations, resolve
from fixtures.findings import DEVIATES, NOTES, Blocked, Finding, note

# far past the last page of any list a test customer can have
PAST_THE_END = 100_000
NOT_A_NUMBER = "many"
REFUSALS = {
    "400": ("a page size that is not a number", {"page_size": NOT_A_NUMBER},
            HTTPStatus.BAD_REQUEST),
    "404": ("a page past the end", {"page": str(PAST_THE_END)}, HTTPStatus.NOT_FOUND),
}


def paginated(document: dict):
    """(path, operation) of every GET that takes `page` and `page_size`."""
    for method, path, operation in operations(document):
        names = {parameter.get("name")
                 for parameter in resolve(document, operation.get("parameters", []))
                 if parameter.get("in") == "query"}
        if method == "GET" and {"page", "page_size"} <= names:
            yield path, operation


@allure.feature("Contract")
@allure.story("Every list refuses a page size that is no number and a page past the end")
def test_lists_refuse_bad_page_sizes_and_pages_past_the_end(
        openapi_document, contract_customer, contract_tokens, workshop, subtests, request):
    # given every paginated list of the schema, and real resources for lists under one
    lists = list(paginated(openapi_document))
    assert lists, "the schema has no list that takes page and page_size"
    resources = RealIds(openapi_document, workshop)
    session = contract_customer.session

    for path, operation in lists:
        label = f"GET {path}"
        call = Call("GET", path)
        ids = resources.ids(path)
        documented = {str(status) for status in operation.get("responses", {})}
        credentials: dict[str, Any] = {"token": contract_tokens.access()} \
            if needs_bearer(openapi_document, operation) else {"auth": False}
        with allure.step(f"{label}?page=1 (positive control)"):
            control = session.request(call, ids=ids, params={"page": "1"}, **credentials)
        staff_only = control.status_code == HTTPStatus.FORBIDDEN and "token" in credentials
        if staff_only and workshop.staff is not None:
            credentials = {"token": workshop.staff.access}
            with allure.step(f"{label}?page=1 as staff (positive control)"):
                control = session.request(call, ids=ids, params={"page": "1"}, **credentials)

        for status, (what, params, wanted) in REFUSALS.items():
            if status not in documented:
                continue
            case = f"{label} {status}"
            with NOTES.scoped(f"{request.node.nodeid}[{case}]"), \
                    subtests.test(msg=case), allure.step(f"{case}: {what}"):
                if staff_only and workshop.staff is None:
                    raise Blocked(f"{label} is for staff (403 for a customer) and no staff "
                                  "credentials were given", call=label)
                if control.status_code != HTTPStatus.OK:
                    raise Blocked(f"{label}?page=1 answered {control.status_code}, not 200: "
                                  f"the refusal would prove nothing\n{describe(control)}",
                                  call=label)
                # when the list is asked for with `what`
                reply = session.request(call, ids=ids, params=params, **credentials)
                # then the target refuses it with the documented status
                if reply.status_code != wanted:
                    note(Finding("status", label, f"{int(wanted)} for {what}",
                                 f"{reply.status_code} for {what}", describe(reply)), DEVIATES)
