"""Whether the target's OpenAPI documents every operation: a summary, request and response
schemas, its error statuses with the error body; and Swagger UI served."""

from collections.abc import Mapping
from typing import Any

from reports.gate.evidence import of_run
from reports.gate.judges import combine, named, row
from reports.gate.metrics import DOCS_PATH, GO, HTTP_METHODS, NO_GO, NOT_MEASURED


def resolved(document: Mapping[str, Any], node: Any) -> Any:
    """A node of the document with its local `$ref` followed."""
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 20:
        ref, seen = node["$ref"], seen + 1
        if not ref.startswith("#/"):
            return node
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        node = target
    return node


def has_schema(document: Mapping[str, Any], node: Any) -> bool:
    content = (resolved(document, node) or {}).get("content") or {}
    return any(isinstance(media, Mapping) and media.get("schema") for media in content.values())


def takes_nothing(document: Mapping[str, Any], item: Mapping[str, Any],
                  operation: Mapping[str, Any]) -> bool:
    """An operation with no parameter, no body and no login (a health check, the app's
    public config): no client error is its to document."""
    parameters = [*(item.get("parameters") or []), *(operation.get("parameters") or [])]
    security = operation.get("security", document.get("security"))
    anonymous = not security or any(not requirement for requirement in security)
    return not parameters and operation.get("requestBody") is None and anonymous


def operation_gaps(document: Mapping[str, Any]) -> tuple[int, list[str]]:
    """How many operations the document has, and what each lacks: a summary or description,
    a schema of the request body it takes, a 2xx response schema (none needed for 204/205),
    a body schema for every error status it documents, and at least one 4xx (unless it takes
    nothing a client could get wrong: `takes_nothing`)."""
    count, gaps = 0, []
    for path, item in (document.get("paths") or {}).items():
        for method, operation in (resolved(document, item) or {}).items():
            if method not in HTTP_METHODS or not isinstance(operation, Mapping):
                continue
            count += 1
            call = f"{method.upper()} {path}"
            if not str(operation.get("summary") or operation.get("description") or "").strip():
                gaps.append(f"{call}: no summary or description")
            body = operation.get("requestBody")
            if body is not None and not has_schema(document, body):
                gaps.append(f"{call}: request body without a schema")
            responses = {str(code): answer
                         for code, answer in (operation.get("responses") or {}).items()}
            success = [code for code in responses if code.startswith("2")]
            if not success:
                gaps.append(f"{call}: no 2xx response")
            elif not all(code in ("204", "205") for code in success) and not any(
                    has_schema(document, responses[code]) for code in success):
                gaps.append(f"{call}: no 2xx response schema")
            errors = [code for code in responses if code[:1] in ("4", "5")]
            bare = [code for code in errors if not has_schema(document, responses[code])]
            if bare:
                gaps.append(f"{call}: error status without a body schema: {', '.join(bare)}")
            if not any(code.startswith("4") for code in errors) \
                    and not takes_nothing(document, item, operation):
                gaps.append(f"{call}: no 4xx response")
    return count, gaps


def judge_documentation(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Every operation of the target's OpenAPI documented, and Swagger UI served (a 200 for
    GET /api/docs/ among the run's exchanges)."""
    parts, details, measured = [], [], []
    statuses, why = of_run(evidence, "exchanges")
    if statuses is None or not statuses:
        parts.append(NOT_MEASURED)
        swagger = "Swagger UI not checked"
        details.append("Swagger UI: not measured: " + (
            why or f"no case of the run requested GET {DOCS_PATH}"))
    elif 200 in statuses:
        parts.append(GO)
        swagger = "Swagger UI served"
    else:
        parts.append(NO_GO)
        swagger = "Swagger UI not served"
        details.append(f"Swagger UI: GET {DOCS_PATH} answered "
                       f"{', '.join(map(str, sorted(set(statuses))))}")
    document, why = of_run(evidence, "openapi", "contracts")
    if document is None:
        parts.append(NOT_MEASURED)
        measured.append("OpenAPI not measured")
        details.append(f"OpenAPI: not measured: {why}")
    else:
        count, gaps = operation_gaps(document)
        incomplete = len({gap.split(": ", 1)[0] for gap in gaps})
        measured.append(f"{count - incomplete}/{count} operations documented")
        parts.append(NOT_MEASURED if not count else NO_GO if gaps else GO)
        if not count:
            details.append("OpenAPI: the document has no operation")
        details += named(gaps, 40)
    return row(evidence, "documentation", "documentation complete",
               "every operation documented (summary, request and 2xx schemas, 4xx with "
               "error bodies); Swagger UI served", "; ".join([*measured, swagger]),
               combine(parts), details)
