"""What the sandbox remembers: its test credentials, the faults, and what each emulator received.

Everything lives in memory for the life of one process. Each store guards itself with a lock, so
handlers may run as concurrent tasks (or, under a test client, in other threads). The gateway's
store is a plain container: the rules that read and change it (`gateway/`) run inside
`GatewayStore.lock`, so that a check and the change it allows are one step.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from sandbox.faults import FaultRegistry

if TYPE_CHECKING:
    from starlette.requests import Request

DEFAULT_TWILIO_ACCOUNT_SID = "AC5a4db0c05a4db0c05a4db0c05a4db0c0"
DEFAULT_TWILIO_AUTH_TOKEN = "sandbox-twilio-token"  # noqa: S105 - a test credential
DEFAULT_RAZORPAY_KEY_ID = "rzp_test_sandbox0001"
DEFAULT_RAZORPAY_KEY_SECRET = "sandbox-razorpay-key-secret"  # noqa: S105 - a test credential
DEFAULT_RAZORPAY_WEBHOOK_SECRET = "sandbox-razorpay-webhook-secret"  # noqa: S105 - a test secret
DEFAULT_RAZORPAY_ACCOUNT_ID = "acc_SandboxAcct0001"
RAZORPAY_TEST_KEY_PREFIX = "rzp_test_"
DEFAULT_WEBHOOK_MAX_ATTEMPTS = 5
DEFAULT_WEBHOOK_BACKOFF_SECONDS = 0.5
DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 5.0
MAX_WEBHOOK_ATTEMPTS = 20
MAX_WEBHOOK_SECONDS = 60.0


def webhook_url_error(url: Any) -> str | None:
    """Why `url` cannot receive webhooks, or None when it can (an absolute http(s) URL)."""
    if not isinstance(url, str):
        return f"the webhook URL must be a string, got {url!r}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"the webhook URL must be an absolute http:// or https:// URL, got {url!r}"
    return None


def webhook_setting_error(name: str, value: Any) -> str | None:
    """Why `value` is not a valid webhook delivery setting `name`, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"'{name}' must be a number, got {value!r}"
    if name == "max_attempts":
        if not isinstance(value, int) or not 1 <= value <= MAX_WEBHOOK_ATTEMPTS:
            return (
                f"'max_attempts' must be an integer from 1 to {MAX_WEBHOOK_ATTEMPTS}, got {value}"
            )
    elif not 0 < value <= MAX_WEBHOOK_SECONDS:
        return f"'{name}' must be more than 0 and at most {MAX_WEBHOOK_SECONDS:g}, got {value}"
    return None


def _env_number(environ: Mapping[str, str], name: str, setting: str, default: float) -> Any:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value: float = int(raw) if setting == "max_attempts" else float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    error = webhook_setting_error(setting, value)
    if error:
        raise ValueError(f"{name}: {error}")
    return value


@dataclass(frozen=True)
class SandboxConfig:
    """The test credentials each emulator accepts, and where gateway webhooks go."""

    twilio_account_sid: str = DEFAULT_TWILIO_ACCOUNT_SID
    twilio_auth_token: str = DEFAULT_TWILIO_AUTH_TOKEN
    razorpay_key_id: str = DEFAULT_RAZORPAY_KEY_ID
    razorpay_key_secret: str = DEFAULT_RAZORPAY_KEY_SECRET
    razorpay_webhook_secret: str = DEFAULT_RAZORPAY_WEBHOOK_SECRET
    razorpay_account_id: str = DEFAULT_RAZORPAY_ACCOUNT_ID
    webhook_url: str | None = None
    webhook_max_attempts: int = DEFAULT_WEBHOOK_MAX_ATTEMPTS
    webhook_backoff_seconds: float = DEFAULT_WEBHOOK_BACKOFF_SECONDS
    webhook_timeout_seconds: float = DEFAULT_WEBHOOK_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        # The sandbox must never hold, or teach a backend to send, a live Razorpay key.
        if not self.razorpay_key_id.startswith(RAZORPAY_TEST_KEY_PREFIX):
            raise ValueError(
                f"the sandbox accepts only Razorpay test keys ({RAZORPAY_TEST_KEY_PREFIX}...), "
                f"got {self.razorpay_key_id!r}: set LC_SANDBOX_RAZORPAY_KEY_ID to a test key id"
            )
        if self.webhook_url is not None:
            error = webhook_url_error(self.webhook_url)
            if error:
                raise ValueError(f"LC_SANDBOX_WEBHOOK_URL: {error}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SandboxConfig:
        """The configuration from LC_SANDBOX_* variables; raises ValueError on a bad value."""
        environ = os.environ if environ is None else environ
        return cls(
            twilio_account_sid=(
                environ.get("LC_SANDBOX_TWILIO_ACCOUNT_SID") or DEFAULT_TWILIO_ACCOUNT_SID
            ),
            twilio_auth_token=(
                environ.get("LC_SANDBOX_TWILIO_AUTH_TOKEN") or DEFAULT_TWILIO_AUTH_TOKEN
            ),
            razorpay_key_id=environ.get("LC_SANDBOX_RAZORPAY_KEY_ID") or DEFAULT_RAZORPAY_KEY_ID,
            razorpay_key_secret=(
                environ.get("LC_SANDBOX_RAZORPAY_KEY_SECRET") or DEFAULT_RAZORPAY_KEY_SECRET
            ),
            razorpay_webhook_secret=(
                environ.get("LC_SANDBOX_RAZORPAY_WEBHOOK_SECRET")
                or DEFAULT_RAZORPAY_WEBHOOK_SECRET
            ),
            webhook_url=environ.get("LC_SANDBOX_WEBHOOK_URL") or None,
            webhook_max_attempts=_env_number(
                environ, "LC_SANDBOX_WEBHOOK_MAX_ATTEMPTS", "max_attempts",
                DEFAULT_WEBHOOK_MAX_ATTEMPTS,
            ),
            webhook_backoff_seconds=_env_number(
                environ, "LC_SANDBOX_WEBHOOK_BACKOFF_SECONDS", "backoff_seconds",
                DEFAULT_WEBHOOK_BACKOFF_SECONDS,
            ),
            webhook_timeout_seconds=_env_number(
                environ, "LC_SANDBOX_WEBHOOK_TIMEOUT_SECONDS", "timeout_seconds",
                DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
            ),
        )


class SmsStore:
    """Messages accepted by the SMS emulator, by sid and by recipient, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, dict[str, Any]] = {}
        self._by_to: dict[str, list[str]] = {}

    def add(self, message: dict[str, Any]) -> None:
        with self._lock:
            self._by_sid[message["sid"]] = message
            self._by_to.setdefault(message["to"], []).append(message["sid"])

    def get(self, sid: str) -> dict[str, Any] | None:
        with self._lock:
            message = self._by_sid.get(sid)
            return dict(message) if message is not None else None

    def received_by(self, to: str | None) -> list[dict[str, Any]]:
        """Messages sent to `to` (every message when `to` is None), oldest first."""
        with self._lock:
            if to is None:
                return [dict(message) for message in self._by_sid.values()]
            return [dict(self._by_sid[sid]) for sid in self._by_to.get(to, [])]


@dataclass
class GatewayStore:
    """The gateway's entities by id, as Razorpay shows them, plus what only the sandbox knows.

    Read and change it only inside `with store.lock:` (see `gateway/`).
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (key_id, receipt) -> order id: the sandbox's receipt de-duplication.
    order_by_receipt: dict[tuple[str, str], str] = field(default_factory=dict)
    # order id -> whether checkout captures at once (Razorpay's `payment_capture`).
    auto_capture: dict[str, bool] = field(default_factory=dict)
    # card fingerprint (a hash, never the number) -> token id, and token id -> a test card that
    # fails at checkout.
    token_by_fingerprint: dict[str, str] = field(default_factory=dict)
    declining_tokens: set[str] = field(default_factory=set)


@dataclass
class WebhookSettings:
    """Where and how gateway webhooks are delivered; changed at run time by the control API."""

    url: str | None
    max_attempts: int
    backoff_seconds: float
    timeout_seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "max_attempts": self.max_attempts,
            "backoff_seconds": self.backoff_seconds,
            "timeout_seconds": self.timeout_seconds,
        }


class WebhookLog:
    """Every webhook event the gateway raised and every delivery of it, attempt by attempt.

    An event is one `X-Razorpay-Event-Id` with its exact body; a delivery is one copy of it sent
    to the webhook URL (more than one with `webhook_duplicate`, or after a replay), with its
    attempts. Deliveries are listed oldest first.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, dict[str, Any]] = {}
        self._deliveries: dict[str, dict[str, Any]] = {}

    def add_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._events[event["event_id"]] = event

    def event(self, event_id: str) -> dict[str, Any] | None:
        with self._lock:
            event = self._events.get(event_id)
            return dict(event) if event is not None else None

    def add_delivery(self, delivery: dict[str, Any]) -> None:
        with self._lock:
            self._deliveries[delivery["delivery_id"]] = delivery

    def update_delivery(self, delivery_id: str, **changes: Any) -> None:
        with self._lock:
            self._deliveries[delivery_id].update(changes)

    def add_attempt(self, delivery_id: str, attempt: dict[str, Any]) -> None:
        with self._lock:
            self._deliveries[delivery_id]["attempts"].append(attempt)

    def deliveries(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        """Deliveries whose event fields equal every filter given, oldest first."""
        with self._lock:
            found = []
            for delivery in self._deliveries.values():
                if all(delivery.get(key) == value for key, value in filters.items()):
                    copied = dict(delivery)
                    copied["attempts"] = [dict(attempt) for attempt in delivery["attempts"]]
                    found.append(copied)
            return found


class PushStore:
    """Push messages the devices received, receipts by id, and tokens marked unregistered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[tuple[str, dict[str, Any]]] = []
        self._receipts: dict[str, str] = {}
        self._unregistered: set[str] = set()

    def deliver(self, token: str, message: dict[str, Any], receipt_id: str) -> None:
        with self._lock:
            self._received.append((token, message))
            self._receipts[receipt_id] = token

    def received_by(self, token: str | None) -> list[dict[str, Any]]:
        """Messages `token` received (every message when None), oldest first."""
        with self._lock:
            return [
                dict(message)
                for to, message in self._received
                if token is None or to == token
            ]

    def receipt_token(self, receipt_id: str) -> str | None:
        with self._lock:
            return self._receipts.get(receipt_id)

    def unregister(self, token: str) -> None:
        with self._lock:
            self._unregistered.add(token)

    def is_unregistered(self, token: str) -> bool:
        with self._lock:
            return token in self._unregistered


class SandboxState:
    """The one state object of a sandbox process, shared by every emulator and the control API."""

    def __init__(self, config: SandboxConfig, log_stream: TextIO | None = None) -> None:
        self.config = config
        self.log_stream = log_stream
        self.faults = FaultRegistry()
        self.sms = SmsStore()
        self.gateway = GatewayStore()
        self.webhook_settings = WebhookSettings(
            url=config.webhook_url,
            max_attempts=config.webhook_max_attempts,
            backoff_seconds=config.webhook_backoff_seconds,
            timeout_seconds=config.webhook_timeout_seconds,
        )
        self.webhooks = WebhookLog()
        # Webhook deliveries running in the background; held here so none is garbage-collected.
        self.tasks: set[asyncio.Task[None]] = set()
        self.push = PushStore()


def sandbox_state(request: Request) -> SandboxState:
    """The state of the sandbox app that serves `request` (set by `create_app`)."""
    return request.app.state.sandbox
