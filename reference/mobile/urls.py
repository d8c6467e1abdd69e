from django.urls import path

from reference.mobile import apis

app_name = "mobile"

urlpatterns = [
    path("dashboard/", apis.DashboardApi.as_view(), name="dashboard"),
    path("config/", apis.AppConfigApi.as_view(), name="config"),
]
