"""Payments and wallet integrity: "make this my default" sent for several saved methods at the
same moment (two phones, a double tap) leaves exactly one default."""

from http import HTTPStatus

import allure
import pytest

from fixtures.concurrency import at_once
from fixtures.payments import upi_details

pytestmark = [pytest.mark.security]

METHODS = 6
ROUNDS = 3


@allure.feature("Security: payments integrity")
@allure.story("One default payment method")
def test_concurrent_set_default_leaves_exactly_one_default(customer, callers, data):
    # given six saved methods, and a connection per method
    methods = [customer.payments.save_method(**upi_details(data)) for _ in range(METHODS)]
    apps = [callers.twin(customer, f"phone {n}") for n in range(METHODS)]
    # positive control: one at a time, the default moves
    customer.payments.set_default(methods[-1]["id"])
    assert [m["id"] for m in customer.payments.all_methods() if m["is_default"]] == \
        [methods[-1]["id"]]

    for round_ in range(1, ROUNDS + 1):
        # when each method is made the default at the same moment
        with allure.step(f"round {round_}: {METHODS} set-default calls at once"):
            replies = at_once([lambda app=app, m=m: app.payments.raw_set_default(m["id"])
                               for app, m in zip(apps, methods, strict=True)])

        # then each call was answered, and exactly one method is the default
        assert all(reply.status_code == HTTPStatus.OK for reply in replies), \
            [f"{r.status_code} {r.text[:200]}" for r in replies]
        listed = customer.payments.all_methods()
        assert len(listed) == METHODS
        defaults = [m["id"] for m in listed if m["is_default"]]
        assert len(defaults) == 1, f"round {round_}: defaults {defaults}"
