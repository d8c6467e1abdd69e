"""The app's home screen (`/api/mobile/dashboard/`) and configuration (`/api/mobile/config/`)."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.mobile import selectors
from reference.mobile.serializers import AppConfigSerializer, DashboardSerializer

MOBILE = ["mobile"]


class DashboardApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="mobile_dashboard",
        tags=MOBILE,
        responses={200: DashboardSerializer},
        description="Everything the home screen shows, in one call.",
    )
    def get(self, request: Request) -> Response:
        dashboard = selectors.dashboard_for_user(user=request.user)
        return Response(DashboardSerializer(dashboard).data)


class AppConfigApi(APIView):
    # Read before sign-in (and by an app whose token has expired): no authentication at all.
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="mobile_config",
        tags=MOBILE,
        responses={200: AppConfigSerializer},
        description="Versions, pickup slots, payment methods and upload limits; no login.",
    )
    def get(self, request: Request) -> Response:
        return Response(AppConfigSerializer(selectors.app_config()).data)
