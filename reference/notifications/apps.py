from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "reference.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # orders sits below notifications: it announces a new status, the customer is told
        from reference.notifications import receivers
        from reference.orders import signals

        signals.order_status_recorded.connect(receivers.order_status_recorded_notify,
                                              dispatch_uid="notifications.order_status")
