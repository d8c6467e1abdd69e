"""The ordering journey: a customer browses the catalog, photographs the garments, orders a
pickup with the photos, and follows the order while staff takes it all the way to delivery."""

from datetime import datetime

import allure
import pytest

from fixtures.images import inspect
from fixtures.orders import LIFECYCLE

ADDRESS_FIELDS = ("id", "label", "address_line1", "city", "state", "pincode")


def statuses(history: list[dict]) -> list[str]:
    return [change["status"] for change in history]


def in_time_order(history: list[dict]) -> bool:
    moments = [datetime.fromisoformat(change["at"]) for change in history]
    return moments == sorted(moments)


@allure.feature("Orders")
@allure.story("Order a pickup with garment photos and follow it to delivery")
@pytest.mark.needs_staff
def test_customer_orders_laundry_with_garment_photos(customer, staff, address, app_config,
                                                     photos, data):
    # Step 1 - the customer browses the catalog, category by category, and picks three items
    with allure.step("Step 1 - browse the catalog"):
        offered = [item for category in customer.catalog.all_categories()
                   for item in customer.catalog.all_items(category=category["id"])
                   if item["is_active"]]
        lines = data.order_lines(offered, count=3)

    # Step 2 - photographs three garments; each photo streams out whole, chunk after chunk
    with allure.step("Step 2 - upload three garment photos"):
        uploaded = []
        for n in range(1, 4):
            photo = photos.jpeg(1600, 1200)
            uploaded.append(customer.uploads.upload_image(photo, filename=f"garment-{n}.jpg"))
            progress = customer.uploads.last_progress
            assert progress.file_bytes == len(photo)
            assert progress.monotonic, progress.points
            assert progress.complete, progress.summary()

    # Step 3 - orders a pickup from their address with those lines and photos
    with allure.step("Step 3 - order the pickup"):
        body = data.order(pickup_address=address["id"], catalog=offered, items=lines,
                          pickup_time_slot=app_config["pickup_time_slots"][0])
        created = customer.orders.create(**body, image_ids=[p["id"] for p in uploaded])
        assert (created["status"], created["payment_status"]) == ("pending", "unpaid")
        assert [(str(line["service_item"]), line["quantity"]) for line in created["items"]] == \
            [(str(line["service_item"]), line["quantity"]) for line in lines]

    # Step 4 - reads it back: addresses nested whole, photos that load without a token
    with allure.step("Step 4 - read the order back"):
        order = customer.orders.get(created["id"])
        assert order["id"] == created["id"]
        for side in ("pickup_address", "delivery_address"):  # delivery defaults to pickup
            assert {f: order[side][f] for f in ADDRESS_FIELDS} == \
                {f: address[f] for f in ADDRESS_FIELDS}, side
        assert sorted(str(i["id"]) for i in order["images"]) == \
            sorted(str(p["id"]) for p in uploaded)
        for image in order["images"]:
            for url in (image["url"], image["thumbnail_url"]):
                served = customer.uploads.fetch_url(url)
                assert served.headers.get("content-type", "").startswith("image/jpeg"), url
                assert inspect(served.content).format == "JPEG", url

    # Step 5 - staff moves it through every status; the customer's tracking follows each step
    with allure.step("Step 5 - staff takes the order to delivery"):
        for status in LIFECYCLE[1:]:
            moved = staff.orders.set_status(order["id"], status, note=f"now {status}")
            assert moved["status"] == status
            assert customer.orders.track(order["id"])["status"] == status

    # then tracking and the order hold every status once, in order and in time
    track = customer.orders.track(order["id"])
    assert str(track["order_id"]) == str(order["id"])
    assert statuses(track["status_history"]) == list(LIFECYCLE)
    assert in_time_order(track["status_history"]), track["status_history"]
    delivered = customer.orders.get(order["id"])
    assert delivered["status"] == "delivered"
    assert statuses(delivered["status_history"]) == list(LIFECYCLE)

    # and the order has moved from the active list to the history
    assert [o["id"] for o in customer.orders.history()["results"]] == [order["id"]]
    assert [o["id"] for o in customer.orders.all(status="delivered")] == [order["id"]]
    assert customer.orders.all(status="pending") == []
