from django.urls import path

from reference.chat import apis

app_name = "chat"

urlpatterns = [
    path("rooms/", apis.RoomListApi.as_view(), name="rooms"),
    path("rooms/<uuid:room_id>/messages/", apis.MessageListApi.as_view(), name="messages"),
    path("rooms/<uuid:room_id>/read/", apis.RoomReadApi.as_view(), name="read"),
]
