"""Local fixtures of the resilience suite."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fixtures.findings import Blocked
from fixtures.payments import affordable


def _id_forms() -> dict[str, Callable[[dict], str]]:
    return {"order id": lambda order: str(order["id"]),
            "order id without dashes": lambda order: str(order["id"]).replace("-", ""),
            "order number": lambda order: str(order["order_number"])}


@pytest.fixture
def order_receipt(customer, gateway, order_body) -> Callable[[dict], str]:
    """How the target names the gateway order of an order's first online payment (the
    `receipt`, the one attribute a gateway fault can be scoped by when the gateway order is
    being created), learned from a probe order of the `customer`: the probe's receipt, with
    the probe's id (or number) in it replaced by the order's. Blocked when the receipt does
    not name the order: such a fault could then only be unscoped, which these parallel suites
    never switch on."""
    probe = customer.orders.create(**affordable(order_body, payment_method="online"))
    started = customer.payments.pay(probe["id"], method="online")
    receipt = gateway.gateway_order(started["gateway_order_id"])["order"]["receipt"] or ""
    for form in _id_forms().values():
        named = form(probe)
        if named and named in receipt:
            prefix, suffix = receipt.split(named, 1)
            return lambda order: f"{prefix}{form(order)}{suffix}"
    raise Blocked(f"the target's gateway receipt {receipt!r} does not name the order "
                  f"{probe['id']} ({probe['order_number']}): a fault on creating one order's "
                  f"gateway order cannot be scoped, and an unscoped one would hit parallel tests")
