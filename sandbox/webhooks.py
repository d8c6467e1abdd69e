"""Gateway webhooks: Razorpay's event bodies, their signature, and delivery with retries.

An event is serialised once; those exact bytes are signed (`X-Razorpay-Signature`, hex
HMAC-SHA256 with the webhook secret) and sent on every attempt and every copy, with the same
`X-Razorpay-Event-Id`. Delivery runs as a background asyncio task, so the call that raised the
event (a checkout, a capture, a refund) answers at once. The events of one call go out one after
another (the next starts once the previous one's first attempt is over); an attempt that gets no
2xx within the timeout is retried with a doubling backoff, up to the configured number of
attempts. Every attempt is recorded in the `WebhookLog` for tests to poll.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import secrets
import ssl
import string
import sys
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from sandbox.state import SandboxState, WebhookSettings

BASE62 = string.digits + string.ascii_letters
USER_AGENT = "Razorpay-Webhook/v1"


@functools.cache
def _tls() -> ssl.SSLContext:
    # Made once: loading the CA bundle for every delivery's client took ~90 ms of the event
    # loop each, so a burst of webhooks stalled every other request the sandbox serves.
    return httpx.create_ssl_context()
WEBHOOK_FAULTS = (
    "webhook_duplicate",
    "webhook_delay",
    "webhook_bad_signature",
    "webhook_fail_once",
)


def razorpay_id(prefix: str) -> str:
    """An id as Razorpay writes them: `<prefix>_` and 14 base62 characters."""
    return f"{prefix}_" + "".join(secrets.choice(BASE62) for _ in range(14))


def sign(secret: str, message: bytes | str) -> str:
    """Hex HMAC-SHA256 of `message` with `secret`, as Razorpay signs checkouts and webhooks."""
    if isinstance(message, str):
        message = message.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Event:
    """One gateway event to announce: its name, the entities it carries (snapshots), whose it is."""

    name: str
    payload: dict[str, dict[str, Any]]
    order_id: str | None
    payment_id: str | None
    receipt: str | None
    refund_id: str | None = None


@dataclass
class _Plan:
    """How one event is delivered: its log record and the webhook faults it plays."""

    event: dict[str, Any]
    copies: int = 1
    delay: float | None = None
    bad_signature: bool = False
    fail_once: bool = False
    faults: list[str] = field(default_factory=list)


def _attributes(event: Event, key_id: str, name: str | None) -> dict[str, str | None]:
    return {
        "order_id": event.order_id,
        "receipt": event.receipt,
        "payment_id": event.payment_id,
        "key_id": key_id,
        "event": name,
    }


def _record(state: SandboxState, event: Event) -> dict[str, Any]:
    """Serialise and sign `event` once, and log it."""
    created_at = int(time.time())
    body = {
        "entity": "event",
        "account_id": state.config.razorpay_account_id,
        "event": event.name,
        "contains": list(event.payload),
        "payload": event.payload,
        "created_at": created_at,
    }
    text = json.dumps(body, separators=(",", ":"))
    record = {
        "event_id": razorpay_id("evt"),
        "event": event.name,
        "order_id": event.order_id,
        "payment_id": event.payment_id,
        "refund_id": event.refund_id,
        "created_at": created_at,
        "body": text,
        "signature": sign(state.config.razorpay_webhook_secret, text),
    }
    state.webhooks.add_event(record)
    return record


def _plan(state: SandboxState, event: Event, key_id: str) -> _Plan:
    plan = _Plan(event=_record(state, event))
    attributes = _attributes(event, key_id, event.name)
    # Unlike an API call, one webhook may play several faults at once (one of each kind).
    for kind in WEBHOOK_FAULTS:
        fault = state.faults.take("gateway", attributes, (kind,))
        if fault is None:
            continue
        plan.faults.append(kind)
        if kind == "webhook_duplicate":
            plan.copies = fault.copies or 2
        elif kind == "webhook_delay":
            plan.delay = fault.seconds
        elif kind == "webhook_bad_signature":
            plan.bad_signature = True
        else:
            plan.fail_once = True
    return plan


def emit(state: SandboxState, key_id: str, events: list[Event]) -> None:
    """Log `events`, decide their faults now, and deliver them in the background, in order.

    Must be called from the event loop (a request handler). Without a webhook URL the events
    are logged with deliveries in state `no_url` and nothing is sent.
    """
    if not events:
        return
    batch = _attributes(events[0], key_id, None)
    reverse = state.faults.take("gateway", batch, ("webhook_out_of_order",))
    plans = [_plan(state, event, key_id) for event in events]
    if reverse is not None:
        plans.reverse()
        for plan in plans:
            plan.faults.append("webhook_out_of_order")
    settings = state.webhook_settings
    deliveries = [
        [_new_delivery(state, plan, settings, copy, "event") for copy in range(1, plan.copies + 1)]
        for plan in plans
    ]
    if settings.url is None:
        return
    _spawn(state, _deliver_in_order(state, settings, list(zip(plans, deliveries, strict=True))))


def redeliver(state: SandboxState, event_id: str) -> dict[str, Any] | None:
    """Send a logged event again, byte for byte and correctly signed (a replay); None if unknown.

    Must be called from the event loop.
    """
    event = state.webhooks.event(event_id)
    if event is None:
        return None
    settings = state.webhook_settings
    plan = _Plan(event=event)
    delivery = _new_delivery(state, plan, settings, 1, "replay")
    if settings.url is not None:
        _spawn(state, _deliver(state, settings, plan, delivery, asyncio.Event()))
    return delivery


def _new_delivery(
    state: SandboxState, plan: _Plan, settings: WebhookSettings, copy: int, reason: str
) -> dict[str, Any]:
    event = plan.event
    signature = event["signature"]
    if plan.bad_signature:
        signature = sign(state.config.razorpay_webhook_secret + "-but-wrong", event["body"])
    delivery = {
        "delivery_id": "dlv_" + secrets.token_hex(8),
        "event_id": event["event_id"],
        "event": event["event"],
        "order_id": event["order_id"],
        "payment_id": event["payment_id"],
        "refund_id": event["refund_id"],
        "copy": copy,
        "reason": reason,
        "faults": list(plan.faults),
        "url": settings.url,
        "state": "pending" if settings.url is not None else "no_url",
        "delivered_at": None,
        "body": event["body"],
        "signature": signature,
        "attempts": [],
    }
    state.webhooks.add_delivery(delivery)
    return delivery


def _spawn(state: SandboxState, work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)


async def _deliver_in_order(
    state: SandboxState,
    settings: WebhookSettings,
    plans: list[tuple[_Plan, list[dict[str, Any]]]],
) -> None:
    for plan, deliveries in plans:
        first_attempts = []
        for delivery in deliveries:
            first_attempt_over = asyncio.Event()
            _spawn(state, _deliver(state, settings, plan, delivery, first_attempt_over))
            # A delayed event does not hold back the ones after it: they overtake it.
            if plan.delay is None:
                first_attempts.append(first_attempt_over.wait())
        await asyncio.gather(*first_attempts)


async def _deliver(
    state: SandboxState,
    settings: WebhookSettings,
    plan: _Plan,
    delivery: dict[str, Any],
    first_attempt_over: asyncio.Event,
) -> None:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Razorpay-Event-Id": delivery["event_id"],
        "X-Razorpay-Signature": delivery["signature"],
    }
    body = delivery["body"].encode()
    try:
        if plan.delay:
            await asyncio.sleep(plan.delay)
        async with httpx.AsyncClient(
            verify=_tls(),
            timeout=settings.timeout_seconds, trust_env=False, follow_redirects=False
        ) as http:
            for attempt in range(1, settings.max_attempts + 1):
                delivered = await _attempt(
                    state, http, delivery, attempt, body, headers,
                    reply_lost=plan.fail_once and delivery["copy"] == 1 and attempt == 1,
                )
                first_attempt_over.set()
                if delivered:
                    return
                if attempt < settings.max_attempts:
                    await asyncio.sleep(settings.backoff_seconds * 2 ** (attempt - 1))
        state.webhooks.update_delivery(delivery["delivery_id"], state="failed")
    finally:
        first_attempt_over.set()


async def _attempt(
    state: SandboxState,
    http: httpx.AsyncClient,
    delivery: dict[str, Any],
    attempt: int,
    body: bytes,
    headers: dict[str, str],
    *,
    reply_lost: bool,
) -> bool:
    """One POST to the webhook URL, logged; True when it counts as delivered."""
    started_at = _now()
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    try:
        response = await http.post(delivery["url"], content=body, headers=headers)
        status_code = response.status_code
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
    answered_2xx = status_code is not None and 200 <= status_code < 300
    if reply_lost:
        outcome = "reply_lost"
        error = "sandbox fault webhook_fail_once: the receiver's reply is treated as lost"
    elif answered_2xx:
        outcome = "delivered"
    else:
        outcome = "failed"
    finished_at = _now()
    state.webhooks.add_attempt(
        delivery["delivery_id"],
        {
            "attempt": attempt,
            "started_at": started_at,
            "finished_at": finished_at,
            "status_code": status_code,
            "outcome": outcome,
            "error": error,
        },
    )
    if outcome == "delivered":
        state.webhooks.update_delivery(
            delivery["delivery_id"], state="delivered", delivered_at=finished_at
        )
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(
        f"{finished_at} webhook {delivery['event']} {delivery['event_id']} copy {delivery['copy']} "
        f"attempt {attempt} -> POST {delivery['url']} {status_code or error} "
        f"{elapsed_ms:.1f}ms {outcome}",
        file=state.log_stream or sys.stdout,
        flush=True,
    )
    return outcome == "delivered"
