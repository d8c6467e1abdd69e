"""Load shapes: steady, ramp and spike, each scaled by the usual options.

Every shape reads Locust's own `--users`, `--spawn-rate` and `--run-time` (`use_common_options`),
so `make load USERS=80 DURATION=5m SHAPE=spike` means what it says whatever the shape:

- steady: up to `users` at `spawn_rate`, then hold until the run time is over;
- ramp: `users` reached in five equal steps, one per fifth of the run time (where the service
  bends shows as the step its latency jumps);
- spike: a quarter of `users` for the first 40 % of the run, all of them at once (spawned in
  about a second) for the next 20 %, then back to a quarter.

The locustfile binds the one named by `LC_LOAD_SHAPE` (`steady` by default; `none` for
Locust's plain `-u -r -t`), since Locust runs the first shape class it finds.
"""

from __future__ import annotations

from locust import LoadTestShape

RAMP_STEPS = 5
SPIKE_BASE_SHARE = 0.25
SPIKE_FROM, SPIKE_TO = 0.4, 0.6


def plan_steady(elapsed: float, users: int, rate: float, run_time: float) -> tuple[int, float]:
    return users, rate


def plan_ramp(elapsed: float, users: int, rate: float, run_time: float) -> tuple[int, float]:
    step = min(RAMP_STEPS, int(elapsed / (run_time / RAMP_STEPS)) + 1)
    return max(1, round(users * step / RAMP_STEPS)), rate


def plan_spike(elapsed: float, users: int, rate: float, run_time: float) -> tuple[int, float]:
    base = max(1, round(users * SPIKE_BASE_SHARE))
    if SPIKE_FROM * run_time <= elapsed < SPIKE_TO * run_time:
        return users, max(rate, float(users))
    return base, max(rate, float(users))


class _OptionsShape(LoadTestShape):
    """Runs a plan over the run time given with `--run-time` (300 s without one)."""

    abstract = True
    use_common_options = True
    plan = staticmethod(plan_steady)
    default_run_time = 300

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options
        run_time = float(options.run_time or self.default_run_time)
        elapsed = self.get_run_time()
        if elapsed >= run_time:
            return None
        return self.plan(elapsed, int(options.num_users or 1), float(options.spawn_rate or 1),
                         run_time)


class SteadyShape(_OptionsShape):
    plan = staticmethod(plan_steady)


class RampShape(_OptionsShape):
    plan = staticmethod(plan_ramp)


class SpikeShape(_OptionsShape):
    plan = staticmethod(plan_spike)


SHAPES: dict[str, type[LoadTestShape] | None] = {
    "steady": SteadyShape, "ramp": RampShape, "spike": SpikeShape, "none": None,
}


def shape_named(name: str) -> type[LoadTestShape] | None:
    try:
        return SHAPES[name.strip().lower()]
    except KeyError:
        raise SystemExit(f"LC_LOAD_SHAPE={name!r}: choose one of {', '.join(SHAPES)}") from None
