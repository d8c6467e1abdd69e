"""The gateway's control calls besides checkout: where webhooks go and how they are retried, the
webhook log and replays, valid signatures, and the gateway's records of an order or payment.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox import webhooks
from sandbox.gateway.calls import control_json
from sandbox.gateway.entities import json_copy
from sandbox.gateway.errors import ControlError
from sandbox.state import WebhookSettings, sandbox_state, webhook_setting_error, webhook_url_error
from sandbox.webhooks import sign

WEBHOOK_SETTINGS = ("url", "max_attempts", "backoff_seconds", "timeout_seconds")


async def webhook_settings(request: Request) -> Response:
    """GET: where webhooks go and how they are retried; PUT changes any of it."""
    state = sandbox_state(request)
    if request.method == "GET":
        return JSONResponse(state.webhook_settings.as_json())
    body = await control_json(request)
    unknown = sorted(set(body) - set(WEBHOOK_SETTINGS))
    if unknown:
        raise ControlError(HTTPStatus.BAD_REQUEST,
                            f"unknown setting(s) {', '.join(unknown)}; allowed: "
                            f"{', '.join(WEBHOOK_SETTINGS)}", allowed_keys=list(WEBHOOK_SETTINGS))
    current = state.webhook_settings.as_json()
    if "url" in body and body["url"] is not None:
        error = webhook_url_error(body["url"])
        if error:
            raise ControlError(HTTPStatus.BAD_REQUEST, error + " (or null to send nothing)")
    for name in WEBHOOK_SETTINGS[1:]:
        if name in body:
            error = webhook_setting_error(name, body[name])
            if error:
                raise ControlError(HTTPStatus.BAD_REQUEST, error)
    current.update(body)
    # Replaced whole, so a delivery under way keeps the settings it started with.
    state.webhook_settings = WebhookSettings(**current)
    return JSONResponse(state.webhook_settings.as_json())


WEBHOOK_FILTERS = ("order_id", "payment_id", "refund_id", "event_id", "event")


async def webhook_log(request: Request) -> Response:
    """Every delivery of every webhook (attempts included), oldest first, filtered."""
    params = request.query_params
    unknown = sorted(set(params) - set(WEBHOOK_FILTERS))
    if unknown:
        raise ControlError(HTTPStatus.BAD_REQUEST,
                            f"unknown filter(s) {', '.join(unknown)}; allowed: "
                            f"{', '.join(WEBHOOK_FILTERS)}")
    filters = {key: params[key] for key in WEBHOOK_FILTERS if key in params}
    return JSONResponse({"results": sandbox_state(request).webhooks.deliveries(filters)})


async def webhook_redeliver(request: Request) -> Response:
    """Replay one event: the same body, event id and (correct) signature, sent again."""
    event_id = request.path_params["event_id"]
    delivery = webhooks.redeliver(sandbox_state(request), event_id)
    if delivery is None:
        raise ControlError(HTTPStatus.NOT_FOUND, f"no webhook event {event_id!r}")
    return JSONResponse(delivery, status_code=HTTPStatus.ACCEPTED)


async def signature(request: Request) -> Response:
    """Signatures the gateway would make: a checkout's (order_id, payment_id) or a webhook's."""
    state = sandbox_state(request)
    body = await control_json(request)
    if set(body) == {"webhook_body"} and isinstance(body["webhook_body"], str):
        return JSONResponse({
            "x_razorpay_signature": sign(state.config.razorpay_webhook_secret,
                                         body["webhook_body"])
        })
    if set(body) == {"order_id", "payment_id"} and all(isinstance(v, str) for v in body.values()):
        message = f"{body['order_id']}|{body['payment_id']}"
        return JSONResponse({"razorpay_signature": sign(state.config.razorpay_key_secret,
                                                        message)})
    raise ControlError(HTTPStatus.BAD_REQUEST,
                        "send {\"order_id\", \"payment_id\"} for a checkout signature or "
                        "{\"webhook_body\": \"<raw body>\"} for a webhook signature")


async def order_state(request: Request) -> Response:
    """One gateway order with its payments and their refunds, as the gateway holds them."""
    store = sandbox_state(request).gateway
    order_id = request.path_params["order_id"]
    with store.lock:
        order = store.orders.get(order_id)
        if order is None:
            raise ControlError(HTTPStatus.NOT_FOUND, f"no gateway order {order_id!r}")
        payments = [p for p in store.payments.values() if p["order_id"] == order_id]
        payment_ids = {p["id"] for p in payments}
        refunds = [r for r in store.refunds.values() if r["payment_id"] in payment_ids]
        return JSONResponse(json_copy({"order": order, "payments": payments, "refunds": refunds}))


async def payment_state(request: Request) -> Response:
    """One gateway payment with its refunds."""
    store = sandbox_state(request).gateway
    payment_id = request.path_params["payment_id"]
    with store.lock:
        payment = store.payments.get(payment_id)
        if payment is None:
            raise ControlError(HTTPStatus.NOT_FOUND, f"no gateway payment {payment_id!r}")
        refunds = [r for r in store.refunds.values() if r["payment_id"] == payment_id]
        return JSONResponse(json_copy({"payment": payment, "refunds": refunds}))
