"""A Razorpay HTTP API for the reference's unit tests, answered by `responses` on the same mock
as the SMS API: the SDK's real requests reach these callbacks. It keeps orders, payments,
refunds, customers and card tokens in memory, plays the paying customer (`pay`), signs webhooks
(`webhook`), and fails the calls a test asks it to (`fail`)."""

import hashlib
import hmac
import json
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import responses
from django.conf import settings

BASE62 = string.digits + string.ascii_letters
Reply = tuple[int, dict[str, str], str]


def razorpay_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(BASE62) for _ in range(14))


def sign(secret: str, message: str | bytes) -> str:
    if isinstance(message, str):
        message = message.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _error(status: int, description: str, code: str = "BAD_REQUEST_ERROR") -> Reply:
    body = {"error": {"code": code, "description": description, "field": None,
                      "source": "business", "step": "payment_initiation",
                      "reason": "input_validation_failed", "metadata": {}}}
    return status, {}, json.dumps(body)


def _ok(body: Any) -> Reply:
    return 200, {}, json.dumps(body)


@dataclass
class FakeGateway:
    mock: responses.RequestsMock
    base_url: str
    orders: dict[str, dict] = field(default_factory=dict)
    payments: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    customers: dict[str, dict] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)
    requests_seen: list[requests.PreparedRequest] = field(default_factory=list)
    _failures: list[tuple[str, str, Reply | Exception, bool]] = field(default_factory=list)

    # --- what a test does ------------------------------------------------------------------

    def fail(self, method: str, path: str, *, status: int = 500, code: str = "SERVER_ERROR",
             description: str = "The server encountered an error.",
             exception: Exception | None = None, body: str | None = None,
             after_doing_it: bool = False) -> None:
        """Make the next `method` call whose path matches the regex `path` fail once: with
        Razorpay's error JSON, a raw `body`, or by raising `exception`; `after_doing_it`
        carries the call out first (a lost reply)."""
        reply: Reply | Exception = exception or (
            (status, {}, body) if body is not None else _error(status, description, code)
        )
        self._failures.append((method, path, reply, after_doing_it))

    def pay(self, order_id: str, *, status: str = "captured", amount: int | None = None,
            currency: str = "INR") -> dict[str, str]:
        """Play the customer at checkout; return what checkout hands the app."""
        order = self.orders[order_id]
        payment = {
            "id": razorpay_id("pay"), "entity": "payment", "order_id": order_id,
            "amount": order["amount"] if amount is None else amount, "currency": currency,
            "status": status, "method": "upi", "captured": status == "captured",
            "amount_refunded": 0, "refund_status": None,
            "error_description": "Payment failed (test)" if status == "failed" else None,
            "error_reason": "payment_failed" if status == "failed" else None,
        }
        self.payments[payment["id"]] = payment
        if status == "captured":
            order["status"] = "paid"
        return {
            "razorpay_payment_id": payment["id"],
            "razorpay_order_id": order_id,
            "razorpay_signature": self.signature(order_id, payment["id"]),
        }

    @staticmethod
    def signature(order_id: str, payment_id: str) -> str:
        return sign(settings.RAZORPAY_KEY_SECRET, f"{order_id}|{payment_id}")

    def webhook(self, event: str, *, payment_id: str | None = None,
                refund_id: str | None = None) -> tuple[bytes, dict[str, str]]:
        """A signed webhook body (compact JSON, as Razorpay sends) and its headers."""
        payload: dict[str, Any] = {}
        if refund_id is not None:
            payload["refund"] = {"entity": self.refunds[refund_id]}
            payment_id = self.refunds[refund_id]["payment_id"]
        if payment_id is not None:
            payload["payment"] = {"entity": self.payments[payment_id]}
        if event == "order.paid":
            payload["order"] = {"entity": self.orders[self.payments[payment_id]["order_id"]]}
        body = json.dumps({"entity": "event", "account_id": "acc_Test", "event": event,
                           "contains": list(payload), "payload": payload,
                           "created_at": 1_700_000_000}, separators=(",", ":")).encode()
        headers = {
            "HTTP_X_RAZORPAY_SIGNATURE": sign(settings.RAZORPAY_WEBHOOK_SECRET, body),
            "HTTP_X_RAZORPAY_EVENT_ID": razorpay_id("evt"),
        }
        return body, headers

    def calls_to(self, method: str, path: str) -> list[requests.PreparedRequest]:
        return [
            request for request in self.requests_seen
            if request.method == method and re.fullmatch(path, request.path_url.split("?")[0])
        ]

    # --- the API ---------------------------------------------------------------------------

    def install(self) -> None:
        routes: list[tuple[str, str, Callable[..., Reply]]] = [
            ("POST", r"/v1/orders", self._order_create),
            ("GET", r"/v1/orders/(?P<id>[^/]+)/payments", self._order_payments),
            ("GET", r"/v1/payments/(?P<id>[^/]+)", self._payment_fetch),
            ("POST", r"/v1/payments/(?P<id>[^/]+)/capture", self._payment_capture),
            ("POST", r"/v1/payments/(?P<id>[^/]+)/refund", self._refund_create),
            ("GET", r"/v1/payments/(?P<id>[^/]+)/refunds", self._refund_list),
            ("POST", r"/v1/customers", self._customer_create),
            ("POST", r"/v1/tokens", self._token_create),
            ("DELETE", r"/v1/customers/(?P<customer>[^/]+)/tokens/(?P<id>[^/]+)",
             self._token_delete),
        ]
        for method, path, handler in routes:
            pattern = re.compile(re.escape(self.base_url) + path + r"(\?.*)?$")
            self.mock.add_callback(method, pattern, callback=self._route(method, path, handler),
                                   content_type="application/json")

    def _route(self, method: str, path: str, handler: Callable[..., Reply]
               ) -> Callable[[requests.PreparedRequest], Reply]:
        def callback(request: requests.PreparedRequest) -> Reply:
            self.requests_seen.append(request)
            url_path = request.path_url.split("?")[0]
            params = re.fullmatch(path, url_path).groupdict()
            body = json.loads(request.body) if request.body else {}
            for failure in self._failures:
                failing_method, failing_path, reply, after_doing_it = failure
                if failing_method == method and re.fullmatch(failing_path, url_path):
                    self._failures.remove(failure)
                    if after_doing_it:
                        handler(body, **params)
                    if isinstance(reply, Exception):
                        raise reply
                    return reply
            return handler(body, **params)

        return callback

    def _order_create(self, body: dict) -> Reply:
        for order in self.orders.values():
            if order["receipt"] == body.get("receipt"):
                return _ok(order)
        order = {"id": razorpay_id("order"), "entity": "order", "amount": body["amount"],
                 "amount_paid": 0, "currency": body["currency"], "receipt": body.get("receipt"),
                 "status": "created", "notes": body.get("notes") or []}
        self.orders[order["id"]] = order
        return _ok(order)

    def _order_payments(self, body: dict, id: str) -> Reply:
        items = [p for p in self.payments.values() if p["order_id"] == id]
        return _ok({"entity": "collection", "count": len(items), "items": items})

    def _payment_fetch(self, body: dict, id: str) -> Reply:
        if id not in self.payments:
            return _error(400, "The id provided does not exist")
        return _ok(self.payments[id])

    def _payment_capture(self, body: dict, id: str) -> Reply:
        payment = self.payments[id]
        if payment["status"] != "authorized":
            return _error(400, "This payment has already been captured")
        if body["amount"] != payment["amount"]:
            return _error(400, "Capture amount must be equal to the amount authorized")
        payment.update(status="captured", captured=True)
        self.orders[payment["order_id"]]["status"] = "paid"
        return _ok(payment)

    def _refund_create(self, body: dict, id: str) -> Reply:
        payment = self.payments[id]
        left = payment["amount"] - payment["amount_refunded"]
        amount = body.get("amount", left)
        if payment["status"] != "captured" or amount > left:
            return _error(400, "The refund amount provided is greater than amount captured")
        refund = {"id": razorpay_id("rfnd"), "entity": "refund", "amount": amount,
                  "currency": "INR", "payment_id": id, "receipt": body.get("receipt"),
                  "status": "processed"}
        self.refunds[refund["id"]] = refund
        payment["amount_refunded"] += amount
        if payment["amount_refunded"] == payment["amount"]:
            payment["status"] = "refunded"
        return _ok(refund)

    def _refund_list(self, body: dict, id: str) -> Reply:
        items = [r for r in self.refunds.values() if r["payment_id"] == id]
        return _ok({"entity": "collection", "count": len(items), "items": items})

    def _customer_create(self, body: dict) -> Reply:
        for customer in self.customers.values():
            if (customer["email"], customer["contact"]) == (body.get("email"),
                                                            body.get("contact")):
                return _ok(customer)
        customer = {"id": razorpay_id("cust"), "entity": "customer", "name": body.get("name"),
                    "email": body.get("email"), "contact": body.get("contact")}
        self.customers[customer["id"]] = customer
        return _ok(customer)

    def _token_create(self, body: dict) -> Reply:
        card = body["card"]
        key = (body.get("customer_id"), card["number"], card["expiry_month"], card["expiry_year"])
        for token in self.tokens.values():
            if token["_key"] == key:
                return _ok({k: v for k, v in token.items() if k != "_key"})
        network = "Visa" if card["number"].startswith("4") else "MasterCard"
        token = {"id": razorpay_id("token"), "entity": "token", "method": "card",
                 "customer_id": body.get("customer_id"),
                 "card": {"last4": card["number"][-4:], "network": network,
                          "expiry_month": int(card["expiry_month"]),
                          "expiry_year": int(card["expiry_year"])},
                 "_key": key}
        self.tokens[token["id"]] = token
        return _ok({k: v for k, v in token.items() if k != "_key"})

    def _token_delete(self, body: dict, customer: str, id: str) -> Reply:
        self.tokens.pop(id, None)
        return _ok({"deleted": True})
