"""What an order's life announces to the apps above it, so that orders imports none of them.

Each is sent inside the transaction that changed the order, with `order` (locked), through
`Signal.send`: a receiver's exception (a refund refused, 409) aborts the change, as a call
would. Receivers are connected in the `ready()` of the app that owns them.
"""

from django.dispatch import Signal

# a new status is recorded (notifications: the customer hears of it once the transaction commits)
order_status_recorded = Signal()
# the order is cancelled (payments: what was paid goes back; a refund refused aborts the cancel)
order_cancelled = Signal()
# the order is delivered (payments: cash handed over on delivery is captured)
order_delivered = Signal()
