"""Writes of the orders domain: placing an order, cancelling it, moving it along its lifecycle;
what a photo uploaded onto an order must meet.

Every status change locks the order's row (`select_for_update`) and re-reads its status inside
the transaction that also appends the status history entry, so two concurrent changes cannot
both win. (SQLite ignores FOR UPDATE; there the IMMEDIATE transactions of the embedded profile
queue every writer behind the one holding the write lock, which gives the same guarantee.)
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from reference.accounts.models import Address, User
from reference.accounts.selectors import address_list
from reference.accounts.serializers import AddressSerializer
from reference.catalog.models import ServiceItem
from reference.catalog.selectors import service_item_list
from reference.orders.exceptions import InvalidTransition, OrderNotCancellable
from reference.orders.models import Order, OrderItem, OrderStatusChange
from reference.orders.selectors import order_list
from reference.orders.signals import order_cancelled, order_delivered, order_status_recorded
from reference.uploads.selectors import images_attachable
from reference.uploads.services import NOT_ATTACHABLE, images_attach

TAX_RATE = Decimal("0.18")
DELIVERY_FEE = Decimal("50.00")
PAISE = Decimal("0.01")
PICKUP_DAYS_AHEAD = 90
ORDER_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L to misread
ORDER_NUMBER_ATTEMPTS = 5
MAX_IMAGES_PER_ORDER = 10
NO_SUCH_ORDER = "No such order among yours."

Status = Order.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.CONFIRMED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.PICKED_UP, Status.CANCELLED}),
    Status.PICKED_UP: frozenset({Status.IN_PROCESS}),
    Status.IN_PROCESS: frozenset({Status.READY}),
    Status.READY: frozenset({Status.OUT_FOR_DELIVERY}),
    Status.OUT_FOR_DELIVERY: frozenset({Status.DELIVERED}),
    Status.DELIVERED: frozenset(),
    Status.CANCELLED: frozenset(),
}
CANCELLABLE = frozenset({Status.PENDING, Status.CONFIRMED})


@dataclass(frozen=True)
class OrderLine:
    """One line as the customer asked for it."""

    service_item_id: UUID
    quantity: int
    notes: str = ""


@dataclass(frozen=True)
class Pricing:
    subtotal: Decimal
    tax: Decimal
    delivery_fee: Decimal
    discount: Decimal
    total: Decimal


def order_price(*, lines: list[tuple[Decimal, int]]) -> Pricing:
    """Price (unit price, quantity) lines: tax is 18 % of the subtotal, rounded half up to
    the paisa; the delivery fee is 50; there is no discount yet."""
    subtotal = sum((price * quantity for price, quantity in lines), Decimal("0.00"))
    subtotal = subtotal.quantize(PAISE)
    tax = (subtotal * TAX_RATE).quantize(PAISE, rounding=ROUND_HALF_UP)
    discount = Decimal("0.00")
    total = subtotal + tax + DELIVERY_FEE - discount
    return Pricing(
        subtotal=subtotal, tax=tax, delivery_fee=DELIVERY_FEE, discount=discount, total=total
    )


def _estimated_delivery(*, pickup_date: date, pickup_time_slot: str, hours: int) -> datetime:
    """The end of the pickup window plus the longest processing time of the order's items."""
    slot_end = time.fromisoformat(pickup_time_slot.split("-")[1])
    return timezone.make_aware(datetime.combine(pickup_date, slot_end)) + timedelta(hours=hours)


def _order_number_new() -> str:
    day = timezone.localdate().strftime("%Y%m%d")
    suffix = "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(5))
    return f"LC-{day}-{suffix}"


def _address_snapshot(address: Address) -> dict:
    return dict(AddressSerializer(address).data)


def _owned_address(*, user: User, address_id: UUID) -> Address | None:
    return address_list(user=user).filter(pk=address_id).first()


def _status_record(*, order: Order, status: str, note: str, by: User | None) -> None:
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    OrderStatusChange.objects.create(order=order, status=status, note=note, by=by)
    # The customer hears of it (socket frame, notification, push) once this transaction commits.
    order_status_recorded.send(sender=Order, order=order)


@transaction.atomic
def order_create(
    *,
    user: User,
    pickup_address_id: UUID,
    pickup_date: date,
    pickup_time_slot: str,
    lines: list[OrderLine],
    payment_method: str,
    delivery_address_id: UUID | None = None,
    image_ids: list[UUID] | None = None,
    special_instructions: str = "",
) -> Order:
    """Place an order priced from the catalog. Addresses and images must be the user's own;
    whatever the client said about prices, totals or statuses never reaches this function."""
    errors: dict[str, list[str]] = {}
    pickup, delivery = _addresses_of(
        user=user,
        pickup_address_id=pickup_address_id,
        delivery_address_id=delivery_address_id,
        errors=errors,
    )
    _pickup_date_check(pickup_date=pickup_date, errors=errors)
    items = _service_items_of(lines=lines, errors=errors)
    image_ids = list(dict.fromkeys(image_ids or []))
    if image_ids and not images_attachable(user=user, image_ids=image_ids):
        errors["image_ids"] = [NOT_ATTACHABLE]
    if errors:
        raise ValidationError(errors)

    pricing = order_price(
        lines=[(items[line.service_item_id].base_price, line.quantity) for line in lines]
    )
    hours = max(items[line.service_item_id].processing_time for line in lines)
    order = _order_insert(
        user=user,
        payment_method=payment_method,
        pickup_address=_address_snapshot(pickup),
        delivery_address=_address_snapshot(delivery),
        pickup_date=pickup_date,
        pickup_time_slot=pickup_time_slot,
        special_instructions=special_instructions,
        subtotal=pricing.subtotal,
        tax=pricing.tax,
        delivery_fee=pricing.delivery_fee,
        discount=pricing.discount,
        total=pricing.total,
        estimated_delivery=_estimated_delivery(
            pickup_date=pickup_date, pickup_time_slot=pickup_time_slot, hours=hours
        ),
    )
    _order_items_create(order=order, lines=lines, items=items)
    if image_ids:
        images_attach(user=user, image_ids=image_ids, order_id=order.pk)
    OrderStatusChange.objects.create(
        order=order, status=Status.PENDING, note="Order placed.", by=user
    )
    return order


def _addresses_of(
    *,
    user: User,
    pickup_address_id: UUID,
    delivery_address_id: UUID | None,
    errors: dict[str, list[str]],
) -> tuple[Address | None, Address | None]:
    """The pickup and delivery addresses from the user's address book (delivery defaults to
    pickup); one that is not there is added to `errors`."""
    pickup = _owned_address(user=user, address_id=pickup_address_id)
    if pickup is None:
        errors["pickup_address"] = ["No such address in your address book."]
    delivery = pickup
    if delivery_address_id is not None and delivery_address_id != pickup_address_id:
        delivery = _owned_address(user=user, address_id=delivery_address_id)
        if delivery is None:
            errors["delivery_address"] = ["No such address in your address book."]
    return pickup, delivery


def _pickup_date_check(*, pickup_date: date, errors: dict[str, list[str]]) -> None:
    """A pickup is today or up to PICKUP_DAYS_AHEAD days ahead; another day is added to
    `errors`."""
    today = timezone.localdate()
    if pickup_date < today:
        errors["pickup_date"] = [f"Choose today ({today.isoformat()}) or a later day."]
    elif pickup_date > today + timedelta(days=PICKUP_DAYS_AHEAD):
        errors["pickup_date"] = [f"Choose a day at most {PICKUP_DAYS_AHEAD} days ahead."]


def _service_items_of(
    *, lines: list[OrderLine], errors: dict[str, list[str]]
) -> dict[UUID, ServiceItem]:
    """The catalog's items the lines ask for, by id; a line asking for one not on offer is
    added to `errors`."""
    wanted = {line.service_item_id for line in lines}
    items: dict[UUID, ServiceItem] = {
        item.pk: item for item in service_item_list().filter(pk__in=wanted)
    }
    for position, line in enumerate(lines):
        if line.service_item_id not in items:
            errors[f"items.{position}.service_item"] = ["No such service item on offer."]
    return items


def _order_items_create(
    *, order: Order, lines: list[OrderLine], items: dict[UUID, ServiceItem]
) -> None:
    """The order's lines at the catalog's prices and processing times of today."""
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            service_item=items[line.service_item_id],
            service_item_name=items[line.service_item_id].name,
            quantity=line.quantity,
            unit_price=items[line.service_item_id].base_price,
            total_price=items[line.service_item_id].base_price * line.quantity,
            processing_time=items[line.service_item_id].processing_time,
            notes=line.notes,
            position=position,
        )
        for position, line in enumerate(lines)
    )


def _order_insert(**fields: object) -> Order:
    """Insert the order under a fresh order number (five random characters a day: a clash is
    rare, and retried)."""
    attempts_left = ORDER_NUMBER_ATTEMPTS
    while True:
        try:
            with transaction.atomic():
                return Order.objects.create(order_number=_order_number_new(), **fields)
        except IntegrityError:
            attempts_left -= 1
            if not attempts_left:
                raise


@transaction.atomic
def order_cancel(*, order: Order, by: User, reason: str = "") -> Order:
    """Cancel an order that is still pending or confirmed (409 otherwise); a paid order is
    refunded in the same transaction."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status not in CANCELLABLE:
        raise OrderNotCancellable()
    _status_record(
        order=locked, status=Status.CANCELLED, note=reason or "Cancelled by the customer.", by=by
    )
    order_cancelled.send(sender=Order, order=locked)
    return locked


@transaction.atomic
def order_status_change(*, order: Order, status: str, by: User, note: str = "") -> Order:
    """Move an order one step along its lifecycle (staff); any other jump is 409."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if status not in TRANSITIONS[locked.status]:
        raise InvalidTransition(
            f"An order that is {locked.status} cannot become {status}. Allowed next: "
            f"{', '.join(sorted(TRANSITIONS[locked.status])) or 'none'}."
        )
    _status_record(order=locked, status=status, note=note, by=by)
    if status == Status.CANCELLED:
        # a paid order is refunded in the same transaction (payments; 409 when it cannot be)
        order_cancelled.send(sender=Order, order=locked)
    elif status == Status.DELIVERED:
        # Cash on delivery: the cash handed over is captured and the order is paid.
        order_delivered.send(sender=Order, order=locked)
    return locked


@dataclass(frozen=True)
class OrderPhotos:
    """One of the user's orders as a photo upload goes onto it (`reference.uploads.services`'s
    `PhotoOrder`): only the user's own order, and at most MAX_IMAGES_PER_ORDER photos on it."""

    user: User
    order_id: UUID

    def check(self) -> None:
        """Before the photo is decoded: the order is one of the user's."""
        if not order_list(user=self.user).filter(pk=self.order_id).exists():
            raise ValidationError({"order_id": [NO_SUCH_ORDER]})

    def claim(self) -> None:
        """In the transaction that records the photo: the order's row locked, so that
        concurrent uploads count one after another."""
        order = Order.objects.select_for_update().filter(pk=self.order_id, user=self.user).first()
        if order is None:
            raise ValidationError({"order_id": [NO_SUCH_ORDER]})
        if order.images.count() >= MAX_IMAGES_PER_ORDER:
            raise ValidationError(
                {"order_id": [f"An order takes at most {MAX_IMAGES_PER_ORDER} photos."]}
            )
