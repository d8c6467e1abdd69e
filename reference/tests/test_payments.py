"""Paying orders, verifying gateway payments, the gateway's webhooks, refunds and cancellations:
every effect exactly once, nothing changed by a forged or mismatched confirmation."""

import json
from decimal import Decimal
from http import HTTPStatus

import pytest
import requests
from django.conf import settings
from django.db import IntegrityError, transaction

from reference.payments.models import Payment, Refund, WalletTransaction, WebhookEvent
from reference.tests.conftest import ORDERS
from reference.tests.gateway import sign
from reference.tests.money import (
    PAYMENTS,
    REFUNDS,
    TRANSACTIONS,
    WEBHOOK,
    balance,
    deliver,
    ledger_check,
    place_order,
    top_up,
    verify,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

PAYMENT_FIELDS = {
    "id", "purpose", "order_id", "amount", "currency", "method", "status", "gateway_order_id",
    "gateway_payment_id", "key_id", "payment_url", "failure_reason", "created_at", "updated_at",
}


@pytest.fixture
def order(customer, customer_address, catalog) -> dict:
    return place_order(customer, customer_address, catalog)


def pay(client, order: dict, method: str = "online", **extra: object):
    return client.post(PAYMENTS, {"order_id": order["id"], "method": method, **extra},
                       format="json")


def paid_online(client, order: dict, gateway) -> dict:
    """As `order`, but paid online and verified; returns the Payment."""
    payment = pay(client, order).json()
    response = verify(client, payment["id"], gateway.pay(payment["gateway_order_id"]))
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def post_webhook(api, body: bytes, headers: dict):
    return api.post(WEBHOOK, body, content_type="application/json", **headers)


def order_status(client, order: dict) -> str:
    return client.get(f"{ORDERS}{order['id']}/").json()["payment_status"]


# --- paying an order ---------------------------------------------------------------------------


def test_an_online_payment_gets_a_gateway_order_for_the_order_total(customer, order, gateway):
    response = pay(customer, order)

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert set(body) == PAYMENT_FIELDS
    assert (body["purpose"], body["status"], body["order_id"]) == ("order", "created",
                                                                   order["id"])
    assert body["key_id"] == settings.RAZORPAY_KEY_ID
    assert body["payment_url"] == settings.CHECKOUT_URL.format(
        gateway_order_id=body["gateway_order_id"]
    )
    gateway_order = gateway.orders[body["gateway_order_id"]]
    assert gateway_order["amount"] == int(Decimal(str(order["total"])) * 100)
    assert order_status(customer, order) == "unpaid"


def test_a_verified_online_payment_pays_the_order(customer, order, gateway):
    payment = paid_online(customer, order, gateway)

    assert payment["status"] == "captured"
    assert payment["payment_url"] is None
    assert order_status(customer, order) == "paid"
    response = pay(customer, order)
    assert (response.status_code, response.json()["code"]) == (409, "order_already_paid")


def test_another_users_order_or_saved_method_is_refused(customer, other_customer, order,
                                                         gateway):
    foreign_order = other_customer.post(
        PAYMENTS, {"order_id": order["id"], "method": "online"}, format="json"
    )
    other_method = other_customer.post(
        "/api/payments/saved-methods/", {"type": "upi", "upi_id": "bala@okaxis"}, format="json"
    ).json()
    foreign_method = pay(customer, order, saved_method_id=other_method["id"])

    assert foreign_order.status_code == HTTPStatus.BAD_REQUEST
    assert "order_id" in foreign_order.json()["errors"]
    assert foreign_method.status_code == HTTPStatus.BAD_REQUEST
    assert "saved_method_id" in foreign_method.json()["errors"]
    assert not Payment.objects.exists()


def test_a_cancelled_order_cannot_be_paid(customer, order, gateway):
    customer.post(f"{ORDERS}{order['id']}/cancel/", {}, format="json")

    response = pay(customer, order)

    assert (response.status_code, response.json()["code"]) == (409, "order_not_payable")


def test_payments_honour_the_idempotency_key(customer, order, gateway):
    headers = {"Idempotency-Key": "pay-1"}
    first = customer.post(PAYMENTS, {"order_id": order["id"], "method": "online"},
                          format="json", headers=headers)
    again = customer.post(PAYMENTS, {"order_id": order["id"], "method": "online"},
                          format="json", headers=headers)
    other = customer.post(PAYMENTS, {"order_id": order["id"], "method": "cash"},
                          format="json", headers=headers)

    assert first.status_code == again.status_code == HTTPStatus.CREATED
    assert again.json() == first.json()
    assert other.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert Payment.objects.count() == 1
    assert len(gateway.orders) == 1


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        ({"status": 500}, 502, "gateway_unavailable"),
        ({"exception": requests.ConnectionError("refused")}, 502, "gateway_unavailable"),
        ({"exception": requests.ReadTimeout("slow")}, 504, "gateway_timeout"),
        ({"status": 504}, 504, "gateway_timeout"),
    ],
)
def test_a_gateway_failure_is_a_clear_5xx_and_a_retry_reuses_the_receipt(
    customer, order, gateway, failure, status, code
):
    gateway.fail("POST", r"/v1/orders", **failure)

    failed = pay(customer, order)
    retried = pay(customer, order)

    assert (failed.status_code, failed.json()["code"]) == (status, code)
    assert retried.status_code == HTTPStatus.CREATED
    assert Payment.objects.count() == 1
    receipts = [json.loads(r.body)["receipt"] for r in gateway.calls_to("POST", "/v1/orders")]
    assert receipts[0] == receipts[1]


def test_cash_is_pending_until_delivery_then_captured(customer, staff, order, gateway):
    response = pay(customer, order, method="cash")
    assert (response.status_code, response.json()["status"]) == (201, "pending")
    assert pay(customer, order, method="cash").json()["id"] == response.json()["id"]

    deliver(staff, order)

    payment = customer.get(f"{PAYMENTS}{response.json()['id']}/").json()
    assert payment["status"] == "captured"
    assert order_status(customer, order) == "paid"


def test_a_cash_order_without_a_payment_call_is_paid_on_delivery(customer, staff, order):
    deliver(staff, order)

    assert order_status(customer, order) == "paid"
    assert Payment.objects.get().method == "cash"


# --- verify ------------------------------------------------------------------------------------


def _nothing_changed(customer, order: dict, payment_id: str) -> None:
    payment = customer.get(f"{PAYMENTS}{payment_id}/").json()
    assert (payment["status"], payment["gateway_payment_id"]) == ("created", None)
    assert order_status(customer, order) == "unpaid"


def test_a_forged_signature_is_400_and_changes_nothing(customer, order, gateway):
    payment = pay(customer, order).json()
    checkout = gateway.pay(payment["gateway_order_id"])

    response = verify(customer, payment["id"], {**checkout, "razorpay_signature": "0" * 64})

    assert (response.status_code, response.json()["code"]) == (400,
                                                               "payment_verification_failed")
    _nothing_changed(customer, order, payment["id"])


def test_the_stored_gateway_order_counts_not_the_one_sent(customer, order, gateway):
    mine = pay(customer, order).json()
    other_order = gateway._order_create({"amount": 100, "currency": "INR"})  # another's order
    other_order_id = json.loads(other_order[2])["id"]
    checkout = gateway.pay(other_order_id)

    sent_as_is = verify(customer, mine["id"], checkout)
    without_order_id = verify(customer, mine["id"], {
        "razorpay_payment_id": checkout["razorpay_payment_id"],
        "razorpay_signature": checkout["razorpay_signature"],
    })

    assert sent_as_is.status_code == without_order_id.status_code == HTTPStatus.BAD_REQUEST
    _nothing_changed(customer, order, mine["id"])


@pytest.mark.parametrize(
    "left_out", ["razorpay_payment_id", "razorpay_order_id", "razorpay_signature"]
)
def test_a_triple_with_a_part_left_out_is_400_and_changes_nothing(customer, order, gateway,
                                                                   left_out):
    payment = pay(customer, order).json()
    checkout = gateway.pay(payment["gateway_order_id"])
    del checkout[left_out]

    response = verify(customer, payment["id"], checkout)

    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert left_out in response.json()["errors"]
    _nothing_changed(customer, order, payment["id"])


@pytest.mark.parametrize(
    "tamper", [{"amount": 100}, {"currency": "USD"}, {"status": "failed"}, {"status": "created"}]
)
def test_a_gateway_payment_that_does_not_match_is_400(customer, order, gateway, tamper):
    payment = pay(customer, order).json()
    checkout = gateway.pay(payment["gateway_order_id"])
    gateway.payments[checkout["razorpay_payment_id"]].update(tamper)

    response = verify(customer, payment["id"], checkout)

    assert (response.status_code, response.json()["code"]) == (400,
                                                               "payment_verification_failed")
    _nothing_changed(customer, order, payment["id"])


def test_an_authorized_payment_is_captured_on_verify(customer, order, gateway):
    payment = pay(customer, order).json()
    checkout = gateway.pay(payment["gateway_order_id"], status="authorized")

    response = verify(customer, payment["id"], checkout)

    assert response.json()["status"] == "captured"
    assert gateway.payments[checkout["razorpay_payment_id"]]["status"] == "captured"
    assert len(gateway.calls_to("POST", r"/v1/payments/[^/]+/capture")) == 1


def test_a_payment_id_used_once_is_refused_for_another_payment(customer, customer_user, gateway):
    first = top_up(customer, 300)
    second = top_up(customer, 300)
    checkout = gateway.pay(first["gateway_order_id"])
    verify(customer, first["payment_id"], checkout)
    replay = {
        "razorpay_payment_id": checkout["razorpay_payment_id"],
        "razorpay_order_id": second["gateway_order_id"],
        "razorpay_signature": gateway.signature(second["gateway_order_id"],
                                                checkout["razorpay_payment_id"]),
    }

    response = verify(customer, second["payment_id"], replay)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert balance(customer) == 300
    ledger_check(customer_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=second["payment_id"]).update(
            gateway_payment_id=checkout["razorpay_payment_id"]
        )


def test_another_users_valid_triple_is_refused(customer, other_customer, order, gateway):
    payment = pay(customer, order).json()
    checkout = gateway.pay(payment["gateway_order_id"])

    response = verify(other_customer, payment["id"], checkout)

    assert response.status_code == HTTPStatus.NOT_FOUND
    _nothing_changed(customer, order, payment["id"])


def test_verify_when_the_gateway_is_down_is_502_and_changes_nothing(customer, order, gateway):
    payment = pay(customer, order).json()
    checkout = gateway.pay(payment["gateway_order_id"])
    gateway.fail("GET", r"/v1/payments/.*", status=503)

    response = verify(customer, payment["id"], checkout)

    assert response.status_code == HTTPStatus.BAD_GATEWAY
    _nothing_changed(customer, order, payment["id"])
    assert verify(customer, payment["id"], checkout).status_code == HTTPStatus.OK


# --- webhooks ----------------------------------------------------------------------------------


def test_a_webhook_with_a_valid_signature_over_the_raw_bytes_is_applied(api, customer, order,
                                                                         gateway):
    payment = pay(customer, order).json()
    checkout = gateway.pay(payment["gateway_order_id"])
    body, headers = gateway.webhook("payment.captured",
                                    payment_id=checkout["razorpay_payment_id"])

    response = post_webhook(api, body, headers)

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json() == {"status": "processed"}
    assert order_status(customer, order) == "paid"


@pytest.mark.parametrize("attack", ["missing", "wrong", "reserialised", "other_secret"])
def test_a_webhook_without_a_valid_signature_is_400_and_changes_nothing(
    api, customer, order, gateway, attack
):
    payment = pay(customer, order).json()
    checkout = gateway.pay(payment["gateway_order_id"])
    body, headers = gateway.webhook("payment.captured",
                                    payment_id=checkout["razorpay_payment_id"])
    if attack == "missing":
        del headers["HTTP_X_RAZORPAY_SIGNATURE"]
    elif attack == "wrong":
        headers["HTTP_X_RAZORPAY_SIGNATURE"] = "0" * 64
    elif attack == "reserialised":
        body = json.dumps(json.loads(body), indent=2).encode()
    else:
        headers["HTTP_X_RAZORPAY_SIGNATURE"] = sign(settings.RAZORPAY_KEY_SECRET, body)

    response = post_webhook(api, body, headers)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_signature"
    _nothing_changed(customer, order, payment["id"])
    assert not WebhookEvent.objects.exists()


def test_the_same_event_three_times_has_one_effect(api, customer, customer_user, gateway):
    body = top_up(customer, 700)
    checkout = gateway.pay(body["gateway_order_id"])
    event, headers = gateway.webhook("payment.captured",
                                     payment_id=checkout["razorpay_payment_id"])

    replies = [post_webhook(api, event, headers) for _ in range(3)]

    assert [r.status_code for r in replies] == [200, 200, 200]
    assert [r.json()["status"] for r in replies] == ["processed", "duplicate", "duplicate"]
    assert balance(customer) == 700
    assert WebhookEvent.objects.get().processed
    ledger_check(customer_user)


@pytest.mark.parametrize("first", ["verify", "webhook"])
def test_verify_and_webhook_credit_a_top_up_once_whichever_comes_first(
    api, customer, customer_user, gateway, first
):
    body = top_up(customer, 250)
    checkout = gateway.pay(body["gateway_order_id"])
    events = [gateway.webhook(name, payment_id=checkout["razorpay_payment_id"])
              for name in ("payment.captured", "order.paid")]

    def by_verify():
        assert verify(customer, body["payment_id"], checkout).status_code == HTTPStatus.OK

    def by_webhooks():
        for event, headers in events:
            assert post_webhook(api, event, headers).status_code == HTTPStatus.OK

    steps = [by_verify, by_webhooks] if first == "verify" else [by_webhooks, by_verify]
    for step in steps:
        step()

    assert balance(customer) == 250
    credits = WalletTransaction.objects.filter(type="credit", status="completed")
    assert credits.count() == 1
    ledger_check(customer_user)


def test_payment_failed_marks_an_open_payment_failed_but_never_a_captured_one(
    api, customer, order, gateway
):
    payment = pay(customer, order).json()
    failed = gateway.pay(payment["gateway_order_id"], status="failed")
    post_webhook(api, *gateway.webhook("payment.failed",
                                       payment_id=failed["razorpay_payment_id"]))
    after_failure = customer.get(f"{PAYMENTS}{payment['id']}/").json()

    retried = gateway.pay(payment["gateway_order_id"])
    verify(customer, payment["id"], retried)
    late_failure = post_webhook(api, *gateway.webhook(
        "payment.failed", payment_id=failed["razorpay_payment_id"]))

    assert (after_failure["status"], after_failure["failure_reason"]) == (
        "failed", "Payment failed (test)")
    assert late_failure.status_code == HTTPStatus.OK
    final = customer.get(f"{PAYMENTS}{payment['id']}/").json()
    assert (final["status"], final["failure_reason"]) == ("captured", "")
    assert order_status(customer, order) == "paid"


def test_a_failed_payment_with_a_valid_signature_does_not_verify(customer, order, gateway):
    payment = pay(customer, order).json()
    failed = gateway.pay(payment["gateway_order_id"], status="failed")

    response = verify(customer, payment["id"], failed)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    _nothing_changed(customer, order, payment["id"])


def test_a_signed_event_with_an_altered_amount_is_ignored(api, customer, order, gateway):
    payment = pay(customer, order).json()
    checkout = gateway.pay(payment["gateway_order_id"])
    gateway.payments[checkout["razorpay_payment_id"]]["amount"] = 100

    response = post_webhook(api, *gateway.webhook("payment.captured",
                                                  payment_id=checkout["razorpay_payment_id"]))

    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    _nothing_changed(customer, order, payment["id"])


def test_unknown_events_and_orders_are_acknowledged(api, gateway):
    body = b'{"event":"payment.dispute.created","payload":{}}'
    headers = {"HTTP_X_RAZORPAY_SIGNATURE": sign(settings.RAZORPAY_WEBHOOK_SECRET, body)}

    response = post_webhook(api, body, headers)

    assert (response.status_code, response.json()["status"]) == (200, "ignored")


def test_a_webhook_needs_no_token_and_answers_json_for_junk(api):
    body = b"not json"
    headers = {"HTTP_X_RAZORPAY_SIGNATURE": sign(settings.RAZORPAY_WEBHOOK_SECRET, body)}

    response = post_webhook(api, body, headers)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "validation_error"


def test_a_webhook_that_is_not_json_is_415_even_when_signed(api):
    body = b'{"event": "payment.captured"}'
    headers = {"HTTP_X_RAZORPAY_SIGNATURE": sign(settings.RAZORPAY_WEBHOOK_SECRET, body)}

    response = api.post(WEBHOOK, body, content_type="text/plain", **headers)

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert response.json()["code"] == "unsupported_media_type"


# --- refunds and cancellation ------------------------------------------------------------------


def test_refunds_are_staff_only(customer, order, gateway):
    payment = paid_online(customer, order, gateway)

    response = customer.post(REFUNDS, {"payment_id": payment["id"], "amount": 10},
                             format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Refund.objects.exists()


def test_refunds_never_exceed_what_was_captured(customer, staff, order, gateway):
    payment = paid_online(customer, order, gateway)
    total = Decimal(str(payment["amount"]))

    too_much = staff.post(REFUNDS, {"payment_id": payment["id"], "amount": float(total) + 0.01},
                          format="json")
    part = staff.post(REFUNDS, {"payment_id": payment["id"], "amount": 100}, format="json")
    rest_plus_one = staff.post(REFUNDS, {"payment_id": payment["id"],
                                         "amount": float(total - 100) + 1}, format="json")
    rest = staff.post(REFUNDS, {"payment_id": payment["id"], "reason": "damaged"},
                      format="json")
    more = staff.post(REFUNDS, {"payment_id": payment["id"], "amount": 1}, format="json")

    assert (too_much.status_code, too_much.json()["code"]) == (400, "refund_exceeds_captured")
    assert (part.status_code, part.json()["status"], part.json()["amount"]) == (201,
                                                                                "processed",
                                                                                100)
    assert rest_plus_one.json()["code"] == "refund_exceeds_captured"
    assert (rest.status_code, Decimal(str(rest.json()["amount"]))) == (201, total - 100)
    assert more.json()["code"] == "refund_exceeds_captured"
    assert customer.get(f"{PAYMENTS}{payment['id']}/").json()["status"] == "refunded"
    assert order_status(customer, order) == "refunded"
    assert len(gateway.refunds) == 2


def test_a_refund_the_gateway_refuses_is_released(customer, staff, order, gateway):
    payment = paid_online(customer, order, gateway)
    gateway.fail("POST", r"/v1/payments/[^/]+/refund", status=400, code="BAD_REQUEST_ERROR",
                 description="Refunds are paused.")

    refused = staff.post(REFUNDS, {"payment_id": payment["id"]}, format="json")
    again = staff.post(REFUNDS, {"payment_id": payment["id"]}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (400, "gateway_rejected")
    assert again.status_code == HTTPStatus.CREATED
    assert list(Refund.objects.values_list("status", flat=True).order_by("created_at")) == [
        "failed", "processed"]


def test_a_wallet_payment_is_refunded_to_the_wallet(customer, customer_user, staff, order,
                                                    gateway):
    body = top_up(customer, 5000)
    verify(customer, body["payment_id"], gateway.pay(body["gateway_order_id"]))
    payment = pay(customer, order, method="wallet").json()

    response = staff.post(REFUNDS, {"payment_id": payment["id"], "amount": 50.25},
                          format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert balance(customer) == Decimal("5000") - Decimal(str(order["total"])) + Decimal("50.25")
    refund_row = customer.get(TRANSACTIONS).json()["results"][0]
    assert (refund_row["type"], refund_row["amount"]) == ("refund", 50.25)
    ledger_check(customer_user)


def test_refunds_are_listed_to_their_owner_and_to_staff(customer, other_customer, staff, order,
                                                        gateway):
    payment = paid_online(customer, order, gateway)
    staff.post(REFUNDS, {"payment_id": payment["id"], "amount": 10}, format="json")

    mine = customer.get(REFUNDS).json()
    theirs = other_customer.get(REFUNDS).json()
    everyone = staff.get(REFUNDS).json()

    assert mine["count"] == everyone["count"] == 1
    assert theirs["count"] == 0
    assert set(mine["results"][0]) == {"id", "payment_id", "order_id", "amount", "status",
                                       "reason", "created_at"}


def test_cancelling_a_wallet_paid_order_credits_the_wallet(customer, customer_user, order,
                                                           gateway):
    body = top_up(customer, 5000)
    verify(customer, body["payment_id"], gateway.pay(body["gateway_order_id"]))
    pay(customer, order, method="wallet")

    response = customer.post(f"{ORDERS}{order['id']}/cancel/", {}, format="json")

    assert response.status_code == HTTPStatus.OK, response.content
    assert (response.json()["status"], response.json()["payment_status"]) == ("cancelled",
                                                                              "refunded")
    assert balance(customer) == 5000
    assert customer.get(TRANSACTIONS).json()["results"][0]["type"] == "refund"
    ledger_check(customer_user)


def test_cancelling_an_online_paid_order_refunds_through_the_gateway(customer, order, gateway):
    payment = paid_online(customer, order, gateway)

    response = customer.post(f"{ORDERS}{order['id']}/cancel/", {}, format="json")

    assert response.json()["payment_status"] == "refunded"
    [gateway_refund] = gateway.refunds.values()
    assert gateway_refund["payment_id"] == payment["gateway_payment_id"]
    assert gateway_refund["amount"] == int(Decimal(str(payment["amount"])) * 100)
    assert Refund.objects.get().status == "processed"
    assert customer.get(f"{PAYMENTS}{payment['id']}/").json()["status"] == "refunded"


def test_a_cancellation_whose_refund_reply_was_lost_finds_it_on_retry(customer, order, gateway):
    paid_online(customer, order, gateway)
    cancel_url = f"{ORDERS}{order['id']}/cancel/"
    gateway.fail("POST", r"/v1/payments/[^/]+/refund", exception=requests.ReadTimeout("lost"),
                 after_doing_it=True)

    lost = customer.post(cancel_url, {}, format="json")
    retried = customer.post(cancel_url, {}, format="json")

    assert lost.status_code == HTTPStatus.GATEWAY_TIMEOUT
    assert retried.status_code == HTTPStatus.OK, retried.content
    assert retried.json()["payment_status"] == "refunded"
    assert len(gateway.refunds) == 1
    assert Refund.objects.get().gateway_refund_id in gateway.refunds


def test_the_refund_webhook_settles_a_pending_refund(api, customer, staff, order, gateway):
    payment = paid_online(customer, order, gateway)
    gateway.fail("POST", r"/v1/payments/[^/]+/refund", exception=requests.ReadTimeout("lost"))
    timed_out = staff.post(REFUNDS, {"payment_id": payment["id"], "amount": 20}, format="json")
    pending = Refund.objects.get()
    made = gateway._refund_create({"amount": 2000, "receipt": pending.receipt},
                                  id=payment["gateway_payment_id"])
    refund_id = json.loads(made[2])["id"]

    response = post_webhook(api, *gateway.webhook("refund.processed", refund_id=refund_id))

    assert timed_out.status_code == HTTPStatus.GATEWAY_TIMEOUT
    assert response.json()["status"] == "processed"
    pending.refresh_from_db()
    assert (pending.status, pending.gateway_refund_id) == ("processed", refund_id)


def test_a_capture_for_an_order_paid_meanwhile_goes_back_to_the_wallet(
    customer, customer_user, order, gateway
):
    online = pay(customer, order).json()
    body = top_up(customer, 5000)
    verify(customer, body["payment_id"], gateway.pay(body["gateway_order_id"]))
    pay(customer, order, method="wallet")

    late = verify(customer, online["id"], gateway.pay(online["gateway_order_id"]))

    assert late.json()["status"] == "refunded"
    assert balance(customer) == 5000
    assert order_status(customer, order) == "paid"
    ledger_check(customer_user)
