"""The notifications API (`/api/notifications/`): the caller's notifications and switches."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.notifications import selectors, services
from reference.notifications.serializers import (
    NotificationCountSerializer,
    NotificationPreferenceSerializer,
    NotificationSerializer,
)

NOTIFICATIONS = ["notifications"]


class NotificationListApi(GenericAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = NotificationSerializer

    @extend_schema(
        operation_id="notifications_list",
        tags=NOTIFICATIONS,
        responses=NotificationSerializer(many=True),
        description="Your notifications, newest first.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.notification_list(user=request.user))
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationUnreadCountApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="notifications_unread_count",
        tags=NOTIFICATIONS,
        responses={200: NotificationCountSerializer},
        description="How many of your notifications are unread.",
    )
    def get(self, request: Request) -> Response:
        return Response({"count": selectors.notification_unread_count(user=request.user)})


class NotificationMarkReadApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="notifications_mark_read",
        tags=NOTIFICATIONS,
        request=None,
        responses={200: NotificationSerializer},
        description="Mark one of your notifications read (no body).",
    )
    def post(self, request: Request, notification_id: str) -> Response:
        notification = selectors.notification_get(
            user=request.user, notification_id=notification_id
        )
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)


class NotificationMarkAllReadApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="notifications_mark_all_read",
        tags=NOTIFICATIONS,
        request=None,
        responses={200: NotificationCountSerializer},
        description="Mark all your notifications read; `count` says how many were unread.",
    )
    def post(self, request: Request) -> Response:
        return Response({"count": services.notification_mark_all_read(user=request.user)})


class PreferenceApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="notifications_preferences_retrieve",
        tags=NOTIFICATIONS,
        responses={200: NotificationPreferenceSerializer},
        description="Your notification switches (made with the defaults on first use).",
    )
    def get(self, request: Request) -> Response:
        preference = services.notification_preference_ensure(user=request.user)
        return Response(NotificationPreferenceSerializer(preference).data)

    @extend_schema(
        operation_id="notifications_preferences_update",
        tags=NOTIFICATIONS,
        request=NotificationPreferenceSerializer(partial=True),
        responses={200: NotificationPreferenceSerializer},
        description="Change some of your switches; the others keep their values.",
    )
    def patch(self, request: Request) -> Response:
        serializer = NotificationPreferenceSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        preference = services.notification_preference_update(
            user=request.user, **serializer.validated_data
        )
        return Response(NotificationPreferenceSerializer(preference).data)
