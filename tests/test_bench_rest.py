"""The REST benchmark's reading of wrk's report and its verdicts on the issue's targets
(load/bench_rest.py; no wrk and no stack here)."""

import argparse

import pytest

from load.bench_rest import (
    BenchError,
    ProfileResult,
    Run,
    Verdict,
    targets,
)
from load.pgstat import connection_bound
from load.wrk import wrk_duration, wrk_parse

REPORT = """\
Running 12s test @ http://127.0.0.1:40123/api/services/categories/
  2 threads and 256 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    48.31ms   20.12ms   1.20s    91.02%
    Req/Sec     1.31k   210.55     1.80k    70.83%
  Latency Distribution
     50%   41.07ms
     75%   52.90ms
     90%   70.33ms
     99%  132.50ms
  31337 requests in 12.01s, 9.12MB read
  Socket errors: connect 0, read 12, write 1, timeout 7
  Non-2xx or 3xx responses: 42
Requests/sec:   2609.24
Transfer/sec:    777.61KB
"""

CLEAN = """\
Running 5s test @ http://127.0.0.1:40123/api/accounts/me/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.00us  100.00us   3.00ms   90.00%
    Req/Sec     9.80k   500.00    10.50k    80.00%
  Latency Distribution
     50%  780.00us
     75%  850.00us
     90%  900.00us
     99%    1.50ms
  98000 requests in 5.00s, 30.00MB read
Requests/sec:  19600.00
Transfer/sec:      6.00MB
"""


def test_wrk_report_gives_rate_percentiles_and_both_kinds_of_error():
    figures = wrk_parse(REPORT)
    assert figures.requests == 31337
    assert figures.seconds == 12.01
    assert figures.requests_per_s == 2609.24
    assert (figures.p50_ms, figures.p99_ms) == (41.07, 132.5)
    assert figures.non_2xx == 42
    assert figures.socket_errors == {"connect": 0, "read": 12, "write": 1, "timeout": 7}
    assert figures.errors == 20


def test_a_clean_report_has_no_error_lines_and_microsecond_latencies():
    figures = wrk_parse(CLEAN)
    assert (figures.p50_ms, figures.p99_ms) == (0.78, 1.5)
    assert figures.non_2xx == 0
    assert figures.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    assert figures.errors == 0


def test_latencies_and_the_run_time_in_seconds_and_minutes():
    report = (CLEAN.replace("    1.50ms", "    2.05s").replace("780.00us", "1.00m")
              .replace("in 5.00s,", "in 1.00m,"))
    figures = wrk_parse(report)
    assert (figures.p50_ms, figures.p99_ms) == (60_000.0, 2050.0)
    assert figures.seconds == 60.0


def test_a_report_without_latency_distribution_has_no_percentiles():
    report = "\n".join(line for line in CLEAN.splitlines() if "%" not in line)
    figures = wrk_parse(report)
    assert (figures.p50_ms, figures.p99_ms) == (None, None)


def test_an_unreadable_report_says_what_came():
    with pytest.raises(BenchError) as raised:
        wrk_parse("unable to connect to 127.0.0.1:1 Connection refused\n")
    assert str(raised.value) == ("could not read wrk's report (no request count or rate):\n"
                                 "unable to connect to 127.0.0.1:1 Connection refused\n")


@pytest.mark.parametrize("text", ["12s", "2m", "30", "1h"])
def test_durations_wrk_takes(text):
    assert wrk_duration(text) == text


@pytest.mark.parametrize("text", ["0", "12ms", "1.5s", "s", "-3s"])
def test_durations_wrk_does_not_take(text):
    with pytest.raises(argparse.ArgumentTypeError, match="expected a duration"):
        wrk_duration(text)


def test_the_connection_bound_comes_from_the_state_before_the_environment():
    assert connection_bound({"db_connections": 40}, {"LC_DB_CONNECTIONS": "30"}) == (
        40, "the stack's state (db_connections)")
    assert connection_bound({}, {"LC_DB_CONNECTIONS": "30"}) == (30, "LC_DB_CONNECTIONS")
    bound, why = connection_bound({}, {})
    assert bound is None
    assert "neither" in why
    bound, why = connection_bound({}, {"LC_DB_CONNECTIONS": "many"})
    assert bound is None
    assert "not a whole number: 'many'" in why


# --- the targets -------------------------------------------------------------------------------


def run(profile, endpoint, connections, rate, p99=10.0, *, non_2xx=0, socket=0, peak=None):
    return Run(profile=profile, endpoint=endpoint, path=f"/{endpoint}/", connections=connections,
               requests_per_s=rate, p50_ms=p99 / 2, p99_ms=p99, requests=int(rate * 12),
               seconds=12.0, non_2xx=non_2xx,
               socket_errors={"connect": 0, "read": socket, "write": 0, "timeout": 0},
               errors=non_2xx + socket,
               pg_peak_connections="n/a" if profile == "embedded" else peak)


def measured(scaled_runs, embedded_rate=300.0, bound=40):
    embedded = ProfileResult("embedded", runs=[
        run("embedded", endpoint, connections, embedded_rate)
        for endpoint in ("categories", "me") for connections in (16, 256)])
    scaled = ProfileResult("scaled", database="lc_run", db_connection_bound=bound,
                           db_connection_bound_from="LC_DB_CONNECTIONS", runs=scaled_runs)
    return [embedded, scaled]


def good_scaled():
    """Scaled runs that meet every target: categories at 16 and 256, then me at 16 and 256."""
    return [run("scaled", endpoint, connections, 1500.0, 30.0, peak=32)
            for endpoint in ("categories", "me") for connections in (16, 256)]


def by_target(verdicts: list[Verdict]) -> dict[str, Verdict]:
    return {verdict.target: verdict for verdict in verdicts}


def test_a_scaled_stack_that_meets_every_target():
    verdicts = targets(measured(good_scaled()))
    assert [verdict.status for verdict in verdicts] == ["pass"] * 7
    assert [verdict.line() for verdict in verdicts] == [
        "pass          scaled categories >= 1,200 req/s with p99 < 50 ms at 16 connections: "
        "1,500 req/s, p99 30.0 ms",
        "pass          scaled categories >= 4 x embedded at 16 connections: 5.0 x (1,500 vs "
        "300 req/s)",
        "pass          scaled categories at 256 connections without errors: 0 non-2xx/3xx, "
        "0 socket errors of 18,000 requests",
        "pass          scaled me >= 1,200 req/s with p99 < 50 ms at 16 connections: "
        "1,500 req/s, p99 30.0 ms",
        "pass          scaled me >= 4 x embedded at 16 connections: 5.0 x (1,500 vs 300 req/s)",
        "pass          scaled me at 256 connections without errors: 0 non-2xx/3xx, "
        "0 socket errors of 18,000 requests",
        "pass          scaled PostgreSQL connections never above the configured bound: "
        "peak 32, bound 40 (from LC_DB_CONNECTIONS)",
    ]


def test_each_target_missed():
    scaled = good_scaled()
    scaled[0] = run("scaled", "categories", 16, 1500.0, 75.0, peak=32)  # p99 too slow
    scaled[2] = run("scaled", "me", 16, 1100.0, 20.0, peak=32)  # too few, and under 4 x
    scaled[3] = run("scaled", "me", 256, 1300.0, 90.0, non_2xx=3, socket=2, peak=45)
    verdicts = by_target(targets(measured(scaled)))
    missed = {target: verdict.measured for target, verdict in verdicts.items()
              if verdict.status == "MISS"}
    assert missed == {
        "scaled categories >= 1,200 req/s with p99 < 50 ms at 16 connections":
            "1,500 req/s, p99 75.0 ms",
        "scaled me >= 1,200 req/s with p99 < 50 ms at 16 connections": "1,100 req/s, p99 20.0 ms",
        "scaled me >= 4 x embedded at 16 connections": "3.7 x (1,100 vs 300 req/s)",
        "scaled me at 256 connections without errors":
            "3 non-2xx/3xx, 2 socket errors of 15,600 requests",
        "scaled PostgreSQL connections never above the configured bound":
            "peak 45, bound 40 (from LC_DB_CONNECTIONS)",
    }


def test_an_unknown_bound_is_reported_as_unknown():
    results = measured(good_scaled(), bound=None)
    results[1].db_connection_bound_from = "neither ... gives it"
    verdict = targets(results)[-1]
    assert verdict.status == "unknown"
    assert verdict.measured == "peak 32; the bound is unknown: neither ... gives it"


def test_a_sampler_that_could_not_connect_leaves_the_bound_not_measured():
    scaled = [run("scaled", endpoint, connections, 1500.0, peak=None)
              for endpoint in ("categories", "me") for connections in (16, 256)]
    for each in scaled:
        each.pg_note = "cannot connect to PostgreSQL: refused"
    verdict = targets(measured(scaled))[-1]
    assert (verdict.status, verdict.measured) == ("not measured",
                                                  "cannot connect to PostgreSQL: refused")


def test_embedded_alone_measures_no_target():
    embedded_only = measured([])[:1]
    verdicts = targets(embedded_only)
    assert {verdict.status for verdict in verdicts} == {"not measured"}
    assert verdicts[0].measured == "no scaled run at 16 connections"
    assert verdicts[1].measured == "needs both profiles measured at 16 connections in the same run"


def test_a_failed_embedded_profile_leaves_only_the_ratio_unmeasured():
    results = measured(good_scaled())
    results[0] = ProfileResult("embedded", error="TargetError: did not boot")
    statuses = {verdict.target: verdict.status for verdict in targets(results)}
    assert statuses["scaled me >= 4 x embedded at 16 connections"] == "not measured"
    assert statuses["scaled me at 256 connections without errors"] == "pass"
