"""The load gate's maths and verdicts (load/gate.py): Wilson intervals against published values,
percentiles from Locust's histograms, rates that need both a sample and a lower bound, and the
table that names every breach. Pure functions: nothing here imports Locust."""

import json
import re
import tomllib

import pytest

from load import gate
from load.gate import Endpoint
from load.reporting import write_json
from load.slo import JOURNEY, SloError, slo_load, slo_parse

# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3
# (Wilson score interval without continuity correction), 95 %.
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("successes", "total", "lower", "upper"), NEWCOMBE)
def test_wilson_interval_matches_published_values(successes, total, lower, upper):
    got = gate.wilson_interval(successes, total, 0.95)
    assert got == pytest.approx((lower, upper), abs=5e-5)


def test_wilson_lower_bound_of_a_flawless_sample_is_n_over_n_plus_z_squared():
    z = gate.z_score(0.95)
    assert z == pytest.approx(1.959964, abs=1e-6)
    for total in (10, 73, 189, 1000):
        assert gate.wilson_interval(total, total)[0] == pytest.approx(total / (total + z * z))


@pytest.mark.parametrize(("total", "threshold", "clears"), [
    (72, 0.95, False), (73, 0.95, True), (188, 0.98, False), (189, 0.98, True)])
def test_smallest_flawless_sample_that_clears_a_threshold(total, threshold, clears):
    # the numbers slo.toml quotes: 73 journeys clear 95 %, 189 clear 98 %
    assert (gate.wilson_interval(total, total)[0] > threshold) is clears


def test_wilson_interval_of_nothing_is_everything_and_bad_counts_are_refused():
    assert gate.wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="between 0 and total"):
        gate.wilson_interval(5, 4)
    with pytest.raises(ValueError, match="between 0 and 1"):
        gate.z_score(1.5)


def test_percentile_is_nearest_rank_over_the_histogram():
    histogram = {100: 95, 1000: 5}
    assert gate.percentile(histogram, 0.95) == 100
    assert gate.percentile(histogram, 0.96) == 1000
    assert gate.percentile(histogram, 0.99) == 1000
    assert gate.percentile({}, 0.95) is None
    assert gate.percentile({7: 1}, 0.5) == 7


@pytest.mark.parametrize(("error", "reason"), [
    ("CatchResponseError('expected 201, got 502 gateway_unavailable')",
     "expected 201, got 502 gateway_unavailable"),
    ('JourneyFailed("checkout declined: payment_declined")', "checkout declined: payment_declined"),
    ("ConnectionRefusedError(111, 'Connection refused')",
     "ConnectionRefusedError(111, 'Connection refused')"),
])
def test_failure_reasons_lose_the_exception_wrapper(error, reason):
    assert gate.error_reason(error) == reason


def test_histograms_merge_by_value():
    assert gate.histogram_merge([{10: 1, 20: 2}, {20: 3, 30: 1}]) == {10: 1, 20: 5, 30: 1}


# --- verdicts ----------------------------------------------------------------------------------

SLO_TEXT = """
confidence = 0.95
[api]
prefix = "/api/"
average_ms = 500
[rates.upload]
title = "image upload success"
journeys = ["upload"]
threshold = 0.95
min_journeys = 100
[rates.payment]
title = "payment success"
journeys = ["payment online", "wallet top-up"]
threshold = 0.98
min_journeys = 200
[groups.orders]
prefixes = ["/api/orders/"]
p95_ms = 800
p99_ms = 1500
[groups.catalog]
prefixes = ["/api/services/"]
p95_ms = 300
[groups.sockets]
request_types = ["WS"]
prefixes = ["/ws/"]
p95_ms = 1000
[groups.gateway]
prefixes = ["/_sandbox/"]
"""


@pytest.fixture
def slo():
    return slo_parse(tomllib.loads(SLO_TEXT))


def journey(name, total, failures, reasons=None):
    return Endpoint(JOURNEY, name, total, failures, total * 900.0, {900: total},
                    reasons or {})


def api(name, requests, histogram, *, failures=0, method="GET", reasons=None):
    total_ms = sum(value * count for value, count in histogram.items())
    return Endpoint(method, name, requests, failures, float(total_ms), histogram, reasons or {})


def healthy_run():
    return [
        journey("upload", 400, 2, {"thumbnail not served: 404": 2}),
        journey("payment online", 300, 0),
        journey("wallet top-up", 100, 0),
        api("/api/orders/", 1000, {80: 900, 400: 80, 1200: 20}),
        api("/api/services/categories/", 2000, {20: 1990, 250: 10}),
        api("/ws/chat/{room_id}/ chat_message", 500, {30: 500}, method="WS"),
        api("/_sandbox/checkout/", 400, {15: 400}, method="POST"),
    ]


def by_name(verdict, name):
    return next(check for check in verdict.checks if check.name == name)


def test_a_healthy_run_passes_every_check(slo):
    verdict = gate.evaluate(slo, healthy_run())
    assert verdict.passed, gate.render(verdict)
    payment = by_name(verdict, "payment success")
    assert payment.values["total"] == 400
    assert payment.values["successes"] == 400
    assert payment.interval == "[99.0, 100.0] %"
    upload = by_name(verdict, "image upload success")
    assert upload.passed is True
    assert "2 x thumbnail not served: 404" in upload.note
    assert by_name(verdict, "p95 orders").measured == "400 ms"
    assert by_name(verdict, "p99 orders").measured == "1200 ms"
    # the checkout page and the sockets are not API calls: they do not move the API average
    average = by_name(verdict, "API average response")
    assert average.values["requests"] == 3000
    assert by_name(verdict, "p95 gateway").passed is None


def test_five_percent_declined_payments_fail_the_payment_rate(slo):
    run = healthy_run()
    run[1] = journey("payment online", 300, 20, {"checkout declined: payment_failed": 20})
    verdict = gate.evaluate(slo, run)
    assert not verdict.passed
    payment = by_name(verdict, "payment success")
    assert payment.passed is False
    assert payment.measured == "95.0 % (380/400)"
    assert payment.note.startswith("lower bound 92.4 % <= 98.0 %")
    assert "20 x checkout declined" in payment.note
    assert [check.name for check in verdict.breaches] == ["payment success"]


def test_a_flawless_but_small_sample_does_not_pass(slo):
    run = healthy_run()
    run[1] = journey("payment online", 50, 0)
    run[2] = journey("wallet top-up", 50, 0)
    payment = by_name(gate.evaluate(slo, run), "payment success")
    assert payment.passed is False
    # 100 flawless journeys: the interval's lower bound (96.3 %) is short of 98 % too
    assert payment.note == "lower bound 96.3 % <= 98.0 %; too few journeys: 100 < 200"


def test_a_group_with_too_few_requests_is_reported_but_not_judged():
    slo = slo_parse(tomllib.loads(SLO_TEXT + "[latency]\nmin_requests = 50\n"))
    run = healthy_run()
    run[3] = api("/api/orders/", 10, {80: 9, 2500: 1})
    verdict = gate.evaluate(slo, run)
    p95 = by_name(verdict, "p95 orders")
    assert p95.measured == "2500 ms"
    assert p95.passed is None
    assert p95.note == "not judged: 10 < 50 requests"
    assert verdict.passed


def test_a_sample_below_the_minimum_fails_even_when_its_interval_clears(slo):
    run = healthy_run()
    run[0] = journey("upload", 90, 0)
    upload = by_name(gate.evaluate(slo, run), "image upload success")
    assert upload.values["lower"] > 0.95
    assert upload.passed is False
    assert upload.note == "too few journeys: 90 < 100"


def test_one_blip_in_a_large_sample_still_passes(slo):
    run = healthy_run()
    run[1] = journey("payment online", 2000, 1, {"verify answered 502": 1})
    payment = by_name(gate.evaluate(slo, run), "payment success")
    assert payment.passed is True


def test_a_rate_without_journeys_fails_and_says_so(slo):
    run = [endpoint for endpoint in healthy_run() if endpoint.name != "upload"]
    upload = by_name(gate.evaluate(slo, run), "image upload success")
    assert upload.passed is False
    assert upload.note == ("none of upload was completed: no request failed: the run may have "
                           "ended before any journey did")


def test_slow_groups_and_a_slow_api_average_are_breaches(slo):
    run = healthy_run()
    run[3] = api("/api/orders/{id}/", 100, {300: 50, 900: 46, 2000: 4})
    run[4] = api("/api/services/categories/", 100, {700: 100}, failures=3)
    verdict = gate.evaluate(slo, run)
    names = [check.name for check in verdict.breaches]
    # the 3 failures of these 200 API requests are an error rate of 1.5 % on too few requests
    assert names == ["API error rate", "API average response", "p95 orders", "p99 orders",
                     "p95 catalog"]
    assert by_name(verdict, "average catalog").note == "3 failed"
    assert by_name(verdict, "API average response").measured == "672 ms"


def test_the_table_names_the_verdict_and_every_breach(slo):
    run = healthy_run()
    run[1] = journey("payment online", 300, 20, {"checkout declined: payment_failed": 20})
    text = gate.render(gate.evaluate(slo, run))
    lines = text.splitlines()
    assert lines[0] == "SLO gate: FAIL (1 breach)"
    assert lines[1].split() == ["check", "threshold", "measured", "95%", "Wilson", "n", "result",
                                "why"]
    row = next(line for line in lines if line.startswith("payment success"))
    assert "> 98.0 %" in row
    assert "95.0 % (380/400)" in row
    assert "FAIL" in row
    assert lines[-1].startswith("BREACH: payment success 95.0 % (380/400) (threshold > 98.0 %)")
    assert gate.render(gate.evaluate(slo, healthy_run())).startswith("SLO gate: PASS\n")


def test_the_report_is_json_with_every_check(slo, tmp_path):
    verdict = gate.evaluate(slo, healthy_run())
    path = tmp_path / "out" / "gate.json"
    write_json(path, gate.report(verdict, slo, settings={"users": 40}))
    data = json.loads(path.read_text())
    assert data["passed"] is True
    assert data["breaches"] == []
    assert data["settings"] == {"users": 40}
    assert {check["result"] for check in data["checks"]} == {"pass", "info"}


# --- why a run failed: the requests that failed, the error rate, latency of failures ----------

CONFIG_401 = "expected 200, got 401 Authentication credentials were not provided."
ITEMS_404 = "expected 200, got 404 text/html: Not Found"
LOGIN_401 = "expected 200, got 401 no_active_account"


def staging_run():
    """What a run against a backend that is not the reference looked like: the anonymous config
    call answered 401 and the items path 404; nobody completed a journey, and the failed
    requests, answered in a few ms, made the average look fast."""
    return [
        api("/api/accounts/auth/login/", 32, {300: 32}, method="POST"),
        api("/api/mobile/config/", 900, {6: 900}, failures=900, reasons={CONFIG_401: 900}),
        api("/api/services/items/", 700, {5: 700}, failures=700, reasons={ITEMS_404: 700}),
        api("/api/services/items/{id}/", 300, {5: 300}, failures=290,
            reasons={ITEMS_404: 280, "expected 200, got 500": 10}),
        api("/api/mobile/dashboard/", 60, {20: 60}),
        api("/_sandbox/checkout/", 5, {15: 5}, failures=5, method="POST",
            reasons={"checkout declined: payment_declined": 5}),
    ]


def test_the_requests_that_failed_most_are_named_in_the_table_and_the_report(slo, tmp_path):
    verdict = gate.evaluate(slo, staging_run())

    failing = [check for check in verdict.checks if check.kind == "failing"]
    assert [check.name for check in failing] == [
        "failing: GET /api/mobile/config/", "failing: GET /api/services/items/",
        "failing: GET /api/services/items/{id}/", "failing: POST /_sandbox/checkout/"]
    config = failing[0]
    assert config.passed is None  # information: the objectives fail the run, not this list
    assert config.measured == "900/900 failed"
    assert config.note == f"900 x {CONFIG_401}"
    assert config.values | {"errors": None} == {
        "method": "GET", "name": "/api/mobile/config/", "failures": 900, "requests": 900,
        "error": CONFIG_401, "error_count": 900, "errors": None}
    assert failing[2].note == f"280 x {ITEMS_404} (+1 other error)"

    text = gate.render(verdict)
    row = next(line for line in text.splitlines() if line.startswith("failing: GET /api/mobile"))
    assert "900/900 failed" in row
    assert CONFIG_401 in row

    path = tmp_path / "gate.json"
    write_json(path, gate.report(verdict, slo))
    data = json.loads(path.read_text())
    assert [(row["method"], row["name"], row["failures"], row["error"])
            for row in data["failing_requests"]][:2] == [
        ("GET", "/api/mobile/config/", 900, CONFIG_401),
        ("GET", "/api/services/items/", 700, ITEMS_404)]
    # the runner prints the table again from gate.json: the rows survive the round trip
    assert gate.render(gate.verdict_of_report(data)).splitlines()[1:] == text.splitlines()[1:]


def test_the_failing_list_is_limited_and_a_healthy_run_has_none(slo):
    run = healthy_run() + [api(f"/api/thing{index}/", 10, {5: 10}, failures=index + 1,
                               reasons={"expected 200, got 503": index + 1})
                           for index in range(8)]
    failing = [check for check in gate.evaluate(slo, run).checks if check.kind == "failing"]
    assert [check.values["failures"] for check in failing] == [8, 7, 6, 5, 4]
    # positive control
    verdict = gate.evaluate(slo, healthy_run())
    assert verdict.failing_requests == []
    assert not any(line.startswith("failing:") for line in gate.render(verdict).splitlines())


def test_a_run_without_journeys_says_which_calls_failed(slo):
    verdict = gate.evaluate(slo, staging_run())
    upload = by_name(verdict, "image upload success")
    assert upload.passed is False
    assert upload.note == (
        "none of upload was completed: failing: GET /api/mobile/config/ 900/900 failed, "
        "GET /api/services/items/ 700/700 failed, GET /api/services/items/{id}/ 290/300 failed")
    assert by_name(verdict, "payment success").note.startswith(
        "none of payment online, wallet top-up was completed: failing: GET /api/mobile/config/")
    # positive control: a rate that has journeys says nothing of the sort
    assert "none of" not in by_name(gate.evaluate(slo, healthy_run()), "payment success").note


def test_a_run_whose_users_could_not_log_in_says_so(slo):
    run = [api("/api/accounts/auth/login/", 32, {40: 32}, method="POST", failures=32,
               reasons={LOGIN_401: 32}),
           api("/api/services/categories/", 80, {20: 80})]
    upload = by_name(gate.evaluate(slo, run), "image upload success")
    assert upload.note == ("none of upload was completed: login: POST /api/accounts/auth/login/ "
                           f"32/32 failed ({LOGIN_401})")
    # no request at all: nobody got going
    assert by_name(gate.evaluate(slo, []), "image upload success").note.endswith(
        "no request was made at all: no user got going (see Locust's log)")


def test_an_api_error_rate_above_its_limit_fails_the_gate(slo):
    run = healthy_run()
    run[4] = api("/api/services/categories/", 2000, {20: 1990, 250: 10}, failures=60,
                 reasons={"expected 200, got 503": 60})
    verdict = gate.evaluate(slo, run)
    errors = by_name(verdict, "API error rate")
    assert errors.passed is False
    assert errors.threshold == "< 1.0 %"
    assert errors.measured == "2.0 % (60/3000)"
    assert errors.note == ("upper bound 2.6 % >= 1.0 %; "
                           "most: 60 x GET /api/services/categories/")
    assert [check.name for check in verdict.breaches] == ["API error rate"]
    # positive control: the healthy run's error rate passes, its interval shown as the rates'
    healthy = by_name(gate.evaluate(slo, healthy_run()), "API error rate")
    assert healthy.passed is True
    assert healthy.measured == "0.0 % (0/3000)"
    assert healthy.interval == "[0.0, 0.1] %"
    assert healthy.note == ""


def test_a_few_failures_in_many_requests_keep_the_error_rate(slo):
    run = healthy_run()
    run[4] = api("/api/services/categories/", 2000, {20: 2000}, failures=5)
    errors = by_name(gate.evaluate(slo, run), "API error rate")
    assert errors.values["upper"] < 0.01
    assert errors.passed is True


def test_the_error_rate_is_judged_only_on_enough_requests(slo):
    run = [*healthy_run()[:3], api("/api/orders/{id}/", 300, {80: 300})]
    errors = by_name(gate.evaluate(slo, run), "API error rate")
    # flawless, but 300 requests cannot show an error rate below 1 %
    assert errors.passed is False
    assert errors.note == "upper bound 1.3 % >= 1.0 %; too few requests: 300 < 400"
    # positive control: 400 flawless requests clear it
    run[3] = api("/api/orders/{id}/", 400, {80: 400})
    assert by_name(gate.evaluate(slo, run), "API error rate").passed is True


def test_the_error_rate_objective_is_read_from_the_slo_file():
    slo = slo_parse(tomllib.loads(
        SLO_TEXT.replace("average_ms = 500\n", "average_ms = 500\nmax_error_rate = 0.05\n"
                         "error_min_requests = 100\n", 1)))
    assert (slo.api_max_error_rate, slo.api_error_min_requests) == (0.05, 100)
    run = healthy_run()
    run[4] = api("/api/services/categories/", 2000, {20: 2000}, failures=60)
    assert by_name(gate.evaluate(slo, run), "API error rate").passed is True
    too_high = SLO_TEXT.replace("average_ms = 500\n", "average_ms = 500\nmax_error_rate = 1.5\n")
    with pytest.raises(SloError, match=re.escape("`max_error_rate` must be from 0 to 1")):
        slo_parse(tomllib.loads(too_high))
    shipped = slo_load()
    assert (shipped.api_max_error_rate, shipped.api_error_min_requests) == (0.01, 400)
    assert shipped.latency_max_failed_share == 0.5


def test_latency_is_not_judged_when_most_requests_failed(slo):
    verdict = gate.evaluate(slo, staging_run())
    average = by_name(verdict, "API average response")
    # the failures answered in a few ms: the average is fast and says nothing
    assert average.measured == "11 ms"
    assert average.passed is False
    assert average.result == "NOT MEASURED"
    assert average.note == "not judged: 1890 of 1992 requests failed"
    p95 = by_name(verdict, "p95 catalog")
    assert (p95.result, p95.note) == ("NOT MEASURED", "not judged: 990 of 1000 requests failed")
    assert by_name(verdict, "API error rate").result == "FAIL"
    # a group that failed no more than its share is judged as ever
    assert by_name(verdict, "p95 gateway").passed is None

    text = gate.render(verdict)
    lines = text.splitlines()
    assert lines[0] == "SLO gate: FAIL (3 breaches, 2 not measured)"
    row = next(line for line in lines if line.startswith("API average response"))
    assert "NOT MEASURED" in row
    assert " pass " not in row
    assert ("NOT MEASURED: API average response (threshold < 500 ms): "
            "not judged: 1890 of 1992 requests failed") in lines
    data = gate.report(verdict, slo)
    assert data["not_measured"] == ["API average response", "p95 catalog"]
    assert set(data["breaches"]) >= {"API average response", "p95 catalog", "API error rate"}
    assert gate.verdict_of_report(json.loads(json.dumps(data, default=str))).checks[
        [check.name for check in verdict.checks].index("API average response")].result == (
        "NOT MEASURED")
    # positive control: the healthy run's average passes
    assert by_name(gate.evaluate(slo, healthy_run()), "API average response").result == "pass"


def test_latency_is_not_judged_on_too_few_successes():
    slo = slo_parse(tomllib.loads(SLO_TEXT + "[latency]\nmin_requests = 50\n"))
    run = healthy_run()
    # 44 of 90 failed: under half, but 46 successes are fewer than a judged sample
    run[3] = api("/api/orders/{id}/", 90, {80: 90}, failures=44)
    p95 = by_name(gate.evaluate(slo, run), "p95 orders")
    assert (p95.passed, p95.result) == (False, "NOT MEASURED")
    assert p95.note == "not judged: 44 of 90 requests failed"
    # positive control: 30 of 90 failed leaves 60 successes, which are judged
    run[3] = api("/api/orders/{id}/", 90, {80: 90}, failures=30)
    p95 = by_name(gate.evaluate(slo, run), "p95 orders")
    assert (p95.passed, p95.result, p95.note) == (True, "pass", "")


def test_a_small_group_that_mostly_failed_is_not_measured_rather_than_left_out():
    slo = slo_parse(tomllib.loads(SLO_TEXT + "[latency]\nmin_requests = 50\n"))
    run = healthy_run()
    run[3] = api("/api/orders/", 10, {8: 10}, failures=9)
    p95 = by_name(gate.evaluate(slo, run), "p95 orders")
    assert p95.result == "NOT MEASURED"
    assert p95.note == "not judged: 9 of 10 requests failed"
    # positive control: ten requests that succeeded are shown, not judged, as before
    run[3] = api("/api/orders/", 10, {80: 9, 2500: 1}, failures=1)
    p95 = by_name(gate.evaluate(slo, run), "p95 orders")
    assert (p95.passed, p95.note) == (None, "not judged: 10 < 50 requests")


def test_the_shipped_slo_file_holds_the_phase_11_targets():
    slo = slo_load()
    rates = {rate.key: rate for rate in slo.rates}
    assert rates["upload"].threshold == 0.95
    assert rates["payment"].threshold == 0.98
    assert slo.api_average_ms == 500
    assert slo.confidence == 0.95


@pytest.mark.parametrize(("text", "message"), [
    ("[api]\naverage_ms = 500\n", re.escape("no [rates.*] table")),
    ("[api]\naverage_ms = 500\n[rates.x]\njourneys = ['a']\nmin_journeys = 1\n",
     r"\[rates.x\]: `threshold` is missing"),
    ("[api]\naverage_ms = 500\n[rates.x]\njourneys = ['a']\nthreshold = 95\nmin_journeys = 1\n",
     "`threshold` must be from 0 to 1, got 95"),
    ("[api]\naverage_ms = 'fast'\n[rates.x]\njourneys = ['a']\nthreshold = 0.9\n"
     "min_journeys = 1\n", r"\[api\]: `average_ms` must be a number"),
    ("[api]\naverage_ms = 500\n[rates.x]\njourneys = 'a'\nthreshold = 0.9\nmin_journeys = 1\n",
     "`journeys` must be a list of strings"),
])
def test_a_bad_slo_file_is_refused_with_the_key_to_fix(text, message):
    with pytest.raises(SloError, match=message):
        slo_parse(tomllib.loads(text))


def test_an_unreadable_slo_file_names_the_path(tmp_path):
    with pytest.raises(SloError, match="cannot read the SLO file"):
        slo_load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("confidence = \n")
    with pytest.raises(SloError, match="is not valid TOML"):
        slo_load(bad)
