from django.urls import path

from reference.uploads import apis

app_name = "uploads"

urlpatterns = [
    path("images/<uuid:image_id>/", apis.ImageDetailApi.as_view(), name="image-detail"),
]
