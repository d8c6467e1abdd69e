"""A phone whose app was uninstalled: the push service answers DeviceNotRegistered for its token,
the backend forgets the token, and the next events are not sent to it again, while the
customer's other phone keeps getting every push."""

import allure
import pytest

from fixtures.polling import poll

pytestmark = [pytest.mark.needs_staff]

WAIT = 15


@allure.feature("Notifications")
@allure.story("A rejected push token is forgotten")
def test_a_token_the_push_service_rejects_is_not_used_again(
        customer_with_push_token, order, staff, sandbox, data):
    customer = customer_with_push_token
    # given the customer has two phones, and uninstalled the app on the first
    gone = customer.push_token
    kept = customer.register_device(data.expo_push_token(), "ios")
    sandbox.unregister_push_token(gone)

    with sandbox.push_attempts(gone) as attempts_to_gone:
        # when the first status change is pushed, the service rejects the first phone
        staff.orders.set_status(order["id"], "confirmed")
        sandbox.wait_for_push(kept, count=1, timeout=WAIT)
        # (positive control: the backend did try the first phone, and got DeviceNotRegistered)
        poll(attempts_to_gone, until=lambda count: count >= 1, timeout=WAIT,
             what=f"a push attempt to {gone}")
        rejected = attempts_to_gone()

        # and two more changes follow
        staff.orders.set_status(order["id"], "picked_up")
        staff.orders.set_status(order["id"], "in_process")

        # then the other phone got all three, and the first phone was never tried again
        assert len(sandbox.wait_for_push(kept, count=3, timeout=WAIT)) == 3
        assert attempts_to_gone() == rejected == 1
    assert sandbox.pushes(gone) == []
