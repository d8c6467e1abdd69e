from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "reference.uploads"
    label = "uploads"
    verbose_name = "Uploads"
