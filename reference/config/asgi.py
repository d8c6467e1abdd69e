"""ASGI entry point: `uvicorn reference.config.asgi:application` (REST and WebSocket)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference.config.settings")
# Django must be set up before Channels' routing imports models or consumers.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from reference.common.log_redaction import redact_server_logs  # noqa: E402
from reference.common.websocket import OriginValidator, QueryTokenAuthMiddleware  # noqa: E402
from reference.config.routing import websocket_urlpatterns  # noqa: E402
from reference.uploads.limits import BodyLimitMiddleware  # noqa: E402

# `?token=` and media signatures stay out of the server's request log.
redact_server_logs()

application = ProtocolTypeRouter(
    {
        # Refuses oversized bodies before Django's handler spools them to disk.
        "http": BodyLimitMiddleware(django_asgi_app),
        # A browser page of another origin is refused; a client without Origin (the app) is
        # not. Then `?token=` names the user (reference.common.websocket).
        "websocket": OriginValidator(QueryTokenAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
