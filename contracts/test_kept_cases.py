"""Every input the contract tier's exploration once found wrong, sent again on every run.

Schemathesis draws its cases from a seed: `make test` gives a fixed one, so that CI fails on a
regression and not on what a new draw happens to reach, while `make contracts` and the nightly
deep profile explore with a fresh one. What exploration finds is kept in
`contracts/kept_cases.yaml` (the request, what the target must answer, and a positive control),
and this test sends each kept case, whichever seed the run has: a failure found once is checked
on every run after, against any target.

A kept case is skipped, saying why, against a target whose schema has no such operation, or
allows the kept input (it is then no longer a schema violation there). Placeholders in a body
(`<order>`, `<jpeg>`) become a real resource of the contract customer's, made for the case, and
a small real photo.

The kept input answered with a 2xx is a `status` finding (the one Schemathesis's
`negative_data_rejection` gives) and fails the case; the control refused blocks it (the kept
input's refusal then proves nothing).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from pathlib import Path
from typing import Any

import allure
import jsonschema
import pytest
import yaml

from fixtures.api.base import Call, describe
from fixtures.contract.resources import KINDS, Kind, Workshop
from fixtures.contract.schema import operations, resolve
from fixtures.findings import DEFECT, Blocked, Finding, note

KEPT = Path(__file__).with_name("kept_cases.yaml")
CASES: list[dict] = yaml.safe_load(KEPT.read_text())
PLACEHOLDER = re.compile(r"<([a-z_]+)>")
PHOTO = "jpeg"
MULTIPART = "multipart/form-data"
# `format: uuid` is RFC 4122's UUID: 8-4-4-4-12 hex digits. jsonschema's own check parses with
# Python's uuid.UUID first, which also takes a trailing brace (`<id>}`), one of the kept inputs
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
FORMATS = jsonschema.FormatChecker()
FORMATS.checks("uuid")(lambda value: not isinstance(value, str) or bool(UUID_TEXT.fullmatch(value)))


def kind_called(name: str) -> Kind:
    kind = next((kind for kind in KINDS if kind.name.replace(" ", "_") == name), None)
    if kind is None:
        raise AssertionError(f"{KEPT.name}: no kind of fixtures/contract/resources.py is "
                             f"called <{name}> (kinds: {', '.join(kind.name for kind in KINDS)})")
    return kind


class Filler:
    """Fills a kept body's placeholders: one real resource per kind for the case."""

    def __init__(self, shop: Workshop):
        self.shop = shop
        self.made: dict[str, str] = {}

    def id_of(self, name: str) -> str:
        if name not in self.made:
            self.made[name] = str(kind_called(name).make(self.shop)["id"])
        return self.made[name]

    def fill(self, value: Any) -> Any:
        if value == f"<{PHOTO}>":
            return self.shop.photos.jpeg(64, 48)
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda match: self.id_of(match.group(1)), value)
        return value


def request_schema(document: dict, method: str, path: str) -> tuple[str, dict] | None:
    """The media type and the resolved schema of the operation's request body, or None when the
    schema has no such operation."""
    for found_method, found_path, operation in operations(document):
        if (found_method, found_path) == (method, path):
            content = operation.get("requestBody", {}).get("content", {})
            media = MULTIPART if MULTIPART in content else next(iter(content), "application/json")
            return media, resolve(document, content.get(media, {}).get("schema", {}))
    return None


def allowed_by(schema: dict, body: dict) -> bool:
    """Whether the schema allows the body, its photos read as the binary strings they are."""
    shown = {name: "<photo>" if isinstance(value, bytes) else value
             for name, value in body.items()}
    return jsonschema.Draft202012Validator(schema, format_checker=FORMATS).is_valid(shown)


def send(shop: Workshop, method: str, path: str, media: str, body: dict):
    if media == MULTIPART:
        files = {name: (f"{name}.jpg", value, "image/jpeg") for name, value in body.items()
                 if isinstance(value, bytes)}
        fields = {name: value for name, value in body.items() if not isinstance(value, bytes)}
        return shop.caller.session.request(Call(method, path), files=files, data=fields)
    return shop.caller.session.request(Call(method, path), json=body)


def succeeded(status: int) -> bool:
    return HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES


@allure.feature("Contract")
@allure.story("What exploration found is checked on every run")
@pytest.mark.parametrize("kept", CASES, ids=[case["name"] for case in CASES])
def test_a_kept_case_is_answered_as_the_contract_says(kept, openapi_document, workshop):
    method, path = kept["operation"].split(" ", 1)
    assert kept["expect"] == "4xx", f"{KEPT.name}: {kept['name']}: only `expect: 4xx` is known"
    found = request_schema(openapi_document, method, path)
    if found is None:
        pytest.skip(f"the target's schema has no {kept['operation']}")
    media, schema = found
    # given the kept input, with real resources of the contract customer's in it
    filler = Filler(workshop)
    body = {name: filler.fill(value) for name, value in kept["body"].items()}
    if allowed_by(schema, body):
        pytest.skip(f"the target's schema of {kept['operation']} allows the kept input")

    # when it is sent, then it is refused
    with allure.step(f"the kept input: {kept['name']}"):
        reply = send(workshop, method, path, media, body)
    if succeeded(reply.status_code) or reply.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        note(Finding("status", kept["operation"], "a 4xx for data the OpenAPI does not allow",
                     f"{reply.status_code} for the kept case `{kept['name']}`",
                     describe(reply)), DEFECT)
    assert HTTPStatus.BAD_REQUEST <= reply.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, (
        f"{kept['operation']}: expected a 4xx for the kept case `{kept['name']}` (found: "
        f"{kept['found']}); got {reply.status_code}\n{describe(reply)}")

    # and the same body with the control's fields is accepted (the positive control)
    control = {**body, **{name: filler.fill(value)
                          for name, value in kept.get("control", {}).items()}}
    with allure.step("the positive control"):
        accepted = send(workshop, method, path, media, control)
    if not succeeded(accepted.status_code):
        raise Blocked(f"the kept case's control answered {accepted.status_code}: the refusal "
                      "proves nothing", call=kept["operation"])
