"""The load gate's maths and verdicts (load/gate.py): Wilson intervals against published values,
percentiles from Locust's histograms, rates that need both a sample and a lower bound, and the
table that names every breach. Pure functions: nothing here imports Locust."""

import json
import re
import tomllib

import pytest

from load import gate
from load.gate import JOURNEY, Endpoint

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
    return gate.slo_parse(tomllib.loads(SLO_TEXT))


def journey(name, total, failures, reasons=None):
    return Endpoint(JOURNEY, name, total, failures, total * 900.0, {900: total},
                    reasons or {})


def api(name, requests, histogram, *, failures=0, method="GET"):
    total_ms = sum(value * count for value, count in histogram.items())
    return Endpoint(method, name, requests, failures, float(total_ms), histogram)


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
    slo = gate.slo_parse(tomllib.loads(SLO_TEXT + "[latency]\nmin_requests = 50\n"))
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
    assert upload.note == "none of upload was completed"


def test_slow_groups_and_a_slow_api_average_are_breaches(slo):
    run = healthy_run()
    run[3] = api("/api/orders/{id}/", 100, {300: 50, 900: 46, 2000: 4})
    run[4] = api("/api/services/categories/", 100, {700: 100}, failures=3)
    verdict = gate.evaluate(slo, run)
    names = [check.name for check in verdict.breaches]
    assert names == ["API average response", "p95 orders", "p99 orders", "p95 catalog"]
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
    gate.write_report(path, gate.report(verdict, slo, settings={"users": 40}))
    data = json.loads(path.read_text())
    assert data["passed"] is True
    assert data["breaches"] == []
    assert data["settings"] == {"users": 40}
    assert {check["result"] for check in data["checks"]} == {"pass", "info"}


def test_the_shipped_slo_file_holds_the_phase_11_targets():
    slo = gate.slo_load()
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
    with pytest.raises(gate.SloError, match=message):
        gate.slo_parse(tomllib.loads(text))


def test_an_unreadable_slo_file_names_the_path(tmp_path):
    with pytest.raises(gate.SloError, match="cannot read the SLO file"):
        gate.slo_load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("confidence = \n")
    with pytest.raises(gate.SloError, match="is not valid TOML"):
        gate.slo_load(bad)
