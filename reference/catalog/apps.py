from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "reference.catalog"
    label = "catalog"
    verbose_name = "Catalog"
