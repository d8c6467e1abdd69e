"""The contract tier's library: the API coverage figure, the mobile contract's static check and
outcomes, the resource registry, and what the Schemathesis run is configured with."""

import json
import time
from collections import Counter
from types import SimpleNamespace

import httpx
import jwt
import pytest
from schemathesis.core.failures import CustomFailure, FailureGroup, ServerError
from schemathesis.openapi.checks import IgnoredAuth, UndefinedStatusCode

from fixtures.api.base import Absent
from fixtures.contract.checks import CHECKS, NO_4XX, documents_no_4xx, tier_checks
from fixtures.contract.coverage import compute, render, write_coverage
from fixtures.contract.failures import (
    FailureKey,
    Met,
    check_of,
    collect,
    failures_report,
    finding_of_failure,
    ranked,
)
from fixtures.contract.generation import (
    body_reference_keys,
    drop_framing_headers,
    generation_config,
)
from fixtures.contract.identity import TokenSource
from fixtures.contract.makers import Makers, collections, schema_kinds
from fixtures.contract.mobile_contract import combine, load_calls, outcome_of, write_report
from fixtures.contract.mobile_live import BUILDERS, absent_fields, value_at
from fixtures.contract.mobile_static import static_check
from fixtures.contract.pools import Pools
from fixtures.contract.profile import PROFILES, coverage_runs
from fixtures.contract.resources import Kind, action_of, collection_of, kind_of
from fixtures.contract.run import ContractRun
from fixtures.contract.schema import needs_bearer
from fixtures.findings import Blocked, Finding

PAGE = {"type": "object", "properties": {
    "count": {"type": "integer"}, "next": {"type": "string"}, "previous": {"type": "string"},
    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}
DOCUMENT = {
    "openapi": "3.0.3",
    "components": {
        "securitySchemes": {"jwtAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Thing": {"type": "object", "properties": {
                "id": {"type": "string"}, "owner": {"$ref": "#/components/schemas/Person"},
                "data": {"type": "object", "additionalProperties": {}}}},
            "Person": {"type": "object", "properties": {"id": {"type": "string"},
                                                        "name": {"type": "string"}}},
            "ThingRequest": {"type": "object", "properties": {
                "pickup_address": {"type": "string", "format": "uuid"},
                "pickup_date": {"type": "string", "format": "date"},
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "service_item": {"type": "string"}, "quantity": {"type": "integer"}}}},
                "image_ids": {"type": "array", "items": {"type": "string"}}}},
        },
    },
    "paths": {
        "/api/orders/": {
            "get": {"security": [{"jwtAuth": []}], "responses": {
                "200": {"content": {"application/json": {"schema": PAGE}}},
                "401": {}, "4XX": {}}},
            "post": {"security": [{"jwtAuth": []}],
                     "requestBody": {"content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/ThingRequest"}}}},
                     "responses": {"201": {"content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/Thing"}}}}, "400": {}}},
        },
        "/api/orders/history/": {"get": {"security": [{"jwtAuth": []}, {}],
                                                "responses": {"200": {}}}},
        "/api/orders/{order_id}/": {
            "get": {"responses": {"200": {}, "404": {}}},
            "delete": {"responses": {"204": {}, "default": {}}}},
    },
}


def test_framing_headers_of_a_generated_case_are_left_to_the_http_client():
    # a fuzzed `Content-Length: 5B#x` made a request the server's HTTP parser refused (400)
    # before the API saw it
    case = SimpleNamespace(headers={"Content-Length": "5B#x", "X-Fuzz": "t", "HOST": "x",
                                    "Transfer-Encoding": "chunked, x"})
    kept = SimpleNamespace(headers={"X-Fuzz": "t", "Authorization": "Bearer a"})
    unchanged = kept.headers

    drop_framing_headers(None, case)
    drop_framing_headers(None, kept)
    drop_framing_headers(None, SimpleNamespace(headers=None))

    assert case.headers == {"X-Fuzz": "t"}
    assert kept.headers is unchanged  # nothing to drop: the case stays as generated


# --- API coverage -------------------------------------------------------------------------

def test_coverage_counts_each_documented_status_once_whatever_names_the_path():
    counts = Counter({
        ("GET", "/api/orders/", 200, "harness"): 3,
        ("GET", "/api/orders/", 418, "schemathesis"): 1,  # in 4XX
        ("GET", "/api/orders/history/", 200, "harness"): 1,  # not the {order_id} template
        ("GET", "/api/orders/{id}/", 404, "harness"): 1,  # a template of the harness
        ("DELETE", "/api/orders/3f1c/", 500, "schemathesis"): 1,  # `default`
        ("GET", "/_sandbox/sms/", 200, "harness"): 2,
    })

    report = compute(DOCUMENT, counts)

    by_operation = {(op["method"], op["path"]): op for op in report["by_operation"]}
    assert by_operation[("GET", "/api/orders/")]["exercised"] == ["200", "4XX"]
    assert by_operation[("GET", "/api/orders/")]["missing"] == ["401"]
    assert by_operation[("GET", "/api/orders/history/")]["exercised"] == ["200"]
    assert by_operation[("GET", "/api/orders/{order_id}/")]["exercised"] == ["404"]
    assert by_operation[("DELETE", "/api/orders/{order_id}/")]["exercised"] == [
        "default"]
    assert report["pairs"] == 10
    assert report["exercised"] == 5
    assert report["figure"] == 0.5
    assert report["calls_outside_the_schema"] == 2
    assert report["calls_by_source"] == {"harness": 5, "schemathesis": 2}
    assert "50.0%" in render(report)


def keep_run(out_dir, *entries) -> None:
    """An out dir as a run leaves it: the schema it tested and its exchange log."""
    (out_dir / "contract").mkdir(parents=True)
    (out_dir / "contract" / "openapi.json").write_text(json.dumps(DOCUMENT))
    (out_dir / "exchanges").mkdir()
    (out_dir / "exchanges" / "main.jsonl").write_text("".join(
        json.dumps({"method": method, "path": path, "status": status, "source": "harness"})
        + "\n" for method, path, status in entries))


def test_coverage_counts_the_exchanges_of_an_earlier_run_it_is_given(tmp_path):
    suites, contracts = tmp_path / "suites", tmp_path / "contracts"
    keep_run(suites, ("GET", "/api/orders/", 418), ("GET", "/api/orders/", 418))
    keep_run(contracts, ("GET", "/api/orders/", 200))

    alone = write_coverage(contracts)
    both = write_coverage(contracts, also=[suites])

    assert alone["exercised"] == 1
    assert both["exercised"] == 2
    assert both["calls_by_run"] == {str(contracts): 1, str(suites): 2}
    assert str(suites) in (contracts / "contract" / "coverage.md").read_text()


class GivenOptions:
    def __init__(self, *coverage_with: str):
        self.coverage_with = list(coverage_with)

    def getoption(self, name: str) -> list[str]:
        assert name == "lc_coverage_with"
        return self.coverage_with


def test_coverage_with_a_folder_that_kept_no_run_is_refused_before_the_run(tmp_path):
    keep_run(tmp_path / "suites")

    assert coverage_runs(GivenOptions(str(tmp_path / "suites"))) == [tmp_path / "suites"]
    with pytest.raises(pytest.UsageError, match=r"no exchange log under .*typo"):
        coverage_runs(GivenOptions(str(tmp_path / "suites"), str(tmp_path / "typo")))


# --- the mobile contract ---------------------------------------------------------------------

def call(**overrides):
    return {"id": "x", "domain": "Orders", "method": "GET", "path": "/api/orders/",
            "auth": True, "status": 200} | overrides


def test_the_list_of_calls_is_well_formed_and_every_builder_names_a_call():
    calls = load_calls()
    ids = {entry["id"] for entry in calls}
    assert set(BUILDERS) <= ids, set(BUILDERS) - ids
    assert {entry["domain"] for entry in calls} == {
        "Accounts", "Services", "Orders", "Image upload / mobile", "Payments",
        "Notifications", "Chat"}


@pytest.mark.parametrize(("entry", "outcome", "detail"), [
    (call(response=["count", "results[].id", "results[].owner.name", "results[].data.x"]),
     "served", ""),
    (call(path="/api/orders/{id}/", status=404), "served", ""),
    (call(path="/api/payments/"), "missing", "no GET /api/payments/"),
    (call(status=204), "wrong shape", "status 204 is not documented"),
    (call(response=["results[].colour"]), "wrong shape", "results[].colour"),
    (call(method="POST", status=201, request=["pickup_address", "tip"]), "wrong shape",
     "request fields not declared: tip"),
    (call(method="POST", status=201, request=["items"], multipart=True), "wrong shape",
     "not multipart/form-data"),
    (call(query=["status"]), "wrong shape", "query parameters not declared: status"),
])
def test_the_static_check_names_what_the_openapi_lacks(entry, outcome, detail):
    got, why = static_check(DOCUMENT, entry)

    assert got == outcome, why
    assert detail in why


def test_without_an_openapi_every_call_is_missing_statically():
    assert static_check(None, call())[0] == "missing"


def test_reply_fields_are_read_as_the_app_reads_them():
    body = {"user": {"id": 1}, "results": [{"id": 1, "partner": None}, {"id": 2}],
            "empty": [], "partner": None}

    absent, unchecked = absent_fields(body, ["user.id", "results[].id", "results[].seq",
                                             "empty[].id", "partner.name", "tokens.access"])

    assert absent == ["results[].seq", "tokens.access"]
    assert unchecked == ["empty[].id"]
    assert value_at({"a": [{"b": 7}]}, "a[0].b") == 7
    with pytest.raises(KeyError):
        value_at({"a": []}, "a[0].b")


@pytest.mark.parametrize(("static", "live", "outcome"), [
    (("served", ""), ("served", "", 200), "served"),
    (("served", ""), ("blocked", "needs order_id", None), "blocked"),
    (("missing", "no GET"), ("server error", "500", 500), "server error"),
    (("missing", "no GET"), ("missing", "404 HTML", 404), "missing"),
    (("missing", "no GET"), ("served", "", 200), "wrong shape"),
    (("missing", "no GET"), ("wrong shape", "lacks id", 200), "wrong shape"),
    (("served", ""), ("missing", "404 HTML", 404), "missing"),
    (("wrong shape", "lacks x"), ("served", "", 200), "wrong shape"),
    (("served", ""), ("wrong shape", "400", 400), "wrong shape"),
])
def test_the_outcome_that_counts(static, live, outcome):
    assert combine(static, live)[0] == outcome


# --- resources and what Schemathesis is given --------------------------------------------------

def test_an_operation_is_about_the_kind_its_id_lives_under():
    path = "/api/orders/{order_id}/cancel/"
    assert collection_of(path) == "/api/orders/"
    assert action_of(path) == "cancel"
    assert kind_of(path).name == "order"
    assert kind_of("/api/mobile/images/{image_id}/").name == "image"
    assert kind_of("/api/unknown/things/{thing_id}/") is None
    assert collection_of("/api/orders/") is None


def test_only_operations_that_require_a_token_get_one():
    paths = DOCUMENT["paths"]
    assert needs_bearer(DOCUMENT, paths["/api/orders/"]["get"])
    assert not needs_bearer(DOCUMENT, paths["/api/orders/history/"]["get"])
    assert not needs_bearer(DOCUMENT, paths["/api/orders/{order_id}/"]["get"])


def test_generated_ids_and_references_are_bound_to_the_pools():
    operation = DOCUMENT["paths"]["/api/orders/"]["post"]
    assert body_reference_keys(DOCUMENT, operation, ("service_item", "image_ids")) == [
        "body.image_ids[*]", "body.items[*].service_item"]

    pools = Pools(ids={"order": ["o1"], "address": ["a1"], "service item": ["s1"]},
                  doomed={"order": ["o9"]})
    dictionaries, parameters, bindings = generation_config(DOCUMENT, pools)

    assert dictionaries["order to delete"] == {"values": ["o9"]}
    assert parameters["path.order_id"]["dictionary"] == "order"
    assert parameters["body.pickup_address"]["dictionary"] == "address"
    assert parameters["body.items[*].service_item"]["dictionary"] == "service item"
    assert parameters["body.pickup_date"]["dictionary"] == "future_dates"
    assert "body.image_ids[*]" not in parameters  # no pool of images was made
    assert bindings == [{"include-method": "DELETE", "parameters": {
        "path.order_id": {"dictionary": "order to delete", "probability": 0.5}}}]


def test_a_token_close_to_its_end_is_refreshed_and_a_dead_refresh_logs_in_again():
    class Accounts:
        def __init__(self):
            self.calls = []

        def refresh(self, refresh):
            self.calls.append("refresh")
            raise AssertionError("refresh token is dead")

        def login(self, email, password):
            self.calls.append("login")
            return {"access": token(3600), "refresh": "r2"}

    class Caller:
        def __init__(self):
            self.access, self.refresh = token(30), "r1"
            self.email, self.password, self.accounts = "a@b.c", "pw", Accounts()

        def use_tokens(self, access, refresh):
            self.access, self.refresh = access, refresh

    def token(seconds):
        return jwt.encode({"exp": int(time.time()) + seconds}, "k" * 32, algorithm="HS256")

    caller = Caller()
    source = TokenSource(caller)

    fresh = source.access()

    assert caller.accounts.calls == ["refresh", "login"]
    assert fresh == caller.access
    assert TokenSource.seconds_left(fresh) > 3000
    assert caller.refresh == "r2"
    assert source.access() == fresh  # far from its end: kept
    assert caller.accounts.calls == ["refresh", "login"]


def test_the_ci_budget_is_shared_out_among_the_operations_still_to_come():
    state = ContractRun(PROFILES["ci"], operations=4)
    state.started -= PROFILES["ci"].time_budget / 2  # half the budget already spent

    assert not state.over_allowance("GET /a")
    assert state.allowance["GET /a"] == pytest.approx(PROFILES["ci"].time_budget / 8, rel=0.01)
    state.first_case["GET /a"] -= state.allowance["GET /a"] + 1
    state.sent["GET /a"] = PROFILES["ci"].sent_after_budget
    assert state.over_allowance("GET /a")
    assert PROFILES["deep"].time_budget is None
    state.session.close()


# --- every distinct failure of an operation, ranked ------------------------------------------

LABEL = "GET /api/orders/{order_id}/"


def server_error(status=500):
    return ServerError(operation=LABEL, status_code=status)


def undocumented(status=418):
    return UndefinedStatusCode(operation=LABEL, status_code=status, defined_status_codes=["200"],
                               allowed_status_codes=[200], message=f"{status} is not documented")


def ignored_auth():
    return IgnoredAuth(operation=LABEL, message="no token, 200", scenario=None)


def retry_after():
    return CustomFailure(operation=LABEL,
                         title="Custom check failed: `throttled_reply_names_retry_after`",
                         message="429 without Retry-After", exception=AssertionError())


def test_a_failure_names_the_check_it_comes_from():
    assert check_of(server_error()) == "not_a_server_error"
    assert check_of(undocumented()) == "status_code_conformance"
    assert check_of(retry_after()) == "throttled_reply_names_retry_after"


def test_failures_met_again_are_counted_once_with_their_first_case():
    failures: dict = {}

    first = collect(failures, FailureGroup([server_error(), undocumented()]), 500, "case 1")
    again = collect(failures, FailureGroup([server_error()]), 500, "case 2")
    other_status = collect(failures, server_error(502), 502, "case 3")

    assert first == [FailureKey("not_a_server_error", 500, "Server error"),
                     FailureKey("status_code_conformance", 500, "Undocumented status code")]
    assert again == []  # the same check, status and title: not a new failure
    assert other_status == [FailureKey("not_a_server_error", 502, "Server error")]
    assert failures[FailureKey("not_a_server_error", 500, "Server error")] == Met("case 1", 2)
    assert len(failures) == 3


def test_a_failure_without_the_reply_s_status_takes_its_own():
    failures: dict = {}

    collect(failures, undocumented(404), None, "case")

    assert list(failures) == [FailureKey("status_code_conformance", 404,
                                         "Undocumented status code")]


def test_server_errors_come_first_then_authentication_then_conformance_then_the_rest():
    failures: dict = {}
    for failure, status in ((retry_after(), 429), (undocumented(), 418), (ignored_auth(), 200),
                            (server_error(), 500)):
        collect(failures, failure, status, "case")

    order = [key.check for key, _met in ranked(failures)]

    assert order == ["not_a_server_error", "ignored_auth", "status_code_conformance",
                     "throttled_reply_names_retry_after"]
    assert next(iter(failures)).check == "throttled_reply_names_retry_after"  # as they came


def test_an_operation_s_report_lists_every_distinct_failure_ranked_with_one_case_of_each():
    failures: dict = {}
    collect(failures, undocumented(), 418, "curl -X GET http://t/api/orders/1/  # 418")
    collect(failures, server_error(), 500, "curl -X GET http://t/api/orders/2/  # 500")
    collect(failures, server_error(), 500, "curl -X GET http://t/api/orders/3/  # 500")

    report = failures_report(LABEL, failures)

    assert report.startswith(f"{LABEL}: 2 distinct failures")
    assert report.index("1. [not_a_server_error] 500: Server error (2 cases)") < \
        report.index("2. [status_code_conformance] 418: Undocumented status code (1 case)")
    assert "orders/2/" in report
    assert "orders/3/" not in report  # one case of each


def test_each_distinct_failure_is_a_finding_of_its_kind():
    server = finding_of_failure(LABEL, FailureKey("not_a_server_error", 500, "Server error"),
                                "curl")
    auth = finding_of_failure(LABEL, FailureKey("ignored_auth", 200, "API accepts requests"),
                              "curl")
    unknown = finding_of_failure(LABEL, FailureKey("some_new_check", 200, "t"), "curl")

    assert (server.kind, server.call, server.got) == ("server_error", LABEL, "500: Server error")
    assert auth.kind == "ownership"
    assert unknown is None


def test_the_operation_s_subtest_ends_with_its_failures_and_only_its_own():
    state = ContractRun(PROFILES["ci"])
    state.failures[LABEL] = {}
    collect(state.failures[LABEL], server_error(), 500, "case")

    state.end_operation("GET /api/orders/")  # nothing failed there
    with pytest.raises(AssertionError, match=r"1\. \[not_a_server_error\] 500"):
        state.end_operation(LABEL)
    state.session.close()


# --- a schema that documents no 4xx ----------------------------------------------------------

def without_4xx(document: dict) -> dict:
    """`document` with every 4xx response taken out (what a schema generated without its
    error replies documents)."""
    stripped = json.loads(json.dumps(document))
    for item in stripped["paths"].values():
        for operation in item.values():
            operation["responses"] = {status: reply for status, reply in
                                      operation["responses"].items() if not status.startswith("4")}
    return stripped


def test_a_schema_without_any_4xx_is_one_finding_and_leaves_out_the_status_check():
    bare = without_4xx(DOCUMENT)

    assert documents_no_4xx(bare)
    assert "status_code_conformance" not in tier_checks(bare)
    assert set(tier_checks(bare)) == set(CHECKS) - {"status_code_conformance"}
    assert (NO_4XX.kind, NO_4XX.call, NO_4XX.got) == (
        "schema", "GET /api/schema/", "no operation documents a 4xx")


def test_a_schema_that_documents_a_4xx_somewhere_keeps_every_check():
    one_404 = without_4xx(DOCUMENT)
    one_404["paths"]["/api/orders/{order_id}/"]["get"]["responses"]["404"] = {}
    only_a_range = without_4xx(DOCUMENT)
    only_a_range["paths"]["/api/orders/"]["get"]["responses"]["4XX"] = {}

    assert not documents_no_4xx(DOCUMENT)
    assert tier_checks(DOCUMENT) == CHECKS
    assert not documents_no_4xx(one_404)
    assert not documents_no_4xx(only_a_range)
    assert not documents_no_4xx({"paths": {}})  # no operation: nothing to say


# --- the ownership matrix's kinds ------------------------------------------------------------

def test_the_matrix_covers_the_schema_s_own_collections_beside_the_registry_s():
    document = json.loads(json.dumps(DOCUMENT))
    document["paths"]["/api/bags/"] = {"post": {"responses": {"201": {}}}}
    document["paths"]["/api/bags/{bag_id}/"] = {"get": {"responses": {"200": {}}}}
    document["paths"]["/api/lockers/{locker_id}/"] = {"get": {"responses": {"200": {}}}}

    names = {kind.prefix: kind.name for kind in schema_kinds(document)}

    assert collections(document) == {"/api/orders/", "/api/bags/"}
    assert names["/api/orders/"] == "order"  # the registry's kind, with its maker
    assert names["/api/bags/"] == "bags (from the OpenAPI)"
    assert "/api/lockers/" not in names  # no POST to make one with


BAGS = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
    "/api/bags/": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "required": ["size"], "properties": {
                "size": {"type": "string", "enum": ["small", "large"]}}}}}},
        "responses": {"201": {}}}},
    "/api/bags/{bag_id}/": {"get": {"responses": {"200": {}}}},
}}


class Target:
    """Answers the matrix's calls with the replies it is given, in turn, and keeps what it
    was sent."""

    def __init__(self, *replies):
        self.replies, self.sent = list(replies), []
        self.session = self

    def request(self, call, **kwargs):
        self.sent.append((str(call), kwargs.get("json")))
        status, body = self.replies.pop(0) if self.replies else (400, {"detail": "no"})
        return httpx.Response(status, json=body, request=httpx.Request(call.method, "http://t"))


def shop_of(target):
    return SimpleNamespace(caller=target)


def test_a_kind_whose_maker_fails_on_the_target_s_shapes_is_made_from_an_example():
    def maker(_shop):
        raise Absent(Finding("shape", "POST /api/bags/", "`id` in the reply", "absent"))

    bags = Kind("bag", "/api/bags/", maker)
    target = Target((201, {"id": 7, "size": "small"}))
    makers = Makers(BAGS)

    made = makers.make(bags, shop_of(target))

    assert made["id"] == 7
    assert target.sent[0][0] == "POST /api/bags/"
    assert target.sent[0][1]["size"] in ("small", "large")  # valid by the schema
    assert "absent" in makers.failed["bag"]


def test_a_kind_made_neither_way_blocks_its_cases_with_one_finding_naming_it():
    def maker(_shop):
        raise Absent(Finding("shape", "POST /api/bags/", "`id` in the reply", "absent"))

    bags = Kind("bag", "/api/bags/", maker)
    target = Target()  # refuses every example
    makers = Makers(BAGS)

    with pytest.raises(Blocked) as first:
        makers.make(bags, shop_of(target))
    sent = len(target.sent)
    with pytest.raises(Blocked) as again:
        makers.make(bags, shop_of(target))

    assert first.value.finding == again.value.finding  # one finding, however many cases
    assert (first.value.finding.kind, first.value.finding.call) == ("precondition",
                                                                     "POST /api/bags/")
    assert "no bag could be made" in first.value.finding.got
    assert "answered 400" in first.value.finding.got
    assert len(target.sent) == sent  # not tried again


def test_an_opaque_token_is_used_as_it_is():
    class Caller:
        access, refresh = "opaque-token", None

    assert TokenSource(Caller()).access() == "opaque-token"


# --- the mobile contract's table -------------------------------------------------------------

def test_a_blocked_row_still_says_in_full_what_the_static_check_found(tmp_path):
    entry = call(response=["results[].colour", "results[].size", "results[].owner.name.first"])
    static = static_check(DOCUMENT, entry)

    blocked = outcome_of(entry, static, ("blocked", "needs order_id\nfrom an earlier call", None))
    served = outcome_of(call(), static_check(DOCUMENT, call()), ("served", "", 200))
    text = write_report(tmp_path, [blocked, served])

    assert blocked.outcome == "blocked"
    assert blocked.static_detail == static[1]
    assert "results[].colour, results[].size are not declared (results[] has: data, id, " \
        "owner)" in static[1]
    assert "results[].owner.name is declared string, not an object with first" in static[1]
    assert static[1] in text  # whole, not its first line
    assert "needs order_id\nfrom an earlier call" in text  # the live detail below the table
    assert served.static_detail == ""
    report = json.loads((tmp_path / "mobile-contract.json").read_text())
    assert report["results"][0]["static_detail"] == static[1]

