"""The load benchmark's capacity search and step verdict (load/bench_load.py; no Locust here)."""

import pytest

from load.bench_load import Search, step_verdict


def tried(capacity: int, start: int = 10, most: int = 120,
          resolution: float = 0.0) -> list[tuple[int, bool]]:
    """The steps the search makes against a stack that holds up to `capacity` users."""
    search = Search(start=start, most=most, resolution=resolution)
    steps = []
    users = search.first()
    while users is not None:
        passed = users <= capacity
        steps.append((users, passed))
        users = search.next(users, passed)
    return steps


@pytest.mark.parametrize(("capacity", "steps"), [
    (33, [(10, True), (20, True), (40, False), (30, True), (35, False), (32, True), (33, True),
          (34, False)]),
    (5, [(10, False), (5, True), (7, False), (6, False)]),
    (500, [(10, True), (20, True), (40, True), (80, True)]),
    (1, [(10, False), (5, False), (2, False)]),
])
def test_search_doubles_halves_then_bisects(capacity, steps):
    assert tried(capacity) == steps


@pytest.mark.parametrize(("capacity", "steps"), [
    # 30 pass and 35 fail are 5 apart, more than 10 % of 30: one more step, 32, closes it
    (33, [(10, True), (20, True), (40, False), (30, True), (35, False), (32, True)]),
    # 60 pass and 70 fail are 10 apart, more than 6 (10 % of 60); 65 fails: 5 apart, closed
    (63, [(10, True), (20, True), (40, True), (80, False), (60, True), (70, False),
          (65, False)]),
    (500, [(10, True), (20, True), (40, True), (80, True)]),
])
def test_search_stops_once_the_bracket_is_within_the_resolution(capacity, steps):
    assert tried(capacity, resolution=0.1) == steps


def test_the_account_pool_covers_the_steps_the_budget_holds():
    assert Search(start=10, most=120).planned_most(4) == 80
    assert Search(start=10, most=50).planned_most(4) == 50


def check(kind, name, passed, **values):
    return {"kind": kind, "name": name, "measured": "x", "passed": passed, "values": values}


def test_a_step_leaves_the_logins_out_and_judges_rates_by_point_estimate():
    gate = {"checks": [
        check("rate", "payment success", False, rate=1.0, threshold=0.98),
        check("api", "API average response", False, limit_ms=500.0),
        check("latency", "average auth", None, group="auth", statistic="average", ms=4000.0,
              requests=10, endpoints=["POST /api/accounts/auth/login/"]),
        check("latency", "p95 auth", False, group="auth", statistic="p95"),
        check("latency", "average orders", None, group="orders", statistic="average", ms=200.0,
              requests=90, endpoints=["GET /api/orders/"]),
    ]}
    assert step_verdict(gate) == (True, [])


def test_a_step_fails_on_a_slow_group_or_a_short_rate():
    gate = {"checks": [
        check("rate", "image upload success", False, rate=0.9, threshold=0.95),
        check("latency", "p95 orders", False, group="orders", statistic="p95"),
    ]}
    passed, breaches = step_verdict(gate)
    assert not passed
    assert breaches == ["image upload success x", "p95 orders x"]
