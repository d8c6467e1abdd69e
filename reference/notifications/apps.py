from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "reference.notifications"
    label = "notifications"
    verbose_name = "Notifications"
