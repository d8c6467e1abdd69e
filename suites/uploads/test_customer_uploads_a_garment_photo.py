"""A customer uploads a garment photo as a JPEG, PNG or WebP; the server stores a JPEG and a
thumbnail that image components load without a token, and reads the photo back as it stored it."""

import allure
import pytest

from fixtures.images import comparable, inspect

FORMATS = {
    "jpeg": (lambda photos: photos.jpeg(640, 480), "garment.jpg", "image/jpeg"),
    "png": (lambda photos: photos.png(640, 480), "garment.png", "image/png"),
    "png-with-transparency": (lambda photos: photos.png(640, 480, transparent=True),
                              "screenshot.png", "image/png"),
    "webp": (lambda photos: photos.webp(640, 480), "garment.webp", "image/webp"),
}
THUMBNAIL_SIDE = 300


@allure.feature("Uploads")
@allure.story("Upload a garment photo")
@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_customer_uploads_a_garment_photo(customer, photos, kind):
    # given a 640 x 480 photo in `kind`
    make, filename, content_type = FORMATS[kind]
    photo = make(photos)

    # when the app uploads it
    image = customer.uploads.upload_image(photo, filename=filename, content_type=content_type)

    # then every byte went out, in order, and the server describes a 640 x 480 JPEG
    progress = customer.uploads.last_progress
    assert progress.monotonic, progress.points
    assert progress.complete, progress.summary()
    assert (image["width"], image["height"], image["content_type"]) == (640, 480, "image/jpeg")

    # and the photo and its thumbnail load without a token, as the JPEGs described
    stored = customer.uploads.fetch_url(image["url"])
    assert stored.headers.get("content-type", "").startswith("image/jpeg"), stored.headers
    assert (inspect(stored.content).format, inspect(stored.content).size) == ("JPEG", (640, 480))
    assert image["size_bytes"] == len(stored.content)
    thumbnail = inspect(customer.uploads.image_bytes(image["thumbnail_url"]))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (THUMBNAIL_SIDE, 225))

    # and reading the image back gives the same description
    assert comparable(customer.uploads.get_image(image["id"])) == comparable(image)


@allure.feature("Uploads")
@allure.story("Upload a garment photo")
def test_a_photo_uploaded_for_an_order_is_attached_to_it(customer, order, photos):
    # given a pending order without photos
    assert order["images"] == []

    # when the app uploads a photo naming the order
    image = customer.uploads.upload_image(photos.jpeg(), order_id=order["id"])

    # then the order shows it
    attached = comparable(customer.orders.get(order["id"])["images"])
    assert attached == comparable([{k: image[k] for k in ("id", "url", "thumbnail_url")}])
