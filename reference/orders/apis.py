"""The orders API (`/api/orders/`): thin views over services and selectors."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.common.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from reference.common.permissions import IsStaff
from reference.common.schema import ErrorSerializer
from reference.orders import selectors, services
from reference.orders.models import Order
from reference.orders.serializers import (
    OrderCancelSerializer,
    OrderCreateSerializer,
    OrderFilterSerializer,
    OrderSerializer,
    OrderStatusChangeWriteSerializer,
    OrderSummarySerializer,
    TrackSerializer,
)

ORDERS = ["orders"]


def _parse(serializer_class: type, data: object) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _order_body(order: Order, request: Request) -> dict:
    return OrderSerializer(order, context={"request": request}).data


class OrderListApi(GenericAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = OrderSummarySerializer

    @extend_schema(
        operation_id="orders_list",
        tags=ORDERS,
        parameters=[
            OpenApiParameter(
                "status", str, enum=Order.Status.values, description="Only this status."
            )
        ],
        responses={
            200: OrderSummarySerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, "Not a status of the lifecycle."),
        },
        description="Your orders, newest first.",
    )
    def get(self, request: Request) -> Response:
        filters = _parse(OrderFilterSerializer, request.query_params)
        orders = selectors.order_list(user=request.user, status=filters.get("status"))
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(OrderSummarySerializer(page, many=True).data)

    @extend_schema(
        operation_id="orders_create",
        tags=ORDERS,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=OrderCreateSerializer,
        responses={
            201: OrderSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                "A request with the same Idempotency-Key is still running "
                "(`idempotency_in_progress`).",
            ),
            422: OpenApiResponse(
                ErrorSerializer,
                "The Idempotency-Key was used with another body (`idempotency_key_reused`).",
            ),
        },
        description=(
            "Place an order. The server prices it from the catalog: subtotal = sum of "
            "base_price x quantity, tax = 18 % of the subtotal, delivery fee 50. Any price, "
            "total or status sent is ignored. The addresses and images must be your own."
        ),
    )
    def post(self, request: Request) -> Response:
        return idempotent(request=request, call=lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        data = _parse(OrderCreateSerializer, request.data)
        order = services.order_create(
            user=request.user,
            pickup_address_id=data["pickup_address"],
            delivery_address_id=data.get("delivery_address"),
            pickup_date=data["pickup_date"],
            pickup_time_slot=data["pickup_time_slot"],
            lines=[
                services.OrderLine(
                    service_item_id=line["service_item"],
                    quantity=line["quantity"],
                    notes=line["notes"],
                )
                for line in data["items"]
            ],
            image_ids=data["image_ids"],
            special_instructions=data["special_instructions"],
            payment_method=data["payment_method"],
        )
        return Response(_order_body(order, request), status=status.HTTP_201_CREATED)


class OrderHistoryApi(GenericAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = OrderSummarySerializer

    @extend_schema(
        operation_id="orders_history",
        tags=ORDERS,
        responses=OrderSummarySerializer(many=True),
        description="Your delivered and cancelled orders, newest first.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.order_history_list(user=request.user))
        return self.get_paginated_response(OrderSummarySerializer(page, many=True).data)


class OrderDetailApi(APIView):
    """One of your orders in full: lines, photos, the addresses as they were when it was
    placed, the money and the status history. Staff may read any order; another account's
    order is 404 like an unknown id."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(operation_id="orders_retrieve", tags=ORDERS, responses={200: OrderSerializer})
    def get(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(user=request.user, order_id=order_id)
        return Response(_order_body(order, request))


class OrderCancelApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="orders_cancel",
        tags=ORDERS,
        request=OrderCancelSerializer,
        responses={
            200: OrderSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                "The order is past `confirmed` or already cancelled (`order_not_cancellable`).",
            ),
        },
        description="Cancel your order while it is pending or confirmed.",
    )
    def post(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get_owned(user=request.user, order_id=order_id)
        data = _parse(OrderCancelSerializer, request.data)
        order = services.order_cancel(order=order, by=request.user, reason=data["reason"])
        return Response(_order_body(order, request))


class OrderTrackApi(APIView):
    """Where one of your orders stands: its status, the history of its changes and the
    estimated delivery (none once it is cancelled)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(operation_id="orders_track", tags=ORDERS, responses={200: TrackSerializer})
    def get(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(user=request.user, order_id=order_id)
        return Response(TrackSerializer(order).data)


class OrderStatusApi(APIView):
    permission_classes = (IsAuthenticated, IsStaff)

    @extend_schema(
        operation_id="orders_set_status",
        tags=ORDERS,
        request=OrderStatusChangeWriteSerializer,
        responses={
            200: OrderSerializer,
            409: OpenApiResponse(
                ErrorSerializer, "The lifecycle does not allow this change (`invalid_transition`)."
            ),
        },
        description=(
            "Staff only: move an order one step along pending -> confirmed -> picked_up -> "
            "in_process -> ready -> out_for_delivery -> delivered, or cancel it while pending "
            "or confirmed."
        ),
    )
    def post(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(user=request.user, order_id=order_id)
        data = _parse(OrderStatusChangeWriteSerializer, request.data)
        order = services.order_status_change(
            order=order, status=data["status"], note=data["note"], by=request.user
        )
        return Response(_order_body(order, request))
