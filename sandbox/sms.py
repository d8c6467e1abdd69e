"""SMS emulator, wire-compatible with Twilio's Messages API as the official `twilio` SDK calls it.

The SDK posts form fields (To, From, Body, ...) to
`/2010-04-01/Accounts/{AccountSid}/Messages.json` with basic auth `AccountSid:AuthToken` and
reads the message resource back as JSON; errors are Twilio's `{code, message, more_info, status}`.
A message the sandbox accepts lands in the recipient's inbox (`GET /_sandbox/sms/?to=`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import re
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.state import SandboxState, sandbox_state

API_VERSION = "2010-04-01"
E164 = re.compile(r"\+[1-9]\d{1,14}")
MAX_BODY_CHARS = 1600
REQUEST_FAULTS = ("http_5xx", "slow", "timeout", "decline")

# GSM 03.38: the basic set costs one septet, the extension set two (escape + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def twilio_error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An error body as Twilio's REST API writes it (the SDK reads `code` and `message`)."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers)


def num_segments(body: str) -> int:
    """How many SMS segments Twilio would bill for `body` (GSM-7 or UCS-2)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in body):
        units = len(body) + sum(char in GSM7_EXTENSION for char in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.replace(microsecond=0), usegmt=False)


def _authenticate(request: Request, state: SandboxState) -> Response | None:
    """None when the request carries the sandbox's test credentials, else Twilio's 401."""
    expected_sid = state.config.twilio_account_sid
    expected_token = state.config.twilio_auth_token
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user, password = "", ""
    valid = (
        scheme.lower() == "basic"
        and hmac.compare_digest(user.encode(), expected_sid.encode())
        and hmac.compare_digest(password.encode(), expected_token.encode())
    )
    if not valid:
        return twilio_error(
            HTTPStatus.UNAUTHORIZED,
            20003,
            "Authenticate",
            headers={"WWW-Authenticate": 'Basic realm="Twilio API"'},
            detail="Your AccountSid or AuthToken was incorrect: the sandbox accepts only the "
            "credentials set by LC_SANDBOX_TWILIO_ACCOUNT_SID and LC_SANDBOX_TWILIO_AUTH_TOKEN.",
        )
    if request.path_params["account_sid"] != expected_sid:
        return twilio_error(
            HTTPStatus.UNAUTHORIZED,
            20003,
            "Authenticate",
            detail=f"The account {request.path_params['account_sid']} in the URL is not the "
            "account of the credentials.",
        )
    return None


def _message_resource(
    *, sid: str, account_sid: str, fields: dict[str, str], media: list[str], now: datetime
) -> dict[str, Any]:
    base = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    from_ = fields.get("From") or None
    service_sid = fields.get("MessagingServiceSid") or None
    body = fields.get("Body", "")
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": _rfc2822(now),
        "date_sent": None,
        "date_updated": _rfc2822(now),
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": from_,
        "messaging_service_sid": service_sid,
        "num_media": str(len(media)),
        "num_segments": str(num_segments(body)),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "accepted" if from_ is None else "queued",
        "subresource_uris": {
            "media": f"{base}/Media.json",
            "feedback": f"{base}/Feedback.json",
        },
        "to": fields["To"],
        "uri": f"{base}.json",
    }


async def _apply_fault(request: Request, state: SandboxState, to: str) -> Response | None:
    """Play the fault switched on for this recipient, if any; None means answer normally."""
    fault = state.faults.take("sms", {"to": to}, REQUEST_FAULTS)
    if fault is None:
        return None
    request.state.fault = fault.fault
    if fault.fault == "slow":
        await asyncio.sleep(fault.seconds or 0)
        return None
    if fault.fault == "timeout":
        await asyncio.sleep(fault.seconds or 0)
        return JSONResponse(
            {"status": HTTPStatus.GATEWAY_TIMEOUT, "message": "Gateway Timeout (sandbox fault)"},
            status_code=HTTPStatus.GATEWAY_TIMEOUT,
        )
    if fault.fault == "http_5xx":
        status = fault.status or HTTPStatus.INTERNAL_SERVER_ERROR
        return twilio_error(status, 20500, "Internal Server Error (sandbox fault http_5xx)")
    return twilio_error(
        HTTPStatus.BAD_REQUEST, 21610, "Attempt to send to unsubscribed recipient"
    )


async def messages_create(request: Request) -> Response:
    state = sandbox_state(request)
    denied = _authenticate(request, state)
    if denied is not None:
        return denied
    pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    fields = dict(pairs)
    media = [value for key, value in pairs if key == "MediaUrl"]
    to = fields.get("To", "")
    if not to:
        return twilio_error(HTTPStatus.BAD_REQUEST, 21604, "A 'To' phone number is required.")
    if not E164.fullmatch(to):
        return twilio_error(
            HTTPStatus.BAD_REQUEST, 21211, f"The 'To' number {to} is not a valid phone number."
        )
    if not fields.get("From") and not fields.get("MessagingServiceSid"):
        return twilio_error(HTTPStatus.BAD_REQUEST, 21603, "A 'From' phone number is required.")
    if not fields.get("Body") and not media:
        return twilio_error(HTTPStatus.BAD_REQUEST, 21602, "Message body is required.")
    if len(fields.get("Body", "")) > MAX_BODY_CHARS:
        return twilio_error(
            HTTPStatus.BAD_REQUEST,
            21617,
            f"The concatenated message body exceeds the {MAX_BODY_CHARS} character limit.",
        )
    faulted = await _apply_fault(request, state, to)
    if faulted is not None:
        return faulted
    now = datetime.now(UTC)
    resource = _message_resource(
        sid="SM" + secrets.token_hex(16),
        account_sid=state.config.twilio_account_sid,
        fields=fields,
        media=media,
        now=now,
    )
    state.sms.add(
        {
            "sid": resource["sid"],
            "to": resource["to"],
            "from": resource["from"],
            "body": resource["body"],
            "created_at": now.isoformat(timespec="milliseconds"),
            "resource": resource,
        }
    )
    return JSONResponse(resource, status_code=HTTPStatus.CREATED)


async def message_fetch(request: Request) -> Response:
    """The message as Twilio shows it once the handset got it: delivered."""
    state = sandbox_state(request)
    denied = _authenticate(request, state)
    if denied is not None:
        return denied
    stored = state.sms.get(request.path_params["sid"])
    if stored is None:
        return twilio_error(
            HTTPStatus.NOT_FOUND,
            20404,
            f"The requested resource {request.url.path} was not found",
        )
    resource = dict(stored["resource"])
    resource.update(status="delivered", date_sent=resource["date_created"])
    return JSONResponse(resource)


def routes() -> list[Route]:
    prefix = f"/{API_VERSION}/Accounts/{{account_sid}}"
    return [
        Route(f"{prefix}/Messages.json", messages_create, methods=["POST"]),
        Route(f"{prefix}/Messages/{{sid}}.json", message_fetch, methods=["GET"]),
    ]
