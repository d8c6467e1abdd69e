"""The payment gateway through the official Razorpay SDK, pointed at LC_RAZORPAY_BASE_URL (the
sandbox by default). This is the only module that imports `razorpay`.

Every call has a bounded wait: the SDK sends through a `requests.Session` it is given, and the
session here puts LC_GATEWAY_TIMEOUT_SECONDS on every request (the SDK itself sets none, so a
silent gateway would hold a worker for ever). SDK errors become three exceptions the API maps
to replies: `GatewayUnavailable` (502: 5xx, unreachable, an unreadable reply), `GatewayTimeout`
(504: no answer in time, or the gateway's own 504), `GatewayRejected` (400: the gateway refused
the request, with its description). Amounts are integer paise, as the gateway wants them.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import razorpay
import requests
from django.conf import settings
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError

logger = logging.getLogger(__name__)

CURRENCY = "INR"
T = TypeVar("T")


class GatewayFailure(Exception):
    """Any failure of a gateway call."""


class GatewayUnavailable(GatewayFailure):
    """The gateway could not be reached, answered 5xx, or answered something unreadable."""


class GatewayTimeout(GatewayFailure):
    """The gateway gave no answer within LC_GATEWAY_TIMEOUT_SECONDS (or answered 504)."""


class GatewayRejected(GatewayFailure):
    """The gateway refused the request (BAD_REQUEST_ERROR); the message is its description."""


class TimeoutSession(requests.Session):
    """A session that bounds every request and remembers the last reply's status (the SDK
    raises the same ServerError for a 500 and a 504)."""

    def __init__(self, *, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.trust_env = False
        self.last_status: int | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        response = super().request(method, url, *args, **kwargs)
        self.last_status = response.status_code
        return response


def _client(session: TimeoutSession) -> razorpay.Client:
    return razorpay.Client(
        session=session,
        auth=(settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET),
        base_url=settings.RAZORPAY_BASE_URL,
    )


def _call(what: str, call: Callable[[razorpay.Client], T]) -> T:
    """Run one SDK call with a fresh bounded session; map its errors to this module's."""
    session = TimeoutSession(timeout=settings.GATEWAY_TIMEOUT_SECONDS)
    try:
        return call(_client(session))
    except BadRequestError as exc:
        raise GatewayRejected(str(exc) or "The payment gateway refused the request.") from exc
    except (GatewayError, ServerError) as exc:
        if session.last_status == 504:
            raise GatewayTimeout(f"gateway {what}: the gateway timed out ({exc})") from exc
        raise GatewayUnavailable(f"gateway {what}: {exc}") from exc
    except requests.Timeout as exc:
        raise GatewayTimeout(
            f"gateway {what}: no answer within {settings.GATEWAY_TIMEOUT_SECONDS:g} s"
        ) from exc
    except (requests.RequestException, ValueError) as exc:
        # ValueError: a reply that is not JSON (requests' JSONDecodeError is one).
        raise GatewayUnavailable(f"gateway {what}: {type(exc).__name__}: {exc}") from exc
    finally:
        session.close()


def gateway_order_create(*, amount_paise: int, receipt: str, notes: dict[str, str]) -> dict:
    """Create a gateway order (auto-capture). The sandbox answers the first order again for a
    receipt it has seen, so a retry after a lost reply finds the order the first try made."""
    order = _call(
        "order create",
        lambda client: client.order.create(
            {"amount": amount_paise, "currency": CURRENCY, "receipt": receipt, "notes": notes}
        ),
    )
    logger.info("gateway order %s created for receipt %s", order.get("id"), receipt)
    return order


def gateway_payment_fetch(*, payment_id: str) -> dict:
    return _call("payment fetch", lambda client: client.payment.fetch(payment_id, {}))


def gateway_payment_capture(*, payment_id: str, amount_paise: int, currency: str) -> dict:
    """Capture an authorized payment for exactly its amount."""
    return _call(
        "payment capture",
        lambda client: client.payment.capture(payment_id, amount_paise, {"currency": currency}),
    )


def gateway_order_payments(*, order_id: str) -> list[dict]:
    """The payments made against one gateway order (for reconciliation)."""
    reply = _call("order payments", lambda client: client.order.payments(order_id, {}))
    return list(reply.get("items", []))


def gateway_refund_create(
    *, payment_id: str, amount_paise: int, receipt: str, notes: dict[str, str]
) -> dict:
    """Refund part of a captured payment; `receipt` is ours, so that a refund whose reply was
    lost can be found again (`gateway_refunds_of_payment`)."""
    return _call(
        "refund create",
        lambda client: client.payment.refund(
            payment_id, {"amount": amount_paise, "receipt": receipt, "notes": notes}
        ),
    )


def gateway_refunds_of_payment(*, payment_id: str) -> list[dict]:
    reply = _call(
        "refund list",
        lambda client: client.payment.fetch_multiple_refund(payment_id, {"count": 100}),
    )
    return list(reply.get("items", []))


def gateway_customer_create(*, name: str, email: str, contact: str) -> dict:
    """The gateway customer for these details, made if new (`fail_existing: 0` answers the
    existing one, so a retry or a race never makes two)."""
    return _call(
        "customer create",
        lambda client: client.customer.create(
            {"name": name[:50], "email": email, "contact": contact, "fail_existing": "0"}
        ),
    )


def gateway_card_tokenize(
    *,
    customer_id: str,
    number: str,
    expiry_month: int,
    expiry_year: int,
    cvv: str,
    name: str,
) -> dict:
    """Exchange card details for a gateway token (`POST /v1/tokens`). The details pass through
    and are forgotten: neither the number nor the CVV is logged, kept or returned."""
    card = {
        "number": number,
        "expiry_month": f"{expiry_month:02d}",
        "expiry_year": str(expiry_year),
        "cvv": cvv,
    }
    if name:
        card["name"] = name
    return _call(
        "card tokenize",
        lambda client: client.token.create(
            {"customer_id": customer_id, "method": "card", "card": card}
        ),
    )


def gateway_token_delete(*, customer_id: str, token_id: str) -> None:
    _call("token delete", lambda client: client.token.delete(customer_id, token_id, {}))


def gateway_signature_valid(*, order_id: str, payment_id: str, signature: str) -> bool:
    """Whether `signature` is the gateway's HMAC of `order_id|payment_id` (checkout's reply)."""
    client = razorpay.Client(auth=(settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET))
    try:
        return bool(
            client.utility.verify_payment_signature(
                {
                    "razorpay_order_id": order_id,
                    "razorpay_payment_id": payment_id,
                    "razorpay_signature": signature,
                }
            )
        )
    except (SignatureVerificationError, TypeError):
        # TypeError: hmac.compare_digest refuses a str with non-ASCII characters.
        return False


def gateway_webhook_signature_valid(*, body: str, signature: str) -> bool:
    """Whether `signature` is the webhook secret's HMAC of the exact raw `body`."""
    client = razorpay.Client(auth=(settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET))
    try:
        return bool(
            client.utility.verify_webhook_signature(
                body, signature, settings.RAZORPAY_WEBHOOK_SECRET
            )
        )
    except (SignatureVerificationError, TypeError):
        return False
