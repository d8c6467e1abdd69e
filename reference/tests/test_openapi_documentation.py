"""The served OpenAPI documents every operation the way the release gate's `documentation`
metric judges a target's document: what the operation does (a summary or a description), a
schema for the body it takes and for its 2xx reply, at least one 4xx (unless it takes no
parameter, no body and no login), and a body schema for every error status it documents.

The check is written here rather than imported from the harness: the reference stands on its
own, and a gap is caught by its own unit tests before any run of the harness."""

import copy
import json
from http import HTTPStatus
from typing import Any

from django.test import Client

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def resolved(document: dict, node: Any) -> Any:
    """A node of the document with its local `$ref` followed."""
    while isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/"):
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        node = target
    return node


def has_schema(document: dict, node: Any) -> bool:
    content = (resolved(document, node) or {}).get("content") or {}
    return any(media.get("schema") for media in content.values() if isinstance(media, dict))


def takes_nothing(document: dict, item: dict, operation: dict) -> bool:
    """No parameter, no body, no login: nothing a client could get wrong (a health check)."""
    parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
    security = operation.get("security", document.get("security"))
    anonymous = not security or any(not requirement for requirement in security)
    return not parameters and "requestBody" not in operation and anonymous


def documentation_gaps(document: dict) -> list[str]:
    """What each operation of `document` lacks, one line per gap."""
    gaps = []
    for path, item in document.get("paths", {}).items():
        for method, operation in resolved(document, item).items():
            if method not in HTTP_METHODS:
                continue
            call = f"{method.upper()} {path}"
            if not str(operation.get("summary") or operation.get("description") or "").strip():
                gaps.append(f"{call}: no summary or description")
            if "requestBody" in operation and not has_schema(document, operation["requestBody"]):
                gaps.append(f"{call}: request body without a schema")
            responses = {str(code): reply for code, reply in operation["responses"].items()}
            success = [code for code in responses if code.startswith("2")]
            if not success:
                gaps.append(f"{call}: no 2xx response")
            elif not set(success) <= {"204", "205"} and not any(
                    has_schema(document, responses[code]) for code in success):
                gaps.append(f"{call}: no 2xx response schema")
            errors = [code for code in responses if code[:1] in ("4", "5")]
            bare = [code for code in errors if not has_schema(document, responses[code])]
            if bare:
                gaps.append(f"{call}: error status without a body schema: {', '.join(bare)}")
            if not any(code.startswith("4") for code in errors) and \
                    not takes_nothing(document, item, operation):
                gaps.append(f"{call}: no 4xx response")
    return gaps


def served_document() -> dict:
    """The document as `/api/schema/` serves it (the one a run of the harness judges)."""
    response = Client().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/json")
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    return json.loads(response.content)


def test_schema_documents_every_operation_and_every_error_body():
    document = served_document()
    operations = [method for item in document["paths"].values() for method in item
                  if method in HTTP_METHODS]

    # positive control: the same check flags an operation without a word about it and with
    # an error status that has no body, added to the real document
    fabricated = copy.deepcopy(document)
    fabricated["paths"]["/api/fabricated/{thing_id}/"] = {"get": {
        "operationId": "fabricated_retrieve",
        "parameters": [{"in": "path", "name": "thing_id", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}},
            "404": {"description": "Absent."},
        },
    }}
    assert documentation_gaps(fabricated) == [
        *documentation_gaps(document),
        "GET /api/fabricated/{thing_id}/: no summary or description",
        "GET /api/fabricated/{thing_id}/: error status without a body schema: 404",
    ]

    assert len(operations) > 50  # the whole API, not a document cut short
    assert documentation_gaps(document) == []


def test_schema_takes_a_views_docstring_as_its_operations_description():
    document = served_document()

    # an operation without `description=` is described by its view's own docstring
    item = document["paths"]["/api/services/items/{item_id}/"]["get"]
    assert item["description"].startswith("One active service item")
    address = document["paths"]["/api/accounts/addresses/{address_id}/"]
    assert address["put"]["description"] != address["patch"]["description"]
