"""Pointed at a backend that serves most calls but drifts from the contract (renamed fields,
DRF's error bodies, a debug 404 page, a planted 500 and a cross-user read), the harness blocks a
case only on what its next step needs, reports every other difference once, and goes on: the
real suites against a stand-in staging backend (`tests/drifting_backend.py`)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

import pytest

from sandbox.app import create_app as create_sandbox
from sandbox.state import SandboxConfig
from tests.drifting_backend import build_app
from tests.stand_in import serving

ROOT = Path(__file__).resolve().parent.parent
SUITES = [
    "suites/auth", "suites/addresses", "suites/catalog",
    # the security cases on addresses and on the profile
    "suites/security/test_customer_cannot_touch_another_customers_address.py",
    "suites/security/test_customer_cannot_see_another_customers_addresses_in_lists.py",
    "suites/security/test_customer_cannot_escalate_privileges_through_profile.py",
]
CUSTOMERS = 12
STAFF = {"email": "ops@staging.laundry.test", "password": "Ops-Staging-Pass-2026"}
LOGIN = "POST /api/accounts/auth/login/"
# calls the drifting backend serves, at the contract's paths
SERVED = {LOGIN, "POST /api/accounts/auth/token/refresh/", "GET /api/accounts/me/",
          "PATCH /api/accounts/me/", "GET /api/accounts/addresses/",
          "POST /api/accounts/addresses/", "GET /api/accounts/addresses/{id}/",
          "PUT /api/accounts/addresses/{id}/", "PATCH /api/accounts/addresses/{id}/",
          "DELETE /api/accounts/addresses/{id}/", "GET /api/services/categories/",
          "GET /api/services/items/", "GET /api/services/items/{id}/"}
# cases that cannot start without registration or an OTP call, which the backend lacks
REGISTRATION_CASES = [
    "suites/auth/test_customer_asks_for_a_new_otp_code.py::"
    "test_a_resent_code_replaces_the_old_one",
    "suites/auth/test_customer_cannot_register_twice_with_one_email_or_phone.py::"
    "test_a_taken_email_or_phone_is_refused_with_one_body",
    "suites/auth/test_customer_cannot_use_an_otp_code_twice.py::test_a_code_works_once",
    "suites/auth/test_customer_mistypes_the_otp_code.py::"
    "test_a_wrong_code_is_refused_and_the_right_one_still_works",
    "suites/auth/test_customer_mistypes_the_otp_code.py::test_five_wrong_tries_kill_the_code",
    "suites/auth/test_customer_registers_and_verifies_phone_by_sms.py::"
    "test_customer_registers_and_verifies_phone_by_sms",
]
# blocked before it registers: the OTP lives longer than the run may wait (a limit of the run)
OTP_EXPIRY_CASE = ("suites/auth/test_customer_waits_too_long_and_the_otp_code_expires.py::"
                   "test_a_code_is_refused_after_its_lifetime")
# cases whose only check on an error is its status: DRF's `{"detail"}` must not fail them
STATUS_ONLY_CASES = [
    "suites/catalog/test_visitor_browses_service_categories.py::test_a_page_past_the_end_is_404",
    "suites/catalog/test_visitor_browses_service_items.py::test_items_past_the_last_page_are_404",
    "suites/catalog/test_visitor_browses_service_items.py::"
    "test_an_item_that_does_not_exist_is_404",
    "suites/auth/test_customer_logs_in_by_email_or_phone.py::"
    "test_unknown_user_and_wrong_password_look_the_same",
]
CROSS_USER_READ = ("suites/security/test_customer_cannot_touch_another_customers_address.py::"
                   "test_customer_cannot_read_another_customers_address")
# the backend serves these right: only its replies' shapes (the login's user, DRF's error
# bodies) differ from the contract, so each must end DEVIATES, whichever pooled account it got
SERVED_RIGHT = [
    "suites/security/test_customer_cannot_touch_another_customers_address.py::"
    "test_customer_cannot_replace_or_edit_another_customers_address",
    "suites/security/test_customer_cannot_touch_another_customers_address.py::"
    "test_customer_cannot_delete_another_customers_address",
    "suites/security/test_customer_cannot_see_another_customers_addresses_in_lists.py::"
    "test_address_list_shows_only_the_callers_rows",
    "suites/auth/test_customer_stays_logged_in_by_refreshing_tokens.py::"
    "test_refresh_rotates_and_the_old_refresh_token_dies",
    *[f"suites/addresses/{case}" for case in (
        "test_customer_chooses_default_address.py::test_a_new_default_address_takes_over",
        "test_customer_chooses_default_address.py::"
        "test_customer_moves_the_default_to_another_address",
        "test_customer_chooses_default_address.py::"
        "test_deleting_the_default_makes_the_newest_remaining_one_default",
        "test_customer_chooses_default_address.py::"
        "test_deleting_the_last_address_leaves_an_empty_book",
        "test_customer_manages_address_book.py::test_first_address_becomes_the_default",
        "test_customer_manages_address_book.py::test_customer_lists_their_addresses",
        "test_customer_manages_address_book.py::test_customer_replaces_an_address",
        "test_customer_manages_address_book.py::test_customer_edits_one_field_of_an_address",
        "test_customer_manages_address_book.py::test_customer_deletes_an_address",
        "test_customer_pages_through_address_book.py::test_customer_pages_through_address_book",
        "test_customer_pages_through_address_book.py::test_a_huge_page_size_is_capped_at_100",
        *[f"test_customer_pages_through_address_book.py::"
          f"test_a_nonsense_page_size_is_handled[{size}]" for size in ("-1", "0", "abc")])],
]
# DRF's validation bodies name the field, at the top instead of under `errors`
VALIDATION_CASES = [
    *[f"suites/addresses/test_customer_enters_an_invalid_address.py::"
      f"test_an_invalid_pincode_is_refused[{why}]"
      for why in ("5-digits", "7-digits", "leading-zero", "letters")],
    "suites/addresses/test_customer_enters_an_invalid_address.py::test_an_unknown_label_is_refused",
    "suites/addresses/test_customer_enters_an_invalid_address.py::"
    "test_a_one_megabyte_address_line_is_refused",
]
BY_PHONE = "suites/auth/test_customer_logs_in_by_email_or_phone.py::" \
    "test_customer_logs_in_by_phone_number"
CATEGORY_FILTER = ("suites/catalog/test_visitor_browses_service_items.py::"
                   "test_category_filter_returns_only_that_categorys_items")


def accounts() -> list[dict]:
    """The staging database's customers, as an operator lists them for the harness."""
    names = ["asha.rao", "vikram.iyer", "meera.nair", "rohan.das", "kavya.menon", "arjun.shah",
             "divya.pillai", "nikhil.joshi", "sneha.kulkarni", "farhan.ali", "ishita.bose",
             "tara.reddy"]
    return [{"email": f"{name}@staging.laundry.test", "phone_number": f"+9198450{n:05d}",
             "password": f"Staging-{name.title()}-{n}!"} for n, name in enumerate(names)]


def cases(junit: Path) -> dict[str, tuple[str, str]]:
    """Each case of the run (as a node id) with its outcome, told as the harness tells them
    (passed, failed, deviated, blocked, skipped), and its message."""
    root = ElementTree.parse(junit).getroot()  # noqa: S314 - our own pytest output
    found = {}
    for case in root.iter("testcase"):
        module = case.get("classname", "").replace(".", "/") + ".py"
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            message = failure.text or failure.get("message", "")
            outcome = "deviated" if message.startswith("DEVIATES") else "failed"
        elif skipped is not None:
            message = skipped.get("message", "") or skipped.text or ""
            outcome = "blocked" if "BLOCKED" in message else "skipped"
        else:
            message, outcome = "", "passed"
        found[f"{module}::{case.get('name')}"] = (outcome, message)
    return found


@pytest.fixture(scope="module")
def drift(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The suites run once against the drifting backend (and the harness's own sandbox)."""
    out = tmp_path_factory.mktemp("drifting") / "out"
    out.mkdir()
    customers = accounts()
    pool = out.parent / "accounts.json"
    pool.write_text(json.dumps(customers))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    sandbox = create_sandbox(SandboxConfig.from_env({}), log_stream=io.StringIO())
    with serving(build_app(customers, STAFF)) as url, serving(sandbox) as sandbox_url:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *SUITES, "-p", "no:xdist", "--base-url", url,
             "--sandbox-url", sandbox_url, "--accounts-file", str(pool),
             "--staff-email", STAFF["email"], "--staff-password", STAFF["password"],
             "--out-dir", str(out), "--junitxml", str(out / "junit.xml")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    findings = json.loads((out / "findings.json").read_text())
    return {"result": result, "output": result.stdout + result.stderr, "out": out,
            "findings": findings, "flows": json.loads((out / "flows.json").read_text()),
            "cases": cases(out / "junit.xml")}


def of(drift: dict, kind: str, call: str | None = None) -> list[dict]:
    return [f for f in drift["findings"] if f["kind"] == kind and call in (None, f["call"])]


def not_deviated(drift: dict, listed: list[str]) -> str:
    """The listed cases that did not end DEVIATES, with how they ended."""
    return "\n\n".join(f"{case}: {drift['cases'][case][0]}\n{drift['cases'][case][1][:1500]}"
                       for case in listed if drift["cases"][case][0] != "deviated")


def test_the_run_is_not_green_and_does_not_crash(drift):
    assert "INTERNALERROR" not in drift["output"], drift["output"][-5000:]
    assert drift["result"].returncode == 1, drift["output"][-5000:]
    for report in ("findings.json", "findings.md", "flows.json", "latency.json",
                   "leftovers.json", "junit.xml"):
        assert (drift["out"] / report).exists(), report


def test_the_flows_go_on_past_the_renamed_fields(drift):
    for flow in ("addresses", "catalog"):
        counts = Counter(drift["flows"][flow])
        ran = sum(counts.values()) - counts["blocked"] - counts["skipped"]
        assert ran > 0, (flow, dict(counts))
    # what the address cases made is listed for the operator who cleans staging afterwards
    made = json.loads((drift["out"] / "leftovers.json").read_text())["created"]
    assert any(row["call"] == "POST /api/accounts/addresses/" for row in made), made[:5]


def test_the_renamed_login_fields_are_one_finding_that_blocks_nothing(drift):
    login = of(drift, "shape", LOGIN)
    assert len(login) == 1, json.dumps(login, indent=1)
    finding = login[0]
    # what the contract names and the reply lacks, and what the reply has instead
    for field in ("full_name", "phone_number", "role", "is_verified"):
        assert field in finding["got"], finding["got"]
    for field in ("first_name", "last_name", "phone", "user_type", "date_joined"):
        assert field in finding["got"], finding["got"]
    # met by many cases, each logging in as one of several accounts, and never a blocker
    assert len(finding["met_by"]) > CUSTOMERS, finding["met_by"]
    assert finding["blocked_tests"] == []
    assert not [f for f in drift["findings"] if f["call"] == LOGIN and f["blocked_tests"]]


def test_the_planted_500_and_the_debug_page_are_defects(drift):
    errors = of(drift, "server_error", "GET /api/services/items/")
    assert errors, [(f["kind"], f["call"]) for f in drift["findings"]]
    assert "500" in errors[0]["got"]
    assert CATEGORY_FILTER in errors[0]["met_by"]
    pages = of(drift, "debug_page")
    assert pages, [(f["kind"], f["call"]) for f in drift["findings"]]
    assert "URL patterns" in pages[0]["got"]
    assert pages[0]["severity"] == "critical"


def test_a_pooled_customer_logs_in_by_the_phone_number_of_the_pool(drift):
    # the backend logs in by email only: the case fails on its 401, having sent the pool's phone
    outcome, message = drift["cases"][BY_PHONE]
    assert outcome == "failed", (outcome, message[:1500])
    assert '"email":null' not in message, message[:1500]
    assert "got 401" in message, message[:1500]


def test_the_cross_user_read_fails_the_security_case(drift):
    outcome, message = drift["cases"][CROSS_USER_READ]
    ownership = [f for f in of(drift, "ownership") if "addresses" in f["call"]]
    assert ownership or outcome == "failed", (outcome, message)
    if not ownership:
        assert "expected status 404, got 200" in message, message
        assert "/api/accounts/addresses/" in message, message


def test_detail_error_bodies_are_noted_not_failures(drift):
    bodies = of(drift, "error_body")
    assert bodies, [(f["kind"], f["call"]) for f in drift["findings"]]
    assert all('"detail"' in f["got"] for f in bodies if f["got"].startswith(("401", "404"))), \
        [f["got"] for f in bodies]
    assert {f["call"] for f in bodies} >= {"GET /api/services/categories/", LOGIN}, \
        [f["call"] for f in bodies]
    for case in STATUS_ONLY_CASES:
        outcome, message = drift["cases"][case]
        # the behaviour held: the case ends DEVIATES (listing the error body), never failed
        assert outcome == "deviated", (case, outcome, message[:2000])
        assert "error_body" in message, message[:2000]


def test_a_served_route_is_never_reported_missing(drift):
    missing = {f["call"] for f in of(drift, "missing")}
    assert "GET /api/services/categories/" not in missing
    assert not missing & SERVED, missing & SERVED


def test_only_calls_truly_needed_block_the_cases(drift):
    missing = {f["call"]: f for f in of(drift, "missing")}
    assert "POST /api/accounts/auth/register/" in missing, missing.keys()
    for call in ("POST /api/accounts/auth/logout/", "POST /api/accounts/forgot-password/"):
        assert missing[call]["blocked_tests"], missing[call]
    # the push token is served at another path: the contract's is missing
    assert "POST /api/accounts/notification-token/" in missing, missing.keys()
    blocked_by = {}
    for finding in drift["findings"]:
        for case in finding["blocked_tests"]:
            blocked_by.setdefault(case, []).append(finding)
    for case in REGISTRATION_CASES:
        assert drift["cases"][case][0] == "blocked", (case, drift["cases"][case])
        assert "missing" in {f["kind"] for f in blocked_by.get(case, [])}, blocked_by.get(case)
    expiry = {f["kind"] for f in blocked_by.get(OTP_EXPIRY_CASE, [])}
    assert drift["cases"][OTP_EXPIRY_CASE][0] == "blocked", drift["cases"][OTP_EXPIRY_CASE]
    assert expiry & {"missing", "limit"}, expiry
    # every blocked case names what blocked it, and nothing is blocked by the login's shape
    for case, (outcome, message) in drift["cases"].items():
        if outcome == "blocked":
            assert blocked_by.get(case), (case, message)
            assert all(f["call"] != LOGIN for f in blocked_by[case]), (case, blocked_by[case])


def test_the_flow_counts_add_up_to_the_junit_cases(drift):
    by_flow: dict[str, Counter] = {}
    for case, (outcome, _) in drift["cases"].items():
        by_flow.setdefault(case.split("/")[1], Counter())[outcome] += 1
    assert set(drift["flows"]) == set(by_flow), (drift["flows"], by_flow)
    for flow, counts in drift["flows"].items():
        assert sum(counts.values()) == sum(by_flow[flow].values()), (flow, counts, by_flow[flow])
        assert Counter(counts) == by_flow[flow], (flow, counts, by_flow[flow])


# --- what a drifting backend must not do to the harness's verdicts ------------------------------

def test_a_case_that_met_a_server_error_fails(drift):
    assert drift["cases"][CATEGORY_FILTER][0] == "failed", drift["cases"][CATEGORY_FILTER]
    assert not of(drift, "html", "GET /api/services/items/"), "the 500 is a server_error only"


def test_what_is_served_right_only_deviates_whichever_pooled_account(drift):
    assert not not_deviated(drift, SERVED_RIGHT), not_deviated(drift, SERVED_RIGHT)


def test_a_validation_error_naming_the_field_only_deviates(drift):
    assert not not_deviated(drift, VALIDATION_CASES), not_deviated(drift, VALIDATION_CASES)


def test_drf_validation_bodies_of_a_call_are_one_finding(drift):
    validation = [f for f in of(drift, "error_body", "POST /api/accounts/addresses/")
                  if f["got"].startswith("400")]
    assert len(validation) == 1, [f["got"] for f in validation]


def test_each_deviation_is_listed_once_in_its_case(drift):
    for case, (outcome, message) in drift["cases"].items():
        if outcome == "deviated":
            listed = [line for line in message.splitlines() if line.startswith("  - ")]
            assert len(listed) == len(set(listed)), (case, listed)


def test_the_reports_carry_no_password_of_the_pool(drift):
    reports = (drift["out"] / "findings.json").read_text() + \
        (drift["out"] / "findings.md").read_text()
    leaked = [a["email"] for a in [*accounts(), STAFF] if a["password"] in reports]
    assert not leaked, leaked
