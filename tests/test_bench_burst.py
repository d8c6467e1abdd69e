"""The burst benchmark's counting of what the backend answered, its verdict on a run, its
options and its JSON (load/bench_burst.py; no stack here)."""

import json
import threading
import time
from decimal import Decimal

import pytest

from load.bench_burst import (
    CHECKOUT_EVENTS,
    PhaseRun,
    ProfileResult,
    Reply,
    Tally,
    TopUp,
    at_once,
    build_parser,
    credit_problems,
    main,
    report_json,
    report_text,
    run_clean,
    settled,
    tally,
    totals,
    webhook_replies,
)

# --- counting ----------------------------------------------------------------------------------


def test_replies_are_counted_by_class_with_the_first_5xx_bodies():
    replies = [Reply("verify", 200), Reply("verify", 201), Reply("verify", 400),
               Reply("verify", 409), Reply("verify", 302),
               Reply("verify", 500, body='{"message": "boom"}'),
               Reply("webhook order.paid", 502, body="<html>Bad Gateway</html>\n"),
               Reply("verify", 503, body="x" * 1000), Reply("verify", 504, body="late"),
               Reply("verify", None, error="ReadTimeout: timed out")]
    counted = tally(replies)
    assert (counted.sent, counted.ok, counted.client_errors, counted.server_errors,
            counted.other, counted.transport_errors) == (10, 2, 2, 4, 1, 1)
    assert counted.first_5xx == ['verify: 500 {"message": "boom"}',
                                 "webhook order.paid: 502 <html>Bad Gateway</html>",
                                 "verify: 503 " + "x" * 300]
    assert counted.first_transport_errors == ["verify: ReadTimeout: timed out"]


def test_nothing_sent_counts_nothing():
    assert tally([]) == Tally()


def delivery(event, *attempts, state="delivered"):
    return {"event": event, "state": state, "attempts": [
        {"attempt": number, "status_code": status, "error": error,
         "finished_at": f"2026-01-01T00:00:0{number}.500+00:00",
         "outcome": "delivered" if status == 200 else "failed"}
        for number, (status, error) in enumerate(attempts, start=1)]}


def test_every_webhook_attempt_is_a_reply_as_the_sandbox_recorded_it():
    replies = webhook_replies([
        delivery("payment.captured", (503, None), (None, "ReadTimeout: "), (200, None)),
        delivery("order.paid", (200, None))])
    assert [(reply.what, reply.status, reply.error) for reply in replies] == [
        ("webhook payment.captured", 503, ""), ("webhook payment.captured", None, "ReadTimeout: "),
        ("webhook payment.captured", 200, ""), ("webhook order.paid", 200, "")]
    assert replies[1].finished_at - replies[0].finished_at == pytest.approx(1.0)
    counted = tally(replies)
    assert (counted.ok, counted.server_errors, counted.transport_errors) == (2, 1, 1)


def test_a_checkout_settles_once_its_three_webhooks_were_each_delivered_or_given_up_on():
    three = [delivery(event, (200, None)) for event in CHECKOUT_EVENTS]
    assert settled(three)
    assert settled([*three[:2], delivery("order.paid", (500, None), state="failed")])
    assert not settled(three[:2])
    assert not settled([*three[:2], delivery("order.paid", (500, None), state="pending")])


# --- credited exactly once ---------------------------------------------------------------------

TOP_UPS = [TopUp("p1", "order_1", Decimal(10)), TopUp("p2", "order_2", Decimal(11))]


def credit(payment_id, amount, status="completed"):
    return {"type": "credit", "status": status, "payment_id": payment_id, "amount": amount}


def test_each_top_up_credited_once_and_the_balance_their_sum_is_no_problem():
    transactions = [credit("p2", 11), credit("p1", 10.0), credit("p1", 10, status="pending"),
                    {"type": "debit", "status": "completed", "payment_id": None, "amount": 5}]
    assert credit_problems(21, transactions, TOP_UPS) == ""


def test_a_payment_credited_twice_is_named():
    problems = credit_problems(31, [credit("p1", 10), credit("p1", 10), credit("p2", 11)],
                               TOP_UPS)
    assert problems == "balance 31, expected 21; 1 credited more than once (p1)"


def test_a_payment_not_credited_and_a_foreign_credit_are_named():
    problems = credit_problems(10, [credit("p1", 10), credit("p9", 0)], TOP_UPS)
    assert problems == ("balance 10, expected 21; 1 not credited (p2); "
                        "1 credits of no top-up (p9)")


def test_credits_of_the_wrong_amounts_are_a_problem():
    assert credit_problems(21, [credit("p1", 11), credit("p2", 10)], TOP_UPS) == (
        "2 credited another amount (p1, p2)")


# --- a clean run -------------------------------------------------------------------------------


def phase_run(phase="burst", *, verify_statuses=(200,) * 4, webhook_statuses=(200,) * 12,
              unsettled=0, problems="", peak=30, run=1, wall=2.5):
    verifies = tally(Reply("verify", status, body="oops", error="ConnectError: refused")
                     for status in verify_statuses)
    webhooks = tally(Reply("webhook payment.captured", status, error="ReadTimeout: ")
                     for status in webhook_statuses)
    return PhaseRun(profile="scaled", phase=phase, run=run, top_ups=len(verify_statuses),
                    verifies=verifies, webhooks=webhooks, webhooks_unsettled=unsettled,
                    wall_seconds=wall, credit_problems=problems, pg_peak_connections=peak)


def test_a_run_without_5xx_or_transport_errors_and_credited_once_is_clean():
    run = phase_run(verify_statuses=(200, 200, 400, 200))  # a 4xx is counted, not a defect
    assert run_clean(run)
    assert totals(run).sent == 16


@pytest.mark.parametrize("flaw", [
    {"verify_statuses": (200, 200, 500, 200)},
    {"webhook_statuses": (200,) * 11 + (502,)},
    {"verify_statuses": (200, 200, None, 200)},
    {"webhook_statuses": (200,) * 11 + (None,)},
    {"unsettled": 1},
    {"problems": "1 credited more than once (p1)"},
])
def test_a_run_with_a_5xx_a_transport_error_an_unsettled_webhook_or_a_double_credit_is_not(
        flaw):
    assert not run_clean(phase_run(**flaw))


def test_totals_add_the_verifies_and_the_webhooks():
    run = phase_run(verify_statuses=(500, 200), webhook_statuses=(503, 504, 200, None))
    counted = totals(run)
    assert (counted.sent, counted.ok, counted.server_errors, counted.transport_errors) == (
        6, 2, 3, 1)
    assert counted.first_5xx == ["verify: 500 oops", "webhook payment.captured: 503",
                                 "webhook payment.captured: 504"]


# --- releasing a burst -------------------------------------------------------------------------


def test_at_once_releases_every_call_together_and_keeps_their_order():
    started = []
    lock = threading.Lock()

    def call(number):
        with lock:
            started.append(time.time())
        return number

    results, released = at_once([lambda number=number: call(number) for number in range(20)])
    assert results == list(range(20))
    assert all(moment >= released for moment in started)


def test_at_once_raises_what_a_call_raised():
    def broken():
        raise ValueError("checkout failed")

    with pytest.raises(ValueError, match="checkout failed"):
        at_once([lambda: 1, broken])


# --- options -----------------------------------------------------------------------------------


def test_defaults_are_ten_runs_of_a_fifty_top_up_race_and_a_burst_of_four_hundred_requests():
    options = build_parser().parse_args([])
    assert (options.runs, options.race_top_ups, options.top_ups) == (10, 50, 100)


@pytest.mark.parametrize(("argv", "said"), [
    (["--runs", "0"], "argument --runs: expected a positive integer, got 0"),
    (["--top-ups", "many"], "argument --top-ups: expected a positive integer, got 'many'"),
    (["--race-top-ups", "-5"], "argument --race-top-ups: expected a positive integer, got -5"),
    (["--top-ups", "1001"], "--top-ups must be at most 1000"),
    (["--race-top-ups", "5000"], "--race-top-ups must be at most 1000"),
    (["--profile", "embedded", "--workers", "2"],
     "--workers applies to the scaled profile only"),
    (["--profile", "cloud"], "argument --profile/--profiles: invalid choice: 'cloud'"),
])
def test_options_out_of_range_are_refused_before_anything_boots(argv, said, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert said in capsys.readouterr().err


# --- the report --------------------------------------------------------------------------------


def measured():
    options = build_parser().parse_args(["--runs", "2", "--top-ups", "4", "--race-top-ups", "4"])
    scaled = ProfileResult("scaled", boot_seconds=9.5, workers=2, database="lc_run_1",
                           db_connection_bound=40,
                           db_connection_bound_from="the stack's state (db_connections)",
                           runs=[phase_run("race", peak=12), phase_run("burst", peak=38),
                                 phase_run("race", run=2, peak=14, wall=4.0),
                                 phase_run("burst", run=2, peak=41,
                                           webhook_statuses=(200,) * 11 + (502,))])
    embedded = ProfileResult("embedded", error="TargetError: the embedded stack failed to boot")
    return [embedded, scaled], options


def test_the_json_holds_every_run_its_verdict_and_a_summary_per_phase():
    results, options = measured()
    report = json.loads(json.dumps(report_json(results, options)))
    assert set(report) == {"generated_at", "machine", "settings", "profiles", "summary",
                           "verdicts"}
    assert report["settings"]["burst_requests"] == 16
    embedded, scaled = report["profiles"]
    assert (embedded["error"], embedded["runs"]) == (
        "TargetError: the embedded stack failed to boot", [])
    assert [run["clean"] for run in scaled["runs"]] == [True, True, True, False]
    assert set(scaled["runs"][0]) >= {"profile", "phase", "run", "top_ups", "verifies",
                                      "webhooks", "totals", "webhooks_unsettled",
                                      "wall_seconds", "credit_problems",
                                      "pg_peak_connections", "clean"}
    assert scaled["runs"][3]["totals"]["server_errors"] == 1
    assert report["summary"] == [
        {"profile": "scaled", "phase": "race", "top_ups": 4, "name": "race", "runs": 2,
         "clean": 2, "server_errors": 0, "transport_errors": 0, "worst_wall_seconds": 4.0,
         "pg_peak_connections": 14, "db_connection_bound": 40},
        {"profile": "scaled", "phase": "burst", "top_ups": 4, "name": "burst of 16 requests",
         "runs": 2, "clean": 1, "server_errors": 1, "transport_errors": 0,
         "worst_wall_seconds": 2.5, "pg_peak_connections": 41, "db_connection_bound": 40}]
    assert report["verdicts"] == ["scaled: race: 2/2 runs clean",
                                  "scaled: burst of 16 requests: 1/2 runs clean"]


def test_the_table_shows_clean_runs_5xx_worst_wall_time_and_the_peak_against_the_bound():
    results, options = measured()
    text = report_text(results, options)
    assert " scaled   race        4         2/2    0                 0           4.0" in text
    assert "41 / 40" in text
    assert "scaled: first 5xx: webhook payment.captured: 502" in text
    assert "embedded: FAILED: TargetError: the embedded stack failed to boot" in text
    assert text.endswith("scaled: race: 2/2 runs clean\n"
                         "scaled: burst of 16 requests: 1/2 runs clean")
