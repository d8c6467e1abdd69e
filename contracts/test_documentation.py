"""The target's documentation is served: Swagger UI at `/api/docs/` and the OpenAPI document at
`/api/schema/`.

Swagger UI is a page for people, not a call of the app: a target that does not offer it is
reported as such (the case is skipped with a note, NOT OFFERED), never blocked or failed; one
that answers something else than the page fails. The run's exchange log keeps the reply, which
is what the release gate's `documentation` metric reads ("a 200 for GET /api/docs/"). The
document is what the contract tier generates its calls from: without it the case is blocked by
the same `missing` finding as the rest of the tier (`openapi_document` in
`fixtures/contract/schema.py`).
"""

import re
from collections.abc import Iterator
from http import HTTPStatus

import allure
import pytest

from fixtures.api.base import Session, UnexpectedReply, describe, unserved_reply
from fixtures.api.service import DOCS, SCHEMA, ServiceApi
from fixtures.findings import ContractFinding, Finding

# a 404 or 405 at the page's path: the target has no Swagger UI there
NOT_OFFERED = (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED, HTTPStatus.GONE)
OPENAPI_3 = re.compile(r"3\.\d+\.\d+")


@pytest.fixture
def service(target) -> Iterator[ServiceApi]:
    """The target's service calls, asked with no login, as a reader of the docs would."""
    session = Session(target.base_url, name="reader")
    try:
        yield ServiceApi(session)
    finally:
        session.close()


def content_type(response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


@allure.feature("Contract")
@allure.story("The documentation is served")
def test_swagger_ui_is_served(service):
    response = service.raw_docs()

    if response.status_code in NOT_OFFERED:
        raise ContractFinding(Finding(
            "operator", str(DOCS), "Swagger UI, a 200 text/html page",
            unserved_reply(response), describe(response)))
    if response.status_code != HTTPStatus.OK:
        raise UnexpectedReply(DOCS, [HTTPStatus.OK], response)
    assert content_type(response) == "text/html", \
        f"Swagger UI is an HTML page\n{describe(response)}"
    # a page that is not Swagger UI (an app shell answering every path) is no documentation
    assert "swagger-ui" in response.text.lower(), \
        f"the page at {DOCS.path} is not Swagger UI\n{describe(response)}"


@allure.feature("Contract")
@allure.story("The documentation is served")
def test_openapi_document_is_served(service):
    response = service.raw_schema()

    if response.status_code != HTTPStatus.OK or "json" not in response.headers.get(
            "content-type", ""):
        raise ContractFinding(Finding(
            "missing", str(SCHEMA), "200 with the OpenAPI document as JSON",
            f"{response.status_code} {response.headers.get('content-type', '-')}"))
    document = response.json()
    assert isinstance(document, dict), describe(response)
    version = str(document.get("openapi", ""))
    assert OPENAPI_3.fullmatch(version), \
        f"expected an OpenAPI 3.x document, got openapi={version!r}\n{describe(response)}"
    assert isinstance(document.get("info"), dict), describe(response)
