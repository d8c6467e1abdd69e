"""Payment gateway emulator, wire-compatible with Razorpay's API as the official `razorpay` SDK
(2.0.x) calls it, plus the gateway's part of the control API.

The SDK sends basic auth `key_id:key_secret`, JSON bodies (`Content-type: application/json`) and
GET parameters as a query string to `/v1/...`, and reads JSON back; an error is
`{"error": {"code", "description", "field", "source", "step", "reason", "metadata"}}`, which the
SDK raises as BadRequestError, GatewayError or ServerError after `code`. Amounts are integer
paise; ids are `<prefix>_` and 14 base62 characters; `created_at` is unix seconds.

A test plays the paying customer through `POST /_sandbox/checkout/`, which authorizes (and, unless
the order asked otherwise, captures) or fails a payment and raises the webhooks (`webhooks.py`).

One module per concern: `orders`, `payments` (and capture), `refunds`, `customers`, `tokens`
(saved cards), `checkout`, `control` (webhook settings, log and replays, signatures, the
gateway's records); beneath them `calls` (authentication, bodies, API faults, lists), `fields`,
`cards`, `entities` and `errors`; `router` mounts them. The app takes `routes` and
`razorpay_error` from here.
"""

from sandbox.gateway.errors import razorpay_error
from sandbox.gateway.router import routes

__all__ = ["razorpay_error", "routes"]
