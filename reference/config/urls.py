"""URL map: `/api/...` for REST, Swagger UI and the schema; everything else is a JSON 404."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from reference.common.apis import HealthApi

urlpatterns = [
    path("api/health/", HealthApi.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/accounts/", include("reference.accounts.urls")),
    path("api/services/", include("reference.catalog.urls")),
]

handler400 = "reference.common.handlers.bad_request"
handler403 = "reference.common.handlers.permission_denied"
handler404 = "reference.common.handlers.page_not_found"
handler500 = "reference.common.handlers.server_error"
