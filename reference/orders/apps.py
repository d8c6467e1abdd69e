from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "reference.orders"
    label = "orders"
    verbose_name = "Orders"
