"""Image upload: files that are small on the wire and huge once decoded are refused (400)
before they are decoded: a PNG declaring 20000 x 20000 pixels, and a PNG whose text chunk
inflates to 100 MB; the backend stays healthy and keeps serving uploads."""

from http import HTTPStatus

import allure
import pytest

from fixtures import images
from fixtures.api import expect_error

pytestmark = [pytest.mark.security]

BOMBS = {
    "20000x20000-pixels": lambda: images.decompression_bomb_png(),
    "ztxt-100mb-before-pixels": lambda: images.png_text_bomb(where="before_idat"),
    "itxt-100mb-after-pixels": lambda: images.png_text_bomb(where="after_idat"),
}


@allure.feature("Security: image upload")
@allure.story("Decompression bombs")
@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_attacker_uploads_an_image_bomb(customer, anonymous, photos, bomb):
    # given an ordinary PNG is accepted (positive control)
    customer.uploads.upload_image(photos.png(), filename="garment.png", content_type="image/png")

    # when the attacker uploads the bomb
    reply = customer.uploads.raw_upload_bytes(BOMBS[bomb](), "garment.png", "image/png")

    # then it is refused as invalid input
    expect_error(reply, HTTPStatus.BAD_REQUEST)

    # and the backend still serves the app and takes photos
    anonymous.catalog.categories()
    image = customer.uploads.upload_image(photos.jpeg())
    customer.uploads.image_bytes(image["url"])
