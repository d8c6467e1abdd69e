from django.apps import AppConfig


class MobileConfig(AppConfig):
    name = "reference.mobile"
    label = "mobile"
    verbose_name = "Mobile app"
