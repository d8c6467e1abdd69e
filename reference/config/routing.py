"""WebSocket routes (`/ws/...`). Any other path is refused at the handshake (403)."""

from channels.security.websocket import WebsocketDenier
from django.urls import path, re_path

from reference.chat.consumers import ChatConsumer
from reference.notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/chat/<uuid:room_id>/", ChatConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    re_path(r"", WebsocketDenier.as_asgi()),
]
