"""The payments API (`/api/payments/`): thin views over services and selectors."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.common.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from reference.common.permissions import IsStaff
from reference.common.schema import ErrorSerializer
from reference.payments import selectors, services
from reference.payments.parsers import DecimalJSONParser
from reference.payments.serializers import (
    AddMoneyResultSerializer,
    AddMoneySerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    PaymentVerifySerializer,
    RefundCreateSerializer,
    RefundSerializer,
    SavedMethodCreateSerializer,
    SavedMethodSerializer,
    SavedMethodUpdateSerializer,
    WalletSerializer,
    WalletTransactionSerializer,
    WebhookAckSerializer,
    payment_url,
)

PAYMENTS = ["payments"]
SIGNATURE_HEADER = "X-Razorpay-Signature"
EVENT_ID_HEADER = "X-Razorpay-Event-Id"

GATEWAY_ERRORS = {
    502: OpenApiResponse(
        ErrorSerializer, "The payment gateway failed or is unreachable (`gateway_unavailable`)."
    ),
    504: OpenApiResponse(
        ErrorSerializer, "The payment gateway did not answer in time (`gateway_timeout`)."
    ),
}
IDEMPOTENCY_ERRORS = {
    409: OpenApiResponse(
        ErrorSerializer,
        "The order is already paid (`order_already_paid`) or cancelled (`order_not_payable`), "
        "or a request with the same Idempotency-Key is still running "
        "(`idempotency_in_progress`).",
    ),
    422: OpenApiResponse(
        ErrorSerializer,
        "The Idempotency-Key was used with another body (`idempotency_key_reused`).",
    ),
}


def _parse(serializer_class: type, data: object) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class SavedMethodListApi(GenericAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = SavedMethodSerializer

    @extend_schema(
        operation_id="saved_methods_list",
        tags=PAYMENTS,
        responses=SavedMethodSerializer(many=True),
        description="Your saved payment methods, the default first; deleted ones never show.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.saved_method_list(user=request.user))
        return self.get_paginated_response(SavedMethodSerializer(page, many=True).data)

    @extend_schema(
        operation_id="saved_methods_create",
        tags=PAYMENTS,
        request=SavedMethodCreateSerializer,
        responses={
            201: SavedMethodSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                "Invalid fields (`validation_error`: a card number failing Luhn, an expired "
                "card, a CVV not 3-4 digits...), or the gateway refused the card "
                "(`gateway_rejected`).",
            ),
            409: OpenApiResponse(
                ErrorSerializer, "This instrument is already saved (`duplicate_method`)."
            ),
            **GATEWAY_ERRORS,
        },
        description=(
            "Save a payment method. A card is tokenized with the gateway at once; its number "
            "and CVV are never stored or returned (only the token, brand, last4 and expiry "
            "are kept). The first method, or one sent with `is_default: true`, becomes the "
            "default."
        ),
    )
    def post(self, request: Request) -> Response:
        data = _parse(SavedMethodCreateSerializer, request.data)
        method = services.saved_method_create(
            user=request.user,
            method_type=data.pop("type"),
            is_default=data.pop("is_default"),
            data=data,
        )
        return Response(SavedMethodSerializer(method).data, status=status.HTTP_201_CREATED)


class SavedMethodDetailApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="saved_methods_retrieve", tags=PAYMENTS,
        responses={200: SavedMethodSerializer},
    )
    def get(self, request: Request, method_id: str) -> Response:
        """One of your saved payment methods; a deleted one, or another account's, is 404."""
        method = selectors.saved_method_get(user=request.user, method_id=method_id)
        return Response(SavedMethodSerializer(method).data)

    @extend_schema(
        operation_id="saved_methods_update",
        tags=PAYMENTS,
        request=SavedMethodUpdateSerializer,
        responses={200: SavedMethodSerializer},
        description="`is_default: true` makes this method the default (the only one).",
    )
    def patch(self, request: Request, method_id: str) -> Response:
        method = selectors.saved_method_get(user=request.user, method_id=method_id)
        data = _parse(SavedMethodUpdateSerializer, request.data)
        if data["is_default"]:
            method = services.saved_method_set_default(method=method)
        return Response(SavedMethodSerializer(method).data)

    @extend_schema(
        operation_id="saved_methods_destroy",
        tags=PAYMENTS,
        responses={204: None},
        description="Delete a method; if it was the default, the newest remaining one is.",
    )
    def delete(self, request: Request, method_id: str) -> Response:
        method = selectors.saved_method_get(user=request.user, method_id=method_id)
        services.saved_method_delete(method=method)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WalletApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="wallet_retrieve",
        tags=PAYMENTS,
        responses={200: WalletSerializer},
        description="Your wallet (made on first use). The balance always equals the sum of "
        "the completed transactions.",
    )
    def get(self, request: Request) -> Response:
        return Response(WalletSerializer(services.wallet_get_or_create(user=request.user)).data)


class WalletTransactionListApi(GenericAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = WalletTransactionSerializer

    @extend_schema(
        operation_id="wallet_transactions_list",
        tags=PAYMENTS,
        responses=WalletTransactionSerializer(many=True),
        description="Your wallet's transactions, newest first.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.wallet_transaction_list(user=request.user))
        return self.get_paginated_response(WalletTransactionSerializer(page, many=True).data)


class WalletAddMoneyApi(APIView):
    permission_classes = (IsAuthenticated,)
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="wallet_add_money",
        tags=PAYMENTS,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=AddMoneySerializer,
        responses={
            201: AddMoneyResultSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                "The amount is not a number of rupees from 1 to 10,000 with at most 2 "
                "decimals (`validation_error`).",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                "A request with the same Idempotency-Key is still running "
                "(`idempotency_in_progress`).",
            ),
            422: IDEMPOTENCY_ERRORS[422],
            **GATEWAY_ERRORS,
        },
        description=(
            "Start adding money: a pending credit and a gateway order for checkout. The "
            "balance moves once the payment is verified or the gateway's webhook confirms it."
        ),
    )
    def post(self, request: Request) -> Response:
        return idempotent(request=request, call=lambda: self._add(request))

    def _add(self, request: Request) -> Response:
        data = _parse(AddMoneySerializer, request.data)
        pending, payment = services.wallet_top_up_start(user=request.user, amount=data["amount"])
        body = {
            "transaction_id": pending.pk,
            "payment_id": payment.pk,
            "amount": payment.amount,
            "currency": payment.currency,
            "gateway_order_id": payment.gateway_order_id,
            "key_id": payment.key_id,
            "payment_url": payment_url(payment.gateway_order_id),
        }
        return Response(AddMoneyResultSerializer(body).data, status=status.HTTP_201_CREATED)


class PaymentListApi(GenericAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = PaymentSerializer
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="payments_list",
        tags=PAYMENTS,
        responses=PaymentSerializer(many=True),
        description="Your payments (orders and wallet top-ups), newest first.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.payment_list(user=request.user))
        return self.get_paginated_response(PaymentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="payments_create",
        tags=PAYMENTS,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=PaymentCreateSerializer,
        responses={
            201: PaymentSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                "Invalid fields, or an order or saved method that is not yours "
                "(`validation_error`).",
            ),
            402: OpenApiResponse(
                ErrorSerializer,
                "method wallet: the balance is below the order's total "
                "(`insufficient_balance`); nothing changed.",
            ),
            **IDEMPOTENCY_ERRORS,
            **GATEWAY_ERRORS,
        },
        description=(
            "Pay one of your unpaid orders. online: a gateway order is made (status "
            "`created`) and `gateway_order_id`, `key_id` and `payment_url` open checkout; "
            "wallet: the balance is debited and the order is paid at once (status "
            "`captured`); cash: `pending` until the order is delivered."
        ),
    )
    def post(self, request: Request) -> Response:
        return idempotent(request=request, call=lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        data = _parse(PaymentCreateSerializer, request.data)
        payment = services.payment_create(
            user=request.user,
            order_id=data["order_id"],
            method=data["method"],
            saved_method_id=data.get("saved_method_id"),
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentDetailApi(APIView):
    """One of your payments and its state; another account's payment is 404 like an
    unknown id."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="payments_retrieve", tags=PAYMENTS, responses={200: PaymentSerializer}
    )
    def get(self, request: Request, payment_id: str) -> Response:
        payment = selectors.payment_get(user=request.user, payment_id=payment_id)
        return Response(PaymentSerializer(payment).data)


class PaymentVerifyApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="payments_verify",
        tags=PAYMENTS,
        request=PaymentVerifySerializer,
        responses={
            200: PaymentSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                "Missing fields (`validation_error`), or the signature, the order, the "
                "gateway's status, amount or currency do not match, or the gateway payment "
                "was used for another payment (`payment_verification_failed`); nothing "
                "changed.",
            ),
            **GATEWAY_ERRORS,
        },
        description=(
            "Confirm an online payment with what checkout returned. The signature is checked "
            "against the gateway order id stored for this payment; the payment is fetched "
            "from the gateway and must be captured (an authorized one is captured now) for "
            "the same amount and currency. Then the payment is `captured` and the order paid "
            "or the wallet credited. Verifying again with the same values: 200, nothing more."
        ),
    )
    def post(self, request: Request, payment_id: str) -> Response:
        payment = selectors.payment_get(user=request.user, payment_id=payment_id)
        data = _parse(PaymentVerifySerializer, request.data)
        payment = services.payment_verify(
            payment=payment,
            razorpay_payment_id=data["razorpay_payment_id"],
            razorpay_order_id=data["razorpay_order_id"],
            razorpay_signature=data["razorpay_signature"],
        )
        return Response(PaymentSerializer(payment).data)


class RazorpayWebhookApi(APIView):
    """The gateway's webhooks: no JWT (the signature authenticates), the raw body read as it
    came (the signature covers those exact bytes, never a re-serialisation)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="payments_webhook_razorpay",
        tags=PAYMENTS,
        auth=[],
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER,
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=True,
                description="Hex HMAC-SHA256 of the exact raw body with the webhook secret.",
            ),
            OpenApiParameter(
                EVENT_ID_HEADER,
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=False,
                description="The event's id; a redelivered event is acknowledged and ignored.",
            ),
        ],
        request=OpenApiTypes.OBJECT,
        responses={
            200: WebhookAckSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                "Missing or wrong signature (`invalid_signature`), or a body that is no "
                "event (`validation_error`).",
            ),
            415: OpenApiResponse(
                ErrorSerializer, "A body that is not `application/json` (`unsupported_media_type`)."
            ),
            **GATEWAY_ERRORS,
        },
        description=(
            "Razorpay's event (payment.captured, order.paid, payment.failed, "
            "refund.processed, refund.failed; others are acknowledged and ignored). Effects "
            "happen exactly once whichever of verify and webhook comes first; a paid order "
            "never goes back. A 5xx asks the gateway to deliver again."
        ),
    )
    def post(self, request: Request) -> Response:
        # The gateway sends JSON; the body is read raw (below), so no parser refuses another
        # media type on the view's behalf.
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            raise exceptions.UnsupportedMediaType(request.content_type or "(none)")
        outcome = services.webhook_receive(
            body=request.body,
            signature=request.headers.get(SIGNATURE_HEADER),
            event_id=request.headers.get(EVENT_ID_HEADER),
        )
        return Response({"status": outcome})


class StaffForWrites(BasePermission):
    """Reading refunds is for every signed-in user (their own); creating them is staff only."""

    message = IsStaff.message

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS") or IsStaff().has_permission(
            request, view
        )


class RefundListApi(GenericAPIView):
    permission_classes = (IsAuthenticated, StaffForWrites)
    serializer_class = RefundSerializer
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="refunds_list",
        tags=PAYMENTS,
        responses=RefundSerializer(many=True),
        description="Refunds of your payments, newest first (staff: every refund).",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.refund_list(user=request.user))
        return self.get_paginated_response(RefundSerializer(page, many=True).data)

    @extend_schema(
        operation_id="refunds_create",
        tags=PAYMENTS,
        request=RefundCreateSerializer,
        responses={
            201: RefundSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                "Invalid fields or an unknown payment (`validation_error`), more than "
                "captured minus already refunded (`refund_exceeds_captured`), or the gateway "
                "refused (`gateway_rejected`).",
            ),
            403: OpenApiResponse(ErrorSerializer, "Staff accounts only."),
            409: OpenApiResponse(
                ErrorSerializer,
                "The payment is not captured, or is a wallet top-up (`refund_not_allowed`).",
            ),
            **GATEWAY_ERRORS,
        },
        description=(
            "Staff only: refund part or all of a captured order payment (default: all that "
            "is left). Wallet and cash payments go back to the wallet at once; online ones "
            "through the gateway."
        ),
    )
    def post(self, request: Request) -> Response:
        data = _parse(RefundCreateSerializer, request.data)
        refund = services.refund_create(
            payment_id=data["payment_id"],
            amount=data.get("amount"),
            reason=data["reason"],
            by=request.user,
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)
