"""The order lifecycle as a matrix: from each status an order can be in, staff tries every
status that is not the allowed next step (back to an earlier one, the same one again, skipping
ahead, out of a terminal state). Each is a conflict (409) and leaves the order as it was; the
allowed step then succeeds (the positive control; for a terminal state, the step into it)."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.orders import CANCELLABLE, LIFECYCLE, walk

pytestmark = [pytest.mark.needs_staff]

STATUSES = (*LIFECYCLE, "cancelled")


def steps_to(status: str) -> tuple[str, ...]:
    """The lifecycle's steps from pending to `status`."""
    return LIFECYCLE[1:LIFECYCLE.index(status) + 1]


# how staff brings an order to each status it can be in, one allowed step at a time;
# cancelled is reached from both statuses that may be cancelled
WALKS = [steps_to(status) for status in LIFECYCLE] + \
    [(*steps_to(status), "cancelled") for status in CANCELLABLE]


def reached(steps: tuple[str, ...]) -> str:
    return steps[-1] if steps else LIFECYCLE[0]


def walk_id(steps: tuple[str, ...]) -> str:
    return f"{reached(steps)}-from-{reached(steps[:-1])}" if reached(steps) == "cancelled" \
        else reached(steps)


def allowed_next(status: str) -> set[str]:
    """The contract's next steps: the following status of the lifecycle, and cancelled while
    pending or confirmed."""
    following = {LIFECYCLE[LIFECYCLE.index(status) + 1]} if status in LIFECYCLE[:-1] else set()
    return following | ({"cancelled"} if status in CANCELLABLE else set())


@allure.feature("Orders")
@allure.story("Order lifecycle")
@pytest.mark.parametrize("steps", WALKS, ids=walk_id)
def test_staff_can_take_only_the_allowed_step_from_each_status(customer, staff, order, steps):
    # given an order staff walked to the starting status, each step accepted on the way
    walk(staff, order["id"], steps)
    before = customer.orders.get(order["id"])
    status = reached(steps)
    assert before["status"] == status, before

    # when staff tries every status that is not an allowed next step from there
    for refused in (s for s in STATUSES if s not in allowed_next(status)):
        with allure.step(f"{status} -> {refused}: refused"):
            reply = staff.orders.raw_set_status(order["id"], refused,
                                                note=f"harness: {status} to {refused}")

            # then each is a conflict, and the order (status, history) is as it was
            expect_error(reply, HTTPStatus.CONFLICT)
            after = customer.orders.get(order["id"])
            assert (after["status"], after["status_history"]) == \
                (before["status"], before["status_history"]), (
                    f"a refused change {status} -> {refused} changed the order")
    assert customer.orders.get(order["id"]) == before

    # while the next step of the lifecycle succeeds (positive control), and is recorded once
    following = allowed_next(status) - {"cancelled"}
    if following:
        (step,) = following
        moved = staff.orders.set_status(order["id"], step, note=f"harness: to {step}")
        assert moved["status"] == step
        history = customer.orders.get(order["id"])["status_history"]
        assert [entry["status"] for entry in history] == \
            [entry["status"] for entry in before["status_history"]] + [step]
