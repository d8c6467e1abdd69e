"""The catalog API (`/api/services/`): public, no login."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.catalog import selectors
from reference.catalog.serializers import (
    CategorySerializer,
    ServiceItemFilterSerializer,
    ServiceItemSerializer,
)
from reference.common.schema import ErrorSerializer

SERVICES = ["services"]


class PublicApi:
    # The catalog is public: a stale or broken Authorization header must not make it fail.
    authentication_classes = ()
    permission_classes = (AllowAny,)


class CategoryListApi(PublicApi, GenericAPIView):
    """The active service categories in display order, one page at a time (no login)."""

    serializer_class = CategorySerializer

    @extend_schema(
        operation_id="services_categories_list",
        tags=SERVICES,
        responses=CategorySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.category_list())
        return self.get_paginated_response(CategorySerializer(page, many=True).data)


class ServiceItemListApi(PublicApi, GenericAPIView):
    """The active service items with their prices, grouped by category in display order,
    one page at a time (no login); `category` narrows them to one category."""

    serializer_class = ServiceItemSerializer

    @extend_schema(
        operation_id="services_items_list",
        tags=SERVICES,
        parameters=[
            OpenApiParameter("category", OpenApiTypes.UUID, description="A category id.")
        ],
        responses={200: ServiceItemSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = ServiceItemFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        items = selectors.service_item_list(category_id=filters.validated_data.get("category"))
        page = self.paginate_queryset(items)
        return self.get_paginated_response(ServiceItemSerializer(page, many=True).data)


class ServiceItemDetailApi(PublicApi, APIView):
    """One active service item (no login); an inactive one, or one of an inactive category,
    is 404 like an unknown id."""

    @extend_schema(
        operation_id="services_items_retrieve",
        tags=SERVICES,
        responses={200: ServiceItemSerializer},
    )
    def get(self, request: Request, item_id: str) -> Response:
        return Response(ServiceItemSerializer(selectors.service_item_get(item_id=item_id)).data)
