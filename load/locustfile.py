"""Load test of the LaundryConnect mobile journeys, with the SLO gate deciding the exit code.

    python -m locust -f load/locustfile.py --headless -H http://127.0.0.1:8000 \
        --sandbox-url http://127.0.0.1:8900 --accounts-file reports/out/load/accounts.json \
        -u 16 -r 4 -t 2m

(`make load` does all of it: boots the stack, makes the account pool, runs this, master and
workers with WORKERS=N.) One user class per kind of app user, weighted as the app's users are
thought to be:

- `BrowsingUser`: the catalog, the home screen (dashboard), notifications;
- `OrderingUser`: photos of the garments (1-3 uploads), an order, paid online through the
  gateway's checkout (`success@razorpay` in the sandbox), verified, then tracked;
- `WalletUser`: tops the wallet up through checkout, pays orders from it;
- `ChattingUser`: the order's chat room over its WebSocket, and the notification socket.

Every user is a `Customer` (`customer.py`): it logs in when it starts with an account from the
pre-made pool (`pool.py`), so that registration is not what the run measures. A target that
answers otherwise than the contract (a 401 where a call is anonymous, a 404 for a path, an HTML
page) fails that call, named, with the status and a few words of the body, and the users go on
with what they can; a user the target will not let in (a 401 for its account, no login path)
stops, with one line for the first such user of the process and a count when the test stops.
Journeys are reported into Locust's statistics (`client.journey`), and when Locust quits the
gate (`gate.py`, holding the objectives of `slo.py`) reads the statistics (on the master in a
distributed run), prints its table, writes `gate.json` and sets the exit code.
"""

from __future__ import annotations

import logging
import math
import os
import random
import sys
import uuid
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from locust import events, task
from locust.runners import WorkerRunner

from load import gate, pool, shapes, slo
from load.chat import Socket
from load.client import StepFailed, journey
from load.customer import Catalog, Customer, Stopped, money, think_bounds
from load.paths import ORDERS
from load.photos import multipart, photos
from load.reporting import write_json
from load.target import REPO_ROOT
from load.tokens import closed_by_expiry

logger = logging.getLogger("load")
TOP_UP_RUPEES = 1000
TOP_UP_LIMIT = 10_000

# Only the shape named here is bound in this module: Locust runs the first shape class it finds.
LoadShape = shapes.shape_named(os.environ.get("LC_LOAD_SHAPE", "steady"))


# --- options -----------------------------------------------------------------------------------


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("LaundryConnect load test")
    group.add_argument("--accounts-file", env_var="LC_ACCOUNTS_FILE", default="",
                       help="JSON list of customer accounts (python -m load.accounts)")
    group.add_argument("--sandbox-url", env_var="LC_SANDBOX_URL", default="",
                       help="the sandbox whose checkout plays the paying customer")
    group.add_argument("--ws-url", env_var="LC_WS_URL", default="",
                       help="WebSocket base (default: the host with ws:// or wss://)")
    group.add_argument("--slo-file", env_var="LC_SLO_FILE", default=str(slo.DEFAULT_SLO_FILE),
                       help="thresholds of the gate (default load/slo.toml)")
    group.add_argument("--gate-out", env_var="LC_GATE_OUT",
                       default=str(REPO_ROOT / "reports" / "out" / "load" / "gate.json"),
                       help="where the gate's verdict goes as JSON")
    group.add_argument("--run-label", env_var="LC_RUN_LABEL", default="",
                       help="a label recorded in gate.json (profile, variant)")
    group.add_argument("--think-time", env_var="LC_THINK_TIME", default="1-3",
                       help="seconds a user pauses between tasks, MIN-MAX (default 1-3)")


@events.init.add_listener
def _init(environment: Any, **kwargs: Any) -> None:
    pool.register(environment)
    if isinstance(environment.runner, WorkerRunner) or environment.parsed_options is None:
        return
    try:
        slo.slo_load(Path(environment.parsed_options.slo_file))
        think_bounds(environment.parsed_options.think_time)
    except slo.SloError as error:
        logger.error("%s", error)
        sys.exit(2)
    except ValueError as error:
        logger.error("--think-time: expected MIN-MAX seconds, e.g. 1-3 (%s)", error)
        sys.exit(2)


@events.test_start.add_listener
def _test_start(environment: Any, **kwargs: Any) -> None:
    pool.distribute(environment, environment.parsed_options.accounts_file or None)


@events.test_stop.add_listener
def _test_stop(environment: Any, **kwargs: Any) -> None:
    for reason, count in Stopped.counts.most_common():
        logger.error("%d user(s) of this process stopped: %s", count, reason)


# --- the gate ----------------------------------------------------------------------------------

def endpoints_of(stats: Any) -> list[gate.Endpoint]:
    """Locust's statistics as the gate's plain rows (with each row's failure reasons)."""
    reasons: dict[tuple[str, str], dict[str, int]] = {}
    for error in stats.errors.values():
        mine = reasons.setdefault((error.method, error.name), {})
        text = gate.error_reason(str(error.error))
        mine[text] = mine.get(text, 0) + error.occurrences
    return [
        gate.Endpoint(method=entry.method, name=entry.name, requests=entry.num_requests,
                      failures=entry.num_failures, total_ms=entry.total_response_time,
                      histogram=dict(entry.response_times),
                      reasons=reasons.get((entry.method, entry.name), {}))
        for entry in stats.entries.values()
    ]


@events.quitting.add_listener
def _gate(environment: Any, **kwargs: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    options = environment.parsed_options
    objectives = slo.slo_load(Path(options.slo_file))
    verdict = gate.evaluate(objectives, endpoints_of(environment.runner.stats))
    runner = environment.runner
    settings = {
        "label": options.run_label, "host": environment.host, "users": options.num_users,
        "spawn_rate": options.spawn_rate, "run_time": options.run_time,
        "shape": type(environment.shape_class).__name__ if environment.shape_class else None,
        "workers": getattr(runner, "worker_count", 0), "slo_file": options.slo_file,
    }
    write_json(Path(options.gate_out), gate.report(verdict, objectives, settings=settings))
    title = f"SLO gate ({options.run_label})" if options.run_label else "SLO gate"
    if os.environ.get("LC_GATE_TABLE_LAST"):
        # load/run.py prints the table after Locust's own summary, as the run's last word
        logger.info("%s: %s (%s)", title, "PASS" if verdict.passed else "FAIL", options.gate_out)
    else:
        # print, not the logger: the table is the run's answer and must read as a table
        print("\n" + gate.render(verdict, title=title), flush=True)
        print(f"gate verdict written to {options.gate_out}", flush=True)
    environment.process_exit_code = 0 if verdict.passed else 1


# --- the users ---------------------------------------------------------------------------------


class BrowsingUser(Customer):
    """Opens the app, looks around the catalog, the home screen and the notifications."""

    weight = 4

    @task(3)
    def categories(self) -> None:
        self.api.call("GET", "/api/services/categories/", auth=False, keys=("results",))

    @task(4)
    def items_of_a_category(self) -> None:
        Catalog.known(self.api)
        category = random.choice(Catalog.categories or [{"id": ""}])["id"]
        self.api.call("GET", f"/api/services/items/?category={category}", auth=False,
                      name="/api/services/items/?category={id}", keys=("results",))

    @task(2)
    def item(self) -> None:
        Catalog.known(self.api)
        if not Catalog.items:
            raise StepFailed(f"no item to open: {Catalog.problem}")  # counted where it failed
        item = random.choice(Catalog.items)["id"]
        self.api.call("GET", f"/api/services/items/{item}/", auth=False,
                      name="/api/services/items/{id}/", keys=("id", "base_price"))

    @task(3)
    def dashboard(self) -> None:
        self.logged_in()
        self.api.call("GET", "/api/mobile/dashboard/",
                      keys=("active_orders", "wallet_balance", "unread_notifications"))

    @task(2)
    def notifications(self) -> None:
        self.logged_in()
        self.api.call("GET", "/api/notifications/notifications/", keys=("results",))

    @task(2)
    def unread_count(self) -> None:
        self.logged_in()
        self.api.call("GET", "/api/notifications/notifications/unread_count/", keys=("count",))

    @task(1)
    def config(self) -> None:
        self.api.call("GET", "/api/mobile/config/", auth=False, keys=("pickup_time_slots",))

    @task(1)
    def my_orders(self) -> None:
        self.logged_in()
        self.api.call("GET", ORDERS, keys=("results",))


class OrderingUser(Customer):
    """Photographs the garments, orders, pays online through checkout, follows the order."""

    weight = 2

    @task(4)
    def order_and_pay_online(self) -> None:
        self.logged_in()
        image_ids = self.photos_upload(random.randint(1, 3))
        order = self.order_create(payment_method="online", image_ids=image_ids)
        with journey(self, "payment online"):
            payment = self.api.call(
                "POST", "/api/payments/payments/", expect=HTTPStatus.CREATED,
                keys=("id", "gateway_order_id"),
                json_body={"order_id": order["id"], "method": "online"})
            receipt = self.checkout(payment["gateway_order_id"])
            self.verify(payment["id"], receipt)
            self.order_paid(order["id"])
        self.api.call("GET", f"{ORDERS}{order['id']}/track/",
                      name=f"{ORDERS}{{id}}/track/", keys=("status", "status_history"))

    def photos_upload(self, count: int) -> list[str]:
        """Upload journeys: each photo stored and its thumbnail served. The order goes on with
        the photos that made it."""
        stored = []
        for photo in random.sample(photos(), k=count):
            body, content_type = multipart(photo)
            try:
                with journey(self, "upload"):
                    image = self.api.call(
                        "POST", "/api/mobile/upload-image/", expect=HTTPStatus.CREATED,
                        data=body, headers={"Content-Type": content_type},
                        keys=("id", "url", "thumbnail_url"))
                    self.api.fetch(image["thumbnail_url"], name="media: thumbnail")
            except StepFailed:
                continue
            stored.append(image["id"])
        return stored

    @task(2)
    def follow_an_order(self) -> None:
        self.logged_in()
        if not self.orders:
            self.api.call("GET", ORDERS, keys=("results",))
            return
        order_id = random.choice(self.orders)
        self.api.call("GET", f"{ORDERS}{order_id}/", name=f"{ORDERS}{{id}}/",
                      keys=("status", "items"))
        self.api.call("GET", f"{ORDERS}{order_id}/track/",
                      name=f"{ORDERS}{{id}}/track/", keys=("status", "status_history"))

    @task(1)
    def history(self) -> None:
        self.logged_in()
        self.api.call("GET", f"{ORDERS}history/", keys=("results",))


class WalletUser(Customer):
    """Keeps money in the app's wallet: tops it up through checkout, pays orders from it."""

    weight = 3

    @task(2)
    def top_up(self, amount: int = TOP_UP_RUPEES) -> None:
        self.logged_in()
        with journey(self, "wallet top-up"):
            before = self.wallet_balance()
            start = self.api.call(
                "POST", "/api/payments/wallets/add-money/", expect=HTTPStatus.CREATED,
                keys=("payment_id", "gateway_order_id"), json_body={"amount": amount})
            receipt = self.checkout(start["gateway_order_id"])
            self.verify(start["payment_id"], receipt)
            self.api.call(
                "GET", "/api/payments/wallets/", keys=("balance",),
                check=lambda body: None if money(body["balance"]) >= before + amount
                else f"balance {body['balance']} after a top-up of {amount} from {before}")

    @task(3)
    def pay_from_wallet(self) -> None:
        self.logged_in()
        order = self.order_create(payment_method="wallet")
        short = money(order["total"]) - self.wallet_balance()
        if short > 0:
            # whole hundreds, at least the usual top-up, at most what add-money accepts
            self.top_up(min(TOP_UP_LIMIT, max(TOP_UP_RUPEES, math.ceil(short / 100) * 100)))
        with journey(self, "payment wallet"):
            self.api.call(
                "POST", "/api/payments/payments/", expect=HTTPStatus.CREATED, keys=("status",),
                json_body={"order_id": order["id"], "method": "wallet"},
                check=lambda body: None if body["status"] == "captured"
                else f"wallet payment is {body['status']}, not captured")
            self.order_paid(order["id"])

    @task(1)
    def transactions(self) -> None:
        self.logged_in()
        self.api.call("GET", "/api/payments/wallets/transactions/", keys=("results",))


def seq_of(value: Any) -> int:
    """A chat sequence number as the server sent it; 0 for one that is not a number."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class ChattingUser(Customer):
    """Talks to support in the chat room of an order, with the notification socket open."""

    weight = 1

    def on_start(self) -> None:
        self.room: dict | None = None
        self.chat: Socket | None = None
        self.notifications: Socket | None = None
        self.last_seq = 0
        super().on_start()

    def on_stop(self) -> None:
        for socket in (self.chat, self.notifications):
            if socket is not None:
                socket.close()
        super().on_stop()

    def ws_base(self) -> str:
        given = self.environment.parsed_options.ws_url
        if given:
            return given.rstrip("/")
        parts = urlsplit(self.host or self.environment.host)
        return urlunsplit(parts._replace(scheme="wss" if parts.scheme == "https" else "ws",
                                         path="", query="", fragment=""))

    def in_room(self) -> tuple[dict, Socket]:
        self.logged_in()
        if self.room is None:
            order = self.order_create(payment_method="cash")
            self.room = self.api.call("POST", "/api/chat/rooms/",
                                      expect=(HTTPStatus.CREATED, HTTPStatus.OK), keys=("id",),
                                      json_body={"order_id": order["id"]})
        self.chat, hello = self.socket(self.chat, f"/ws/chat/{self.room['id']}/",
                                       "/ws/chat/{room_id}/")
        if hello is not None:
            self.last_seq = seq_of(hello.get("last_seq"))
        return self.room, self.chat

    def socket(self, socket: Socket | None, path: str, name: str) -> tuple[Socket, dict | None]:
        """`socket` if it is open on a token that is still good; else a socket opened anew on
        `path` with the current token, and its greeting. A socket whose token is due for
        refreshing, or that the server closed as its token expired, is opened again with the
        fresh one (the app's reconnect, not a failure); one that ended otherwise is counted as
        dropped first."""
        if socket is not None and socket.open and self.api.token_expiring(socket.token):
            socket.close()
        elif socket is not None and not socket.open:
            if closed_by_expiry(socket.token):
                socket.close()
            else:
                socket.report_drop()
        if socket is not None and socket.open:
            return socket, None
        self.api.token_fresh()
        socket = Socket(self.environment, f"{self.ws_base()}{path}?token={self.api.access}", name,
                        token=self.api.access)
        return socket, socket.connect()

    @task(5)
    def say_something(self) -> None:
        _, chat = self.in_room()
        client_id = str(uuid.uuid4())
        frame = chat.exchange(
            {"type": "chat_message", "message": random.choice(MESSAGES), "client_id": client_id},
            lambda frame: frame.get("type") == "chat_message"
            and (frame.get("message") or {}).get("client_id") == client_id,
            action="chat_message")
        self.last_seq = max(self.last_seq, seq_of(frame["message"].get("seq")))

    @task(2)
    def read_history(self) -> None:
        room, _ = self.in_room()
        self.api.call("GET", f"/api/chat/rooms/{room['id']}/messages/?after_seq="
                      f"{max(0, self.last_seq - 20)}",
                      name="/api/chat/rooms/{id}/messages/", keys=("results",))

    @task(1)
    def mark_read(self) -> None:
        room, _ = self.in_room()
        self.api.call("POST", f"/api/chat/rooms/{room['id']}/read/",
                      name="/api/chat/rooms/{id}/read/", json_body={"up_to_seq": self.last_seq},
                      keys=("unread_count",))

    @task(1)
    def rooms(self) -> None:
        self.logged_in()
        self.api.call("GET", "/api/chat/rooms/", keys=("results",))

    @task(1)
    def notification_ping(self) -> None:
        self.logged_in()
        self.notifications, _ = self.socket(self.notifications, "/ws/notifications/",
                                            "/ws/notifications/")
        self.notifications.exchange({"type": "ping"}, lambda frame: frame.get("type") == "pong",
                                    action="ping")


MESSAGES = (
    "Hi, when will my clothes be picked up?",
    "Can you take extra care with the silk saree?",
    "Please call before you come.",
    "Is same-day delivery possible?",
    "Thanks!",
)
