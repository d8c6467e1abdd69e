"""URL map: `/api/...` for REST, Swagger UI and the schema, `/media/...` for local image files;
everything else is a JSON 404."""

from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from reference.common.apis import HealthApi, SchemaApi
from reference.orders.services import OrderPhotos
from reference.uploads.apis import ChatImageUploadApi, ImageUploadApi, media_serve

urlpatterns = [
    path("api/health/", HealthApi.as_view(), name="health"),
    path("api/schema/", SchemaApi.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/accounts/", include("reference.accounts.urls")),
    path("api/services/", include("reference.catalog.urls")),
    path("api/orders/", include("reference.orders.urls")),
    # The photo upload is the uploads app's, onto one of the caller's orders as the orders app
    # rules (uploads imports no app above it); the chat's is the same upload under its path.
    path(
        "api/mobile/upload-image/",
        ImageUploadApi.as_view(photo_order=OrderPhotos),
        name="upload-image",
    ),
    path("api/mobile/", include("reference.uploads.urls")),
    path("api/mobile/", include("reference.mobile.urls")),
    path("api/payments/", include("reference.payments.urls")),
    path("api/notifications/", include("reference.notifications.urls")),
    path("api/chat/", include("reference.chat.urls")),
    path(
        "api/chat/upload/",
        ChatImageUploadApi.as_view(photo_order=OrderPhotos),
        name="chat-upload",
    ),
    path("media/<path:name>", media_serve, name="media"),
]

handler400 = "reference.common.handlers.bad_request"
handler403 = "reference.common.handlers.permission_denied"
handler404 = "reference.common.handlers.page_not_found"
handler500 = "reference.common.handlers.server_error"
