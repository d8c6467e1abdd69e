"""Image upload: a JPEG that carries PHP in a comment, a script in its EXIF and a ZIP after its
end is a valid picture, so it is accepted, but only re-encoded: what the server stores and
serves holds none of the payload, and is served as an image with nosniff."""

import allure
import pytest

from fixtures import images

pytestmark = [pytest.mark.security]


@allure.feature("Security: image upload")
@allure.story("Polyglot JPEG")
def test_attacker_hides_a_payload_in_a_jpeg(customer, photos):
    # given a plain photo is stored and served (positive control)
    plain = customer.uploads.upload_image(photos.jpeg())
    customer.uploads.image_bytes(plain["url"])

    # and a JPEG that is also a carrier: PHP, a script and a ZIP holding a shell
    polyglot = photos.polyglot()
    for payload in (images.PHP_PAYLOAD.encode(), images.SCRIPT_PAYLOAD.encode(),
                    *images.ZIP_SIGNATURES):
        assert payload in polyglot

    # when the attacker uploads it
    image = customer.uploads.upload_image(polyglot, filename="holiday.jpg")

    # then the stored image and its thumbnail are clean JPEGs: no payload, no ZIP, no metadata,
    # served as image/jpeg that a browser must not sniff into anything else
    for url in (image["url"], image["thumbnail_url"]):
        served = customer.uploads.fetch_url(url)
        assert served.headers.get("content-type", "").startswith("image/jpeg"), served.headers
        assert served.headers.get("x-content-type-options", "").lower() == "nosniff", (
            f"{url} must be served with X-Content-Type-Options: nosniff; headers "
            f"{dict(served.headers)}")
        stored = served.content
        assert images.PHP_PAYLOAD.encode() not in stored, url
        assert images.SCRIPT_PAYLOAD.encode() not in stored, url
        assert b"shell.php" not in stored, url
        assert not any(signature in stored for signature in images.ZIP_SIGNATURES), url
        assert images.inspect(stored).metadata == [], url
