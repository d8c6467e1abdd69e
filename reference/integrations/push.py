"""Push notifications through Expo's official SDK (`exponent_server_sdk`), pointed at
LC_EXPO_BASE_URL (the sandbox by default).

`push_send` returns one outcome per token, in order; a token Expo calls DeviceNotRegistered is
reported so that the caller forgets it. A failure of the whole request (unreachable, timed out,
5xx, an unreadable reply) raises PushUnavailable: the caller logs it, since a notification is
never worth failing the request that caused it.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from exponent_server_sdk import PushClient, PushMessage, PushServerError, PushTicket

logger = logging.getLogger(__name__)

DEVICE_NOT_REGISTERED = PushTicket.ERROR_DEVICE_NOT_REGISTERED
INVALID_TOKEN = "InvalidPushToken"  # noqa: S105 - an error name, not a secret


class PushUnavailable(Exception):
    """The push service did not take the request (unreachable, timed out, refused it whole)."""


@dataclass(frozen=True)
class PushOutcome:
    """What the push service answered for one token."""

    token: str
    receipt_id: str | None = None
    error: str | None = None  # Expo's `details.error`, e.g. DeviceNotRegistered, MessageTooBig

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def device_not_registered(self) -> bool:
        """The device is gone: stop sending to this token."""
        return self.error in {DEVICE_NOT_REGISTERED, INVALID_TOKEN}


def push_send(
    *, tokens: Sequence[str], title: str, body: str, data: Mapping[str, Any] | None = None
) -> list[PushOutcome]:
    """Send one notification to every token; return an outcome per token, in order.

    Raises PushUnavailable when the request as a whole fails.
    """
    if not tokens:
        return []
    outcomes: dict[int, PushOutcome] = {}
    messages: list[tuple[int, PushMessage]] = []
    for index, token in enumerate(tokens):
        # The SDK refuses the whole batch for one malformed token; Expo would never deliver it.
        if not PushClient.is_exponent_push_token(token):
            outcomes[index] = PushOutcome(token=token, error=INVALID_TOKEN)
            continue
        messages.append(
            (
                index,
                PushMessage(
                    to=token, title=title, body=body, data=dict(data or {}), sound="default"
                ),
            )
        )
    if messages:
        client = PushClient(host=settings.EXPO_BASE_URL, timeout=settings.EXPO_TIMEOUT_SECONDS)
        try:
            tickets = client.publish_multiple([message for _, message in messages])
        except (PushServerError, requests.RequestException, ValueError) as exc:
            raise PushUnavailable(f"push to {len(messages)} device(s) failed: {exc}") from exc
        finally:
            client.session.close()
        for (index, message), ticket in zip(messages, tickets, strict=True):
            if ticket.is_success():
                outcomes[index] = PushOutcome(token=message.to, receipt_id=ticket.id or None)
            else:
                error = (ticket.details or {}).get("error") or ticket.message or "PushTicketError"
                outcomes[index] = PushOutcome(token=message.to, error=str(error))
    result = [outcomes[index] for index in range(len(tokens))]
    logger.info(
        "push sent ok=%d failed=%d", sum(o.ok for o in result), sum(not o.ok for o in result)
    )
    return result
