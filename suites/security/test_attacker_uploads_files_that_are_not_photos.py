"""Image upload: the type of an upload is decided by decoding it against an allowlist (JPEG,
PNG, WebP), never by its name or declared type. HTML and PHP dressed as x.jpg, SVG with a
script, GIF and TIFF are refused (415, or 400), and nothing is attached to the order."""

from http import HTTPStatus

import allure
import pytest

from fixtures import images
from fixtures.api import expect_error
from fixtures.images import comparable

pytestmark = [pytest.mark.security]

REFUSED = (HTTPStatus.UNSUPPORTED_MEDIA_TYPE, HTTPStatus.BAD_REQUEST)

NOT_PHOTOS = {
    "html-as-jpeg": (lambda photos: images.html_page(), "x.jpg", "image/jpeg"),
    "php-as-jpeg": (lambda photos: images.php_script(), "x.jpg", "image/jpeg"),
    "svg-with-script": (lambda photos: images.svg_with_script(), "x.svg", "image/svg+xml"),
    "svg-as-jpeg": (lambda photos: images.svg_with_script(), "x.jpg", "image/jpeg"),
    "gif": (lambda photos: photos.gif(), "x.gif", "image/gif"),
    "gif-as-jpeg": (lambda photos: photos.gif(), "x.jpg", "image/jpeg"),
    "tiff": (lambda photos: photos.tiff(), "x.tiff", "image/tiff"),
}


@allure.feature("Security: image upload")
@allure.story("Files that are not photos")
@pytest.mark.parametrize("case", sorted(NOT_PHOTOS))
def test_attacker_uploads_a_file_that_is_not_a_photo(customer, order, photos, case):
    # given a real JPEG for the order is accepted (positive control)
    customer.uploads.upload_image(photos.jpeg(), order_id=order["id"])
    before = comparable(customer.orders.get(order["id"])["images"])

    # when the attacker uploads `case` for the same order
    make, filename, content_type = NOT_PHOTOS[case]
    reply = customer.uploads.raw_upload_bytes(make(photos), filename, content_type,
                                              order_id=order["id"])

    # then it is refused as not a supported photo, and the order's photos are unchanged
    assert reply.status_code in REFUSED, f"{case}: {reply.status_code} {reply.text[:300]}"
    expect_error(reply, reply.status_code)
    assert comparable(customer.orders.get(order["id"])["images"]) == before
