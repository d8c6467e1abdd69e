"""Every operation that requires a login refuses a call without valid credentials: 401.

For every operation of the live schema whose security requires a bearer token
(`fixtures.contract.schema.needs_bearer`), the call is made without valid credentials three ways: no
Authorization header, a garbage token, and the customer's own access token re-signed with
another key (every claim the target checks present, only the signature wrong). Each must answer
401. Then the same call with the customer's token (the positive control) must answer anything
but 401, which proves that the 401s were about the credentials and not about the call. Path
ids are random (a login is checked before any lookup: without one, a call on an id that does
not exist and one that does answer alike); a call that takes a JSON body sends an empty object,
so that the control changes nothing.

A 2xx without valid credentials is an authentication bypass (`ownership`, the same finding as
Schemathesis's `ignored_auth`) and fails the case; another status than 401 is a `status`
deviation (the contract answers 401 to "no token, or an invalid, expired or revoked one"). A
control that answers 401 logs the customer in again and is tried once more; still 401, the
case is blocked: the operation refuses its own customer too, so the refusals prove nothing.
One subtest per operation.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import uuid
from http import HTTPStatus
from typing import Any

import allure
import jwt

from fixtures.api.base import Call, Response, describe
from fixtures.contract.schema import needs_bearer, operations, resolve
from fixtures.findings import DEFECT, DEVIATES, NOTES, Blocked, Finding, note
from fixtures.tokens import WRONG_KEY, signed_with

UNAUTHORIZED = HTTPStatus.UNAUTHORIZED
PATH_PARAMETER_INTEGER = "2147480000"
PATH_PARAMETER_NAME = re.compile(r"\{([^}]+)\}")


def placeholder_ids(document: dict, path: str, operation: dict) -> dict[str, str]:
    """A value for each path parameter that names nothing: a fresh UUID (a large number where
    the schema says the parameter is an integer)."""
    integers = {parameter.get("name")
                for parameter in resolve(document, operation.get("parameters", []))
                if parameter.get("in") == "path"
                and (parameter.get("schema") or {}).get("type") == "integer"}
    return {name: PATH_PARAMETER_INTEGER if name in integers else str(uuid.uuid4())
            for name in PATH_PARAMETER_NAME.findall(path)}


def body_of(document: dict, operation: dict) -> dict[str, Any]:
    """An empty JSON object for an operation that takes JSON; no body otherwise."""
    content = resolve(document, operation.get("requestBody", {})).get("content", {})
    return {"json": {}} if any("json" in media for media in content) else {}


def refusals(token: str) -> dict[str, dict[str, Any]]:
    """The credentials that are not valid, as `Session.request` arguments (the re-signed
    token only where the target's tokens are JWTs)."""
    ways: dict[str, dict[str, Any]] = {
        "no token": {"auth": False},
        "a garbage token": {"token": secrets.token_urlsafe(24)},
    }
    # an opaque token has no signature to get wrong
    with contextlib.suppress(jwt.PyJWTError):
        ways["the customer's token signed with another key"] = {
            "token": signed_with(token, WRONG_KEY)}
    return ways


def judge(label: str, how: str, reply: Response) -> str | None:
    """What a call without valid credentials showed: None for the 401, else the problem
    (noted as a finding)."""
    if reply.status_code == UNAUTHORIZED:
        return None
    if HTTPStatus.OK <= reply.status_code < HTTPStatus.MULTIPLE_CHOICES:
        note(Finding("ownership", label, "401 without valid credentials",
                     f"{reply.status_code} with {how}", describe(reply)), DEFECT)
        return f"{how}: answered {reply.status_code}, the call went through\n{describe(reply)}"
    note(Finding("status", label, "401 without valid credentials",
                 f"{reply.status_code} with {how}", describe(reply)), DEVIATES)
    return None


@allure.feature("Contract")
@allure.story("Every operation that needs a login refuses a call without one")
def test_operations_refuse_calls_without_valid_credentials(openapi_document, contract_customer,
                                                           contract_tokens, subtests, request):
    # given a customer's valid token, and every operation of the schema that requires one
    calls = [(method, path, operation)
             for method, path, operation in operations(openapi_document)
             if needs_bearer(openapi_document, operation)]
    assert calls, "the schema has no operation that requires a bearer token"
    session = contract_customer.session

    for method, path, operation in calls:
        label = f"{method} {path}"
        call = Call(method, path)
        ids = placeholder_ids(openapi_document, path, operation)
        body = body_of(openapi_document, operation)
        with NOTES.scoped(f"{request.node.nodeid}[{label}]"), \
                subtests.test(msg=label), allure.step(label):
            # when the call is made without valid credentials, each way
            bypassed = []
            for how, credentials in refusals(contract_tokens.access()).items():
                with allure.step(f"{label} with {how}"):
                    reply = session.request(call, ids=ids, **credentials, **body)
                problem = judge(label, how, reply)
                if problem:
                    bypassed.append(problem)

            # and with the customer's own token (the positive control)
            control = session.request(call, ids=ids, token=contract_tokens.access(), **body)
            if control.status_code == UNAUTHORIZED:
                contract_tokens.refresh()
                control = session.request(call, ids=ids, token=contract_tokens.access(), **body)

            # then none went through, and the customer's own call was not refused as unknown
            assert not bypassed, f"{label} answered without valid credentials:\n" + \
                "\n".join(bypassed)
            if control.status_code == UNAUTHORIZED:
                raise Blocked(f"{label} answers 401 to its own customer's valid token too: the "
                              f"refusals prove nothing\n{describe(control)}", call=label)
