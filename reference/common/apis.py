"""Service endpoints of the backend itself."""

import threading

from django.conf import settings
from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.common.exceptions import error_body
from reference.common.schema import ErrorSerializer

HealthSerializer = inline_serializer(
    name="Health",
    fields={
        "status": serializers.CharField(),
        "profile": serializers.ChoiceField(choices=["embedded", "scaled"]),
        "database": serializers.CharField(),
    },
)


class HealthApi(APIView):
    """200 once the backend can serve (its database answers), 503 otherwise."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="health",
        tags=["service"],
        responses={200: HealthSerializer, 503: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            return Response(
                error_body(message="The database is unreachable.", code="database_unavailable"),
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"status": "ok", "profile": settings.PROFILE, "database": "ok"})


class SchemaApi(SpectacularAPIView):
    """The OpenAPI document, generated one request at a time.

    drf-spectacular loads its extension classes lazily and not thread-safely: two first requests
    at once (parallel test workers do this) can each see the other's half-loaded class and fail
    with a 500. Generation is serialised; it is rare and cheap next to that failure.
    """

    _generating = threading.Lock()

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        with self._generating:
            return super().get(request, *args, **kwargs)
