from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "reference.payments"
    label = "payments"
    verbose_name = "Payments"
