"""`housekeeping`: expired idempotency keys and photos nobody used are deleted; what is still in
use, or still young, stays."""

import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from reference.chat import services as chat_services
from reference.common.models import IdempotencyKey
from reference.orders.models import Order
from reference.tests import images
from reference.tests.conftest import ORDERS, address_for, order_body
from reference.uploads.models import UploadedImage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

DAY = timedelta(hours=24)


def uploaded(client, *, age: timedelta) -> UploadedImage:
    photo = SimpleUploadedFile("photo.jpg", images.photo((64, 48)), content_type="image/jpeg")
    response = client.post("/api/mobile/upload-image/", {"image": photo}, format="multipart")
    assert response.status_code == HTTPStatus.CREATED, response.content
    UploadedImage.objects.filter(pk=response.json()["id"]).update(
        created_at=timezone.now() - age)
    return UploadedImage.objects.get(pk=response.json()["id"])


def housekeeping(*args: str) -> str:
    out = io.StringIO()
    call_command("housekeeping", *args, stdout=out)
    return out.getvalue()


def files_of(image: UploadedImage, media_root) -> list[bool]:
    return [(media_root / name).exists() for name in (image.image_name, image.thumbnail_name)]


def test_only_old_photos_that_no_order_and_no_message_use_are_deleted(
        customer, customer_user, staff_user, catalog, media_root):
    forgotten = uploaded(customer, age=DAY + timedelta(minutes=1))
    fresh = uploaded(customer, age=timedelta(hours=1))
    ordered = uploaded(customer, age=DAY * 3)
    chatted = uploaded(customer, age=DAY * 3)
    order = customer.post(ORDERS, order_body(
        address_for(customer_user), catalog, image_ids=[str(ordered.pk)]), format="json")
    assert order.status_code == HTTPStatus.CREATED, order.content
    room, _ = chat_services.room_open(user=customer_user,
                                      order=Order.objects.get(pk=order.json()["id"]))
    message = customer.post(f"/api/chat/rooms/{room.pk}/messages/",
                            {"message": "this stain", "image_id": str(chatted.pk)}, format="json")
    assert message.status_code == HTTPStatus.CREATED, message.content
    assert files_of(forgotten, media_root) == [True, True]

    report = housekeeping()

    assert "1 unused photo(s)" in report
    assert set(UploadedImage.objects.values_list("pk", flat=True)) == {
        fresh.pk, ordered.pk, chatted.pk}
    assert files_of(forgotten, media_root) == [False, False]
    for kept in (fresh, ordered, chatted):
        assert files_of(kept, media_root) == [True, True]


def test_the_age_of_an_unused_photo_is_an_option(customer, media_root):
    photo = uploaded(customer, age=timedelta(hours=3))

    assert "0 unused photo(s)" in housekeeping()
    assert "1 unused photo(s)" in housekeeping("--orphan-hours", "2")
    assert not UploadedImage.objects.filter(pk=photo.pk).exists()
    with pytest.raises(CommandError, match="more than 0"):
        housekeeping("--orphan-hours", "0")


def test_idempotency_keys_past_their_24_hours_are_deleted(customer_user):
    def key(name: str, age: timedelta) -> IdempotencyKey:
        return IdempotencyKey.objects.create(user=customer_user, key=name, fingerprint="f",
                                             created_at=timezone.now() - age)

    key("yesterday's", DAY + timedelta(seconds=1))
    key("this morning's", DAY - timedelta(minutes=5))

    assert "1 expired idempotency key(s)" in housekeeping()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["this morning's"]
