"""The gateway's routes: the Razorpay-compatible `/v1/` API and its `/_sandbox/` control calls."""

from __future__ import annotations

from starlette.routing import Route

from sandbox.gateway.calls import api_endpoint, control_endpoint
from sandbox.gateway.checkout import checkout
from sandbox.gateway.control import (
    order_state,
    payment_state,
    signature,
    webhook_log,
    webhook_redeliver,
    webhook_settings,
)
from sandbox.gateway.customers import customer_fetch, customers_create
from sandbox.gateway.orders import order_fetch, order_payments, orders_create, orders_list
from sandbox.gateway.payments import payment_capture, payment_fetch, payments_list
from sandbox.gateway.refunds import (
    payment_refund,
    payment_refunds,
    refund_fetch,
    refunds_create,
    refunds_list,
)
from sandbox.gateway.tokens import (
    customer_token,
    customer_tokens,
    token_delete_by_id,
    token_fetch_by_id,
    tokens_create,
)


def routes() -> list[Route]:
    return [
        Route("/v1/orders", api_endpoint(orders_create), methods=["POST"]),
        Route("/v1/orders", api_endpoint(orders_list), methods=["GET"]),
        Route("/v1/orders/{order_id}", api_endpoint(order_fetch), methods=["GET"]),
        Route("/v1/orders/{order_id}/payments", api_endpoint(order_payments), methods=["GET"]),
        Route("/v1/payments", api_endpoint(payments_list), methods=["GET"]),
        Route("/v1/payments/{payment_id}", api_endpoint(payment_fetch), methods=["GET"]),
        Route("/v1/payments/{payment_id}/capture", api_endpoint(payment_capture), methods=["POST"]),
        Route("/v1/payments/{payment_id}/refund", api_endpoint(payment_refund), methods=["POST"]),
        Route("/v1/payments/{payment_id}/refunds", api_endpoint(payment_refunds), methods=["GET"]),
        Route("/v1/payments/{payment_id}/refunds/{refund_id}", api_endpoint(refund_fetch),
              methods=["GET"]),
        Route("/v1/refunds", api_endpoint(refunds_create), methods=["POST"]),
        Route("/v1/refunds", api_endpoint(refunds_list), methods=["GET"]),
        Route("/v1/refunds/{refund_id}", api_endpoint(refund_fetch), methods=["GET"]),
        Route("/v1/customers", api_endpoint(customers_create), methods=["POST"]),
        Route("/v1/customers/{customer_id}", api_endpoint(customer_fetch), methods=["GET"]),
        Route("/v1/customers/{customer_id}/tokens", api_endpoint(customer_tokens), methods=["GET"]),
        Route("/v1/customers/{customer_id}/tokens/{token_id}", api_endpoint(customer_token),
              methods=["GET", "DELETE"]),
        Route("/v1/tokens", api_endpoint(tokens_create), methods=["POST"]),
        Route("/v1/tokens/fetch", api_endpoint(token_fetch_by_id), methods=["POST"]),
        Route("/v1/tokens/delete", api_endpoint(token_delete_by_id), methods=["POST"]),
        Route("/_sandbox/checkout/", control_endpoint(checkout), methods=["POST"]),
        Route("/_sandbox/gateway/webhook/", control_endpoint(webhook_settings),
              methods=["GET", "PUT"]),
        Route("/_sandbox/gateway/webhooks/", control_endpoint(webhook_log), methods=["GET"]),
        Route("/_sandbox/gateway/webhooks/{event_id}/redeliver/",
              control_endpoint(webhook_redeliver), methods=["POST"]),
        Route("/_sandbox/gateway/signature/", control_endpoint(signature), methods=["POST"]),
        Route("/_sandbox/gateway/orders/{order_id}/", control_endpoint(order_state),
              methods=["GET"]),
        Route("/_sandbox/gateway/payments/{payment_id}/", control_endpoint(payment_state),
              methods=["GET"]),
    ]
