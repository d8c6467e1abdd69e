"""The chat API (`/api/chat/`): rooms, messages, read markers. The photo upload
(`/api/chat/upload/`) is the uploads app's."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.chat import selectors, services
from reference.chat.serializers import (
    ChatMessageCreateSerializer,
    ChatMessageFilterSerializer,
    ChatMessageSerializer,
    RoomOpenSerializer,
    RoomReadSerializer,
    RoomSerializer,
    RoomUnreadCountSerializer,
)
from reference.common.schema import ErrorSerializer
from reference.orders.selectors import order_get

CHAT = ["chat"]


def _parse(serializer_class: type, data: object) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class RoomListApi(GenericAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = RoomSerializer

    @extend_schema(
        operation_id="chat_rooms_list",
        tags=CHAT,
        responses=RoomSerializer(many=True),
        description="Your chat rooms (staff: every room), most recently active first.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.room_list(user=request.user))
        rooms = selectors.rooms_decorate(rooms=page, user=request.user)
        return self.get_paginated_response(RoomSerializer(rooms, many=True).data)

    @extend_schema(
        operation_id="chat_rooms_open",
        tags=CHAT,
        request=RoomOpenSerializer,
        responses={
            200: OpenApiResponse(RoomSerializer, "The order's room existed already."),
            201: RoomSerializer,
            404: OpenApiResponse(ErrorSerializer, "No such order among yours."),
        },
        description="Open the chat of one of your orders: one room per order.",
    )
    def post(self, request: Request) -> Response:
        data = _parse(RoomOpenSerializer, request.data)
        order = order_get(user=request.user, order_id=data["order_id"])
        room, created = services.room_open(user=request.user, order=order)
        [room] = selectors.rooms_decorate(rooms=[room], user=request.user)
        return Response(
            RoomSerializer(room).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MessageListApi(GenericAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = ChatMessageSerializer

    @extend_schema(
        operation_id="chat_messages_list",
        tags=CHAT,
        parameters=[
            OpenApiParameter(
                "after_seq", int, description="Only messages with a greater seq (catch-up)."
            )
        ],
        responses={
            200: ChatMessageSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, "`after_seq` is not a whole number >= 0."),
        },
        description="The room's messages, oldest first.",
    )
    def get(self, request: Request, room_id: str) -> Response:
        room = selectors.room_get(user=request.user, room_id=room_id)
        filters = _parse(ChatMessageFilterSerializer, request.query_params)
        messages = selectors.message_list(room=room, after_seq=filters.get("after_seq"))
        page = self.paginate_queryset(messages)
        body = ChatMessageSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(body)

    @extend_schema(
        operation_id="chat_messages_send",
        tags=CHAT,
        request=ChatMessageCreateSerializer,
        responses={201: ChatMessageSerializer},
        description=(
            "Send a message; it is stored, then delivered to the room's sockets as "
            "`chat_message`. Sending the same `client_id` again returns the stored message."
        ),
    )
    def post(self, request: Request, room_id: str) -> Response:
        room = selectors.room_get(user=request.user, room_id=room_id)
        data = _parse(ChatMessageCreateSerializer, request.data)
        message, _ = services.message_send(
            room=room,
            sender=request.user,
            message=data["message"],
            client_id=data.get("client_id"),
            image_id=data.get("image_id"),
        )
        body = ChatMessageSerializer(message, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class RoomReadApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="chat_rooms_read",
        tags=CHAT,
        request=RoomReadSerializer,
        responses={200: RoomUnreadCountSerializer},
        description=(
            "You have seen the messages up to `up_to_seq`: your read marker moves forward (never "
            "back) and the room's sockets get a `read` frame."
        ),
    )
    def post(self, request: Request, room_id: str) -> Response:
        room = selectors.room_get(user=request.user, room_id=room_id)
        data = _parse(RoomReadSerializer, request.data)
        unread = services.room_read(room=room, user=request.user, up_to_seq=data["up_to_seq"])
        return Response({"unread_count": unread})
