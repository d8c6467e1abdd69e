"""WebSocket routes (`/ws/...`); the chat and notification consumers are added here."""

websocket_urlpatterns: list = []
