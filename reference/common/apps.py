from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "reference.common"
    label = "common"
    verbose_name = "Common"
