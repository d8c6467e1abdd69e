"""Orders: server-side pricing, validation, ownership, the lifecycle and cancellation."""

import dataclasses
import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from reference.catalog.models import ServiceItem
from reference.orders.exceptions import OrderNotCancellable
from reference.orders.models import Order
from reference.orders.services import order_cancel, order_price
from reference.tests import images
from reference.tests.conftest import ORDERS, address_for, order_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

LIFECYCLE = ["confirmed", "picked_up", "in_process", "ready", "out_for_delivery", "delivered"]
ORDER_FIELDS = {
    "id", "order_number", "status", "payment_status", "payment_method", "items", "images",
    "pickup_address", "delivery_address", "pickup_date", "pickup_time_slot",
    "special_instructions", "subtotal", "tax", "delivery_fee", "discount", "total",
    "status_history", "created_at", "updated_at",
}
SUMMARY_FIELDS = {
    "id", "order_number", "status", "payment_status", "total", "item_count", "created_at",
}


def place(client, address, catalog, **overrides) -> dict:
    response = client.post(ORDERS, order_body(address, catalog, **overrides), format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def set_status(client, order: dict, status: str, note: str = ""):
    return client.post(f"{ORDERS}{order['id']}/status/", {"status": status, "note": note},
                       format="json")


def errors_of(response, status: int = HTTPStatus.BAD_REQUEST) -> dict:
    assert response.status_code == status, response.content
    return response.json()["errors"]


# --- pricing -----------------------------------------------------------------------------------


def test_pricing_is_exact_and_rounds_tax_half_up():
    pricing = order_price(lines=[(Decimal("49.00"), 3), (Decimal("349.00"), 1)])

    assert dataclasses.asdict(pricing) == {
        "subtotal": Decimal("496.00"), "tax": Decimal("89.28"),
        "delivery_fee": Decimal("50.00"), "discount": Decimal("0.00"),
        "total": Decimal("635.28"),
    }
    # 0.18 x 0.25 = 0.045: half up gives 0.05 where banker's rounding would give 0.04
    assert order_price(lines=[(Decimal("0.25"), 1)]).tax == Decimal("0.05")
    assert order_price(lines=[(Decimal("0.10"), 3)]).subtotal == Decimal("0.30")


def test_the_server_prices_the_order_and_ignores_what_the_client_says(
    customer, customer_address, catalog
):
    order = place(
        customer, customer_address, catalog, total=1, subtotal=1, tax=0, status="delivered",
        payment_status="paid", discount=500,
        items=[{"service_item": str(catalog["Shirt Wash & Iron"].pk), "quantity": 3,
                "unit_price": 1, "total_price": 3},
               {"service_item": str(catalog["Saree Dry Clean - Silk"].pk), "quantity": 1}],
    )

    assert set(order) == ORDER_FIELDS
    assert (order["status"], order["payment_status"]) == ("pending", "unpaid")
    assert (order["subtotal"], order["tax"], order["delivery_fee"]) == (496.0, 89.28, 50.0)
    assert (order["discount"], order["total"]) == (0.0, 635.28)
    shirts = order["items"][0]
    assert (shirts["unit_price"], shirts["total_price"], shirts["quantity"]) == (49.0, 147.0, 3)
    assert shirts["service_item_name"] == "Shirt Wash & Iron"
    stored = Order.objects.get(pk=order["id"])
    assert stored.total == Decimal("635.28")


def test_an_order_is_numbered_readably_and_uniquely(customer, customer_address, catalog):
    numbers = {place(customer, customer_address, catalog)["order_number"] for _ in range(5)}

    today = timezone.localdate().strftime("%Y%m%d")
    assert len(numbers) == 5
    assert all(re.fullmatch(rf"LC-{today}-[2-9A-HJKMNP-Z]{{5}}", number) for number in numbers)


def test_a_new_order_has_copies_of_its_addresses_and_one_history_entry(
    customer, customer_user, customer_address, catalog
):
    work = address_for(customer_user, label="work", city="Mysuru")

    order = place(customer, customer_address, catalog, delivery_address=str(work.pk))
    same = place(customer, customer_address, catalog)

    assert order["pickup_address"]["id"] == str(customer_address.pk)
    assert order["delivery_address"]["city"] == "Mysuru"
    assert same["delivery_address"] == same["pickup_address"]
    assert [entry["status"] for entry in order["status_history"]] == ["pending"]
    customer_address.delete()
    assert customer.get(f"{ORDERS}{order['id']}/").json()["pickup_address"]["city"] == (
        "Bengaluru"
    )


# --- validation --------------------------------------------------------------------------------


def test_another_users_address_is_400_and_nothing_is_created(
    customer, customer_address, catalog, make_user
):
    theirs = address_for(make_user())

    pickup = customer.post(ORDERS, order_body(theirs, catalog), format="json")
    delivery = customer.post(
        ORDERS, order_body(customer_address, catalog, delivery_address=str(theirs.pk)),
        format="json",
    )

    assert "pickup_address" in errors_of(pickup)
    assert "delivery_address" in errors_of(delivery)
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pickup_date": "2020-01-01"}, "pickup_date"),
        ({"pickup_date": "2999-01-01"}, "pickup_date"),
        ({"pickup_time_slot": "07:00-08:00"}, "pickup_time_slot"),
        ({"payment_method": "barter"}, "payment_method"),
        ({"payment_method": None}, "payment_method"),
        ({"items": []}, "items"),
        ({"special_instructions": "x" * 1001}, "special_instructions"),
        ({"image_ids": ["not-a-uuid"]}, "image_ids.0"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(customer, customer_address, catalog,
                                                 overrides, field):
    response = customer.post(ORDERS, order_body(customer_address, catalog, **overrides),
                             format="json")

    assert field in errors_of(response)
    assert not Order.objects.exists()


def test_today_is_a_valid_pickup_date(customer, customer_address, catalog):
    order = place(customer, customer_address, catalog,
                  pickup_date=timezone.localdate().isoformat())

    assert order["pickup_date"] == timezone.localdate().isoformat()


@pytest.mark.parametrize("quantity", [0, 101, -1, 1.5, "many"])
def test_quantity_is_1_to_100(customer, customer_address, catalog, quantity):
    item = str(catalog["Shirt Wash & Iron"].pk)
    items = [{"service_item": item, "quantity": quantity}]

    response = customer.post(ORDERS, order_body(customer_address, catalog, items=items),
                             format="json")

    assert "items.0.quantity" in errors_of(response)


def test_an_order_has_at_most_50_lines(customer, customer_address, catalog):
    line = {"service_item": str(catalog["Shirt Wash & Iron"].pk), "quantity": 1}

    fifty = place(customer, customer_address, catalog, items=[line] * 50)
    response = customer.post(
        ORDERS, order_body(customer_address, catalog, items=[line] * 10_000), format="json"
    )

    assert len(fifty["items"]) == 50
    assert "items" in errors_of(response)


def test_unknown_and_inactive_items_are_refused(customer, customer_address, catalog):
    ServiceItem.objects.filter(pk=catalog["Sherwani Dry Clean"].pk).update(is_active=False)
    items = [
        {"service_item": str(catalog["Shirt Wash & Iron"].pk), "quantity": 1},
        {"service_item": str(catalog["Sherwani Dry Clean"].pk), "quantity": 1},
        {"service_item": "7d7d4f3e-6a43-4c10-9a5e-0f1e9f0b1c2d", "quantity": 1},
    ]

    response = customer.post(ORDERS, order_body(customer_address, catalog, items=items),
                             format="json")

    assert set(errors_of(response)) == {"items.1.service_item", "items.2.service_item"}


def _image_id(client) -> str:
    file = SimpleUploadedFile("p.jpg", images.photo((32, 32)), content_type="image/jpeg")
    response = client.post("/api/mobile/upload-image/", {"image": file}, format="multipart")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()["id"]


def test_images_must_be_the_callers_and_on_no_other_order(
    customer, other_customer, customer_address, catalog
):
    mine, theirs = _image_id(customer), _image_id(other_customer)

    refused = customer.post(ORDERS, order_body(customer_address, catalog, image_ids=[theirs]),
                            format="json")
    order = place(customer, customer_address, catalog, image_ids=[mine, mine])
    again = customer.post(ORDERS, order_body(customer_address, catalog, image_ids=[mine]),
                          format="json")

    assert "image_ids" in errors_of(refused)
    assert [image["id"] for image in order["images"]] == [mine]
    assert order["images"][0]["url"].startswith("http://testserver/media/images/")
    assert "image_ids" in errors_of(again)
    assert Order.objects.count() == 1


# --- reading -----------------------------------------------------------------------------------


def test_list_filters_by_status_and_shows_only_the_callers_orders(
    customer, other_customer, staff, customer_address, catalog, make_user
):
    first = place(customer, customer_address, catalog)
    second = place(customer, customer_address, catalog)
    set_status(staff, second, "confirmed")

    everything = customer.get(ORDERS).json()
    confirmed = customer.get(ORDERS, {"status": "confirmed"}).json()

    assert [row["id"] for row in everything["results"]] == [second["id"], first["id"]]
    assert set(everything["results"][0]) == SUMMARY_FIELDS
    assert everything["results"][0]["item_count"] == 2
    assert [row["id"] for row in confirmed["results"]] == [second["id"]]
    assert other_customer.get(ORDERS).json()["count"] == 0
    assert other_customer.get(ORDERS, {"user": "anyone"}).json()["count"] == 0
    assert "status" in errors_of(customer.get(ORDERS, {"status": "lost"}))


@pytest.mark.parametrize("suffix", ["", "track/"])
def test_another_users_order_is_404(customer, other_customer, customer_address, catalog, suffix):
    order = place(customer, customer_address, catalog)

    response = other_customer.get(f"{ORDERS}{order['id']}/{suffix}")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_orders_need_a_login(api):
    assert api.get(ORDERS).status_code == HTTPStatus.UNAUTHORIZED
    assert api.post(ORDERS, {}, format="json").status_code == HTTPStatus.UNAUTHORIZED


def test_track_estimates_from_the_slot_and_the_slowest_item(customer, customer_address, catalog):
    pickup = timezone.localdate() + timedelta(days=2)
    order = place(customer, customer_address, catalog, pickup_date=pickup.isoformat(),
                  pickup_time_slot="16:00-18:00")

    track = customer.get(f"{ORDERS}{order['id']}/track/").json()

    assert set(track) == {"order_id", "status", "status_history", "estimated_delivery"}
    assert (track["order_id"], track["status"]) == (order["id"], "pending")
    # the silk saree takes 96 hours, the shirts 48; the window ends at 18:00 local time
    expected = timezone.make_aware(datetime.combine(pickup, datetime.min.time())) + timedelta(
        hours=18 + 96
    )
    assert datetime.fromisoformat(track["estimated_delivery"]) == expected
    assert track["estimated_delivery"].endswith("+05:30")


# --- paths (contract v1.1: the app's own, under `/api/orders/`) --------------------------------


def test_an_order_is_made_read_cancelled_and_tracked_at_the_apps_paths(
    customer, customer_address, catalog
):
    created = customer.post(ORDERS, order_body(customer_address, catalog), format="json")
    assert created.status_code == HTTPStatus.CREATED, created.content
    order_id = created.json()["id"]

    read = customer.get(f"{ORDERS}{order_id}/")
    cancelled = customer.post(f"{ORDERS}{order_id}/cancel/", {"reason": "Plans changed"},
                              format="json")
    track = customer.get(f"{ORDERS}{order_id}/track/")

    assert (read.status_code, read.json()["id"]) == (HTTPStatus.OK, order_id)
    assert cancelled.status_code == HTTPStatus.OK, cancelled.content
    assert (cancelled.json()["id"], cancelled.json()["status"]) == (order_id, "cancelled")
    assert track.status_code == HTTPStatus.OK, track.content
    assert (track.json()["order_id"], track.json()["status"]) == (order_id, "cancelled")
    assert [row["id"] for row in customer.get(ORDERS).json()["results"]] == [order_id]


def test_history_is_its_own_call_not_an_order_id(customer, customer_address, catalog):
    place(customer, customer_address, catalog)

    history = customer.get(f"{ORDERS}history/")
    not_an_id = customer.get(f"{ORDERS}shirts/")

    assert history.status_code == HTTPStatus.OK, history.content
    assert history.json()["count"] == 0  # a pending order is not history yet
    assert not_an_id.status_code == HTTPStatus.NOT_FOUND
    assert not_an_id.json()["code"] == "not_found"


@pytest.mark.parametrize(("name", "route"), [
    ("orders", ""), ("history", "history/"), ("order-detail", "{id}/"),
    ("cancel", "{id}/cancel/"), ("track", "{id}/track/"), ("status", "{id}/status/"),
])
def test_every_orders_route_lives_directly_under_the_prefix(name, route):
    order_id = uuid.uuid4()
    kwargs = {"order_id": order_id} if "{id}" in route else {}

    assert reverse(f"orders:{name}", kwargs=kwargs) == ORDERS + route.format(id=order_id)


@pytest.mark.parametrize(("method", "route"), [
    ("GET", ""), ("POST", ""), ("GET", "history/"), ("GET", "{id}/"),
    ("POST", "{id}/cancel/"), ("GET", "{id}/track/"), ("POST", "{id}/status/"),
])
def test_the_v1_paths_with_orders_twice_answer_the_json_404(
    customer, staff, customer_address, catalog, method, route
):
    order = place(customer, customer_address, catalog)
    # contract v1 had the collection's name again under the prefix
    old = f"{ORDERS}orders/{route.format(id=order['id'])}"

    for client in (customer, staff):
        response = client.generic(method, old, "{}", content_type="application/json")
        assert response.status_code == HTTPStatus.NOT_FOUND, (old, response.content)
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_found"
    assert customer.get(f"{ORDERS}{order['id']}/").json()["status"] == "pending"


# --- lifecycle ---------------------------------------------------------------------------------


def test_staff_walk_an_order_through_its_lifecycle(customer, staff, customer_address, catalog):
    order = place(customer, customer_address, catalog)

    for status in LIFECYCLE:
        response = set_status(staff, order, status, note=f"now {status}")
        assert response.status_code == HTTPStatus.OK, response.content
        assert response.json()["status"] == status

    history = customer.get(f"{ORDERS}{order['id']}/").json()["status_history"]
    assert [entry["status"] for entry in history] == ["pending", *LIFECYCLE]
    assert history[-1]["note"] == "now delivered"
    delivered = customer.get(f"{ORDERS}history/").json()["results"]
    assert [row["id"] for row in delivered] == [order["id"]]


@pytest.mark.parametrize(
    ("walk", "jump"),
    [
        ([], "picked_up"),
        ([], "delivered"),
        ([], "pending"),
        (["confirmed"], "confirmed"),
        (["confirmed", "picked_up"], "cancelled"),
        (["confirmed", "picked_up", "in_process"], "confirmed"),
        (LIFECYCLE, "cancelled"),
    ],
)
def test_a_jump_the_lifecycle_does_not_allow_is_409(
    customer, staff, customer_address, catalog, walk, jump
):
    order = place(customer, customer_address, catalog)
    for status in walk:
        set_status(staff, order, status)

    response = set_status(staff, order, jump)

    assert response.status_code == HTTPStatus.CONFLICT, response.content
    assert response.json()["code"] == "invalid_transition"
    assert Order.objects.get(pk=order["id"]).status == (walk[-1] if walk else "pending")


def test_a_customer_may_not_change_a_status(customer, customer_address, catalog):
    order = place(customer, customer_address, catalog)

    response = set_status(customer, order, "confirmed")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Order.objects.get(pk=order["id"]).status == "pending"


def test_staff_read_any_order(customer, staff, customer_address, catalog):
    order = place(customer, customer_address, catalog)

    assert staff.get(f"{ORDERS}{order['id']}/").json()["id"] == order["id"]


def test_an_unknown_status_is_400(customer, staff, customer_address, catalog):
    order = place(customer, customer_address, catalog)

    assert "status" in errors_of(set_status(staff, order, "teleported"))


# --- cancellation ------------------------------------------------------------------------------


@pytest.mark.parametrize("walk", [[], ["confirmed"]])
def test_an_order_is_cancelled_while_pending_or_confirmed(
    customer, staff, customer_address, catalog, walk
):
    order = place(customer, customer_address, catalog)
    for status in walk:
        set_status(staff, order, status)

    response = customer.post(f"{ORDERS}{order['id']}/cancel/", {"reason": "Plans changed"},
                             format="json")

    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert (body["status"], body["payment_status"]) == ("cancelled", "unpaid")
    assert body["status_history"][-1]["status"] == "cancelled"
    assert body["status_history"][-1]["note"] == "Plans changed"
    track = customer.get(f"{ORDERS}{order['id']}/track/").json()
    assert track["estimated_delivery"] is None
    assert [row["id"] for row in customer.get(f"{ORDERS}history/").json()["results"]] == [
        order["id"]
    ]


@pytest.mark.parametrize("walk", [["confirmed", "picked_up"], ["cancelled"]])
def test_cancelling_after_pickup_or_twice_is_409(customer, staff, customer_address, catalog,
                                                  walk):
    order = place(customer, customer_address, catalog)
    for status in walk:
        set_status(staff, order, status)

    response = customer.post(f"{ORDERS}{order['id']}/cancel/", {}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "order_not_cancellable"
    assert Order.objects.get(pk=order["id"]).status == walk[-1]


def test_another_user_cannot_cancel(customer, other_customer, staff, customer_address, catalog):
    order = place(customer, customer_address, catalog)

    assert other_customer.post(f"{ORDERS}{order['id']}/cancel/").status_code == 404
    assert staff.post(f"{ORDERS}{order['id']}/cancel/").status_code == 404
    assert Order.objects.get(pk=order["id"]).status == "pending"


def test_cancel_decides_on_the_locked_row_not_the_callers_copy(
    customer, customer_user, staff, customer_address, catalog
):
    order = place(customer, customer_address, catalog)
    stale = Order.objects.get(pk=order["id"])
    set_status(staff, order, "confirmed")
    set_status(staff, order, "picked_up")

    with pytest.raises(OrderNotCancellable):
        order_cancel(order=stale, by=customer_user)

    assert Order.objects.get(pk=order["id"]).status == "picked_up"


def test_a_paid_order_is_not_cancelled_before_refunds_exist(customer, customer_address, catalog):
    order = place(customer, customer_address, catalog)
    Order.objects.filter(pk=order["id"]).update(payment_status=Order.PaymentStatus.PAID)

    response = customer.post(f"{ORDERS}{order['id']}/cancel/", {}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "refund_unavailable"
    stored = Order.objects.get(pk=order["id"])
    assert (stored.status, stored.status_history.count()) == ("pending", 1)
