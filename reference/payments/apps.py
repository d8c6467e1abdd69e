from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "reference.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # orders sits below payments: it announces a cancel or a delivery, payments moves the
        # money (a refund refused raises, and the cancel is rolled back with it)
        from reference.orders import signals
        from reference.payments import receivers

        signals.order_cancelled.connect(receivers.order_cancelled_refund,
                                        dispatch_uid="payments.order_cancelled_refund")
        signals.order_delivered.connect(receivers.order_delivered_collect,
                                        dispatch_uid="payments.order_delivered_collect")
