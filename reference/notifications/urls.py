from django.urls import path

from reference.notifications import apis

app_name = "notifications"

urlpatterns = [
    path("notifications/", apis.NotificationListApi.as_view(), name="notifications"),
    path(
        "notifications/unread_count/",
        apis.NotificationUnreadCountApi.as_view(),
        name="unread-count",
    ),
    path(
        "notifications/mark_all_read/",
        apis.NotificationMarkAllReadApi.as_view(),
        name="mark-all-read",
    ),
    path(
        "notifications/<uuid:notification_id>/mark_read/",
        apis.NotificationMarkReadApi.as_view(),
        name="mark-read",
    ),
    path("preferences/me/", apis.PreferenceApi.as_view(), name="preferences"),
]
