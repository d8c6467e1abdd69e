"""The customer every load user is (`Customer`, a FastHttpUser): an account from the pool,
logged in when it starts (and again when a login may pass), and the steps the users share (an
address, an order, the gateway's checkout, the verification, the wallet's balance); with the
catalog and the app config, read once per process, and the count of users that stopped for good.

This module runs inside Locust's process only (it imports Locust); `locustfile.py` builds its
users on it.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from gevent.lock import Semaphore
from locust.contrib.fasthttp import FastHttpUser

from load import pool
from load.client import Api, StepFailed
from load.paths import ORDERS

logger = logging.getLogger("load")
INDIA = ZoneInfo("Asia/Kolkata")
SUCCESS_VPA = "success@razorpay"
RECEIPT = ("razorpay_payment_id", "razorpay_order_id", "razorpay_signature")
# A catalog read that failed is tried again after this long, not by every task of every user.
CATALOG_RETRY_SECONDS = 30.0


# --- what every customer shares -----------------------------------------------------------------


class Catalog:
    """The catalog and the app config, read once per process by the first user that needs them.

    Each of the three reads counts on its own: what one gives is kept when another fails. A
    read that failed is tried again after CATALOG_RETRY_SECONDS, not by every task of every
    user (its failure is counted once, in the statistics, under the call's name)."""

    items: list[dict] = []
    categories: list[dict] = []
    slots: list[str] = []
    problem = ""  # why the last read left the catalog short of what an order needs
    read_at = -math.inf
    # the users spawned together wait for the first one's read instead of all reading it
    lock = Semaphore()

    @classmethod
    def complete(cls) -> bool:
        return bool(cls.items and cls.slots)

    @classmethod
    def ensure(cls, api: Api) -> None:
        """Read what is missing (at most every CATALOG_RETRY_SECONDS); StepFailed, without a
        request of its own, if there is still nothing to order from."""
        cls.known(api)
        if not cls.complete():
            raise StepFailed(f"nothing to order from: {cls.problem}")

    @classmethod
    def known(cls, api: Api) -> None:
        """Read what is missing if it is time to; never raises."""
        if cls.complete() or time.monotonic() - cls.read_at < CATALOG_RETRY_SECONDS:
            return
        with cls.lock:
            if not cls.complete() and time.monotonic() - cls.read_at >= CATALOG_RETRY_SECONDS:
                cls.read(api)

    @classmethod
    def read(cls, api: Api) -> None:
        problems = []
        if not cls.slots:
            try:
                config = api.call("GET", "/api/mobile/config/", auth=False,
                                  keys=("pickup_time_slots",),
                                  check=lambda body: None
                                  if isinstance(body["pickup_time_slots"], list)
                                  else "pickup_time_slots is not a list")
                cls.slots = [slot for slot in config["pickup_time_slots"] if slot]
            except StepFailed as failed:
                problems.append(failed.described)
        if not cls.categories:
            try:
                categories = api.call("GET", "/api/services/categories/?page_size=100",
                                      auth=False, name="/api/services/categories/",
                                      keys=("results",), check=rows_with("id"))
                cls.categories = [row for row in categories["results"]
                                  if row.get("is_active", True)]
            except StepFailed as failed:
                problems.append(failed.described)
        if not cls.items:
            try:
                items = api.call("GET", "/api/services/items/?page_size=100", auth=False,
                                 name="/api/services/items/", keys=("results",),
                                 check=rows_with("id"))
                cls.items = [row for row in items["results"] if row.get("is_active", True)]
            except StepFailed as failed:
                problems.append(failed.described)
        if not problems and not cls.complete():
            problems.append("the catalog has no items or the config no pickup slots")
        cls.problem = "; ".join(problems)
        cls.read_at = time.monotonic()


def rows_with(*keys: str) -> Any:
    """A check for a page: `results` is a list of objects, each with `keys`."""
    def check(body: dict) -> str | None:
        rows = body["results"]
        if not isinstance(rows, list):
            return f"results is a {type(rows).__name__}, not a list"
        if not all(isinstance(row, dict) and all(key in row for key in keys) for row in rows):
            return f"results without {', '.join(keys)}"
        return None
    return check


class Stopped:
    """The users of this process that stopped for good, by reason: the first of each reason is
    logged as it happens, the count when the test stops."""

    counts: Counter[str] = Counter()

    @classmethod
    def record(cls, user: Any, reason: str) -> None:
        if not cls.counts[reason]:
            logger.error("%s stops: %s (every user that meets the same stops too; the count "
                         "follows at the end)", type(user).__name__, reason)
        cls.counts[reason] += 1


def think_bounds(text: str) -> tuple[float, float]:
    """`1-3` -> (1.0, 3.0); `2` -> (2.0, 2.0); ValueError otherwise."""
    low, _, high = str(text).partition("-")
    bounds = sorted((float(low), float(high or low)))
    if bounds[0] < 0:
        raise ValueError(f"a pause cannot be negative: {text!r}")
    return bounds[0], bounds[1]


def think(user: Any) -> float:
    """The pause between two tasks: uniform within --think-time."""
    return random.uniform(*think_bounds(user.environment.parsed_options.think_time))


def money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise StepFailed(f"an amount that is not a number: {str(value)[:20]!r}") from None


class Customer(FastHttpUser):
    """A logged-in customer of the app; every kind of user below is one."""

    abstract = True
    wait_time = think
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.api = Api(self)
        self.account: dict | None = None
        self.address_id: str | None = None
        self.orders: list[str] = []
        self.given_up = False
        try:
            self.account = pool.POOL.take()
        except pool.NoAccounts as error:
            self.give_up(str(error))
            return
        self.session_start()

    def on_stop(self) -> None:
        if self.account is not None:
            pool.POOL.give_back(self.account)

    def session_start(self) -> None:
        """Log in. A failure that may pass (no answer, a throttle, a 5xx) is counted and the
        next task tries again, as the app would on its next screen; one the target will give
        again (a 401 for the account, a 404 for the path) stops the user with one line, since
        every try would fail alike. The catalog is read by the tasks that need it."""
        if self.account is None:
            return
        try:
            self.api.login(self.account)
        except StepFailed as failed:
            self.api.logout()
            if failed.lasting:
                self.give_up(f"cannot log in: {failed.described}")
        except KeyError as missing:
            self.give_up(f"an account without {missing} in the pool")

    def give_up(self, reason: str) -> None:
        """Stop this user for good, with one line for the first user of the process that stops
        for `reason`. Locust's graceful stop: the user ends before its next task (a StopUser
        raised in on_start would be logged as a crash); a task that called this fails its step
        (`logged_in`), and the user ends there."""
        if self.given_up:
            return
        self.given_up = True
        Stopped.record(self, reason)
        self.stop()

    def logged_in(self) -> None:
        if self.api.access is None:
            self.session_start()
            if self.api.access is None:
                raise StepFailed("not logged in")

    # shared steps

    def address(self) -> str:
        if self.address_id is None:
            page = self.api.call("GET", "/api/accounts/addresses/", keys=("results",),
                                 check=rows_with("id"))
            if page["results"]:
                default = [row for row in page["results"] if row.get("is_default")]
                self.address_id = (default or page["results"])[0]["id"]
            else:
                self.address_id = self.api.call(
                    "POST", "/api/accounts/addresses/", expect=HTTPStatus.CREATED,
                    keys=("id",), json_body={
                        "label": "home", "address_line1": "14 Residency Road",
                        "address_line2": "", "city": "Bengaluru", "state": "Karnataka",
                        "pincode": "560025", "latitude": 12.9698, "longitude": 77.6006,
                        "is_default": True})["id"]
        return self.address_id

    def order_create(self, *, payment_method: str, image_ids: list[str] | None = None) -> dict:
        Catalog.ensure(self.api)
        lines = random.sample(Catalog.items, k=min(len(Catalog.items), random.randint(1, 3)))
        # tomorrow in India: "today" is the backend's Asia/Kolkata date, whatever this clock says
        pickup = datetime.now(INDIA).date() + timedelta(days=1)
        order = self.api.call(
            "POST", ORDERS, expect=HTTPStatus.CREATED, keys=("id", "total", "payment_status"),
            json_body={
                "pickup_address": self.address(), "pickup_date": pickup.isoformat(),
                "pickup_time_slot": random.choice(Catalog.slots),
                "items": [{"service_item": line["id"], "quantity": random.randint(1, 3),
                           "notes": ""} for line in lines],
                "image_ids": image_ids or [], "special_instructions": "Load test order",
                "payment_method": payment_method})
        self.orders = [*self.orders[-9:], order["id"]]
        return order

    def checkout(self, gateway_order_id: str) -> dict:
        """The customer pays on the gateway's checkout page (the sandbox plays it)."""
        sandbox = self.environment.parsed_options.sandbox_url.rstrip("/")
        if not sandbox:
            raise StepFailed("no --sandbox-url: nobody can play the paying customer")

        def receipt(body: Any) -> str | None:
            if isinstance(body, dict) and all(body.get(key) for key in RECEIPT):
                return None
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and (error.get("reason") or error.get("code")):
                return f"checkout declined: {error.get('reason') or error.get('code')}"
            shape = (", ".join(sorted(map(str, body))[:4]) if isinstance(body, dict)
                     else type(body).__name__)
            return f"checkout gave no receipt: {shape}"

        # A fresh connection each time, as the checkout page is a page of its own: a kept-alive
        # one would idle between two payments past the server's keep-alive (5 s) and might be
        # reused just as the server closes it.
        return self.api.call("POST", f"{sandbox}/_sandbox/checkout/", name="/_sandbox/checkout/",
                             auth=False, check=receipt, headers={"Connection": "close"},
                             json_body={"order_id": gateway_order_id, "method": "upi",
                                        "vpa": SUCCESS_VPA})

    def verify(self, payment_id: str, receipt: dict) -> dict:
        return self.api.call(
            "POST", f"/api/payments/payments/{payment_id}/verify/",
            name="/api/payments/payments/{id}/verify/", keys=("status",),
            json_body={key: receipt[key] for key in RECEIPT},
            check=lambda body: None if body["status"] == "captured"
            else f"verified payment is {body['status']}, not captured")

    def order_paid(self, order_id: str) -> dict:
        return self.api.call(
            "GET", f"{ORDERS}{order_id}/", name=f"{ORDERS}{{id}}/",
            keys=("payment_status",),
            check=lambda body: None if body["payment_status"] == "paid"
            else f"order is {body['payment_status']} after payment, not paid")

    def wallet_balance(self) -> Decimal:
        return money(self.api.call("GET", "/api/payments/wallets/", keys=("balance",))["balance"])
