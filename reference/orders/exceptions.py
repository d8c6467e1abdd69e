"""Errors of the orders domain, rendered as the envelope by the common exception handler."""

from reference.common.exceptions import Conflict


class OrderNotCancellable(Conflict):
    default_detail = "This order can no longer be cancelled: it has already been picked up."
    default_code = "order_not_cancellable"


class InvalidTransition(Conflict):
    default_detail = "The order's lifecycle does not allow this status change."
    default_code = "invalid_transition"
