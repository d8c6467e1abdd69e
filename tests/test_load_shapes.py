"""The load shapes' plans (load/shapes.py): what each asks for over the run time. The module
imports Locust, which patches the standard library with gevent, so it is asked in a child
process and never imported here."""

import json
import subprocess
import sys
import textwrap

import pytest

from load.target import REPO_ROOT

PROBE = textwrap.dedent("""
    import json, sys
    from load import shapes
    plan = {"steady": shapes.plan_steady, "ramp": shapes.plan_ramp, "spike": shapes.plan_spike}
    print(json.dumps({name: [fn(t, 40, 4.0, 100.0) for t in (0, 19, 20, 45, 59, 60, 99)]
                      for name, fn in plan.items()}
                     | {"bound": {name: (cls.__name__ if cls else None)
                                  for name, cls in shapes.SHAPES.items()}}))
""")


@pytest.fixture(scope="module")
def plans():
    finished = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=True, timeout=120)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def test_steady_holds_the_users_and_rate_throughout(plans):
    assert {tuple(step) for step in plans["steady"]} == {(40, 4.0)}


def test_ramp_climbs_in_five_equal_steps(plans):
    users = [step[0] for step in plans["ramp"]]
    assert users == [8, 8, 16, 24, 24, 32, 40]


def test_spike_jumps_to_every_user_at_once_in_the_middle_fifth(plans):
    users = [step[0] for step in plans["spike"]]
    assert users == [10, 10, 10, 40, 40, 10, 10]
    assert all(step[1] >= 40 for step in plans["spike"])


def test_each_shape_name_binds_its_class_and_none_binds_none(plans):
    assert plans["bound"] == {"steady": "SteadyShape", "ramp": "RampShape",
                              "spike": "SpikeShape", "none": None}
