"""What a phone writes into a photo stays on the phone: the server turns the photo upright
(EXIF orientation), scales it to at most 1920 px and a 300 px thumbnail, and stores neither
EXIF, GPS, XMP nor comments."""

import allure
import pytest

from fixtures.images import CAMERA_SERIAL, COMMENT, colour_at, inspect, is_blue, is_red

LONGEST_SIDE = 1920
THUMBNAIL_SIDE = 300


@allure.feature("Uploads")
@allure.story("Photos are re-encoded")
def test_photo_is_turned_upright_and_stripped_of_metadata(customer, photos):
    # given a photo stored sideways (1200 x 600, Orientation 6: view it turned 90 degrees
    # clockwise, 600 x 1200 with its red quarter top right), with GPS, a camera serial,
    # XMP and a comment
    photo = photos.with_metadata(1200, 600)
    assert inspect(photo).metadata == ["EXIF", "GPS", "XMP", "comment"]

    # when the app uploads it
    image = customer.uploads.upload_image(photo, filename="upright.jpg")

    # then the server stored it upright, 600 x 1200, red quarter top right, blue elsewhere
    stored = customer.uploads.image_bytes(image["url"])
    assert inspect(stored).size == (600, 1200) == (image["width"], image["height"])
    assert is_red(colour_at(stored, 450, 300)), colour_at(stored, 450, 300)
    assert is_blue(colour_at(stored, 150, 300)), colour_at(stored, 150, 300)
    assert is_blue(colour_at(stored, 450, 900)), colour_at(stored, 450, 900)

    # and its thumbnail is upright too, 150 x 300
    thumbnail = customer.uploads.image_bytes(image["thumbnail_url"])
    assert inspect(thumbnail).size == (150, 300)
    assert is_red(colour_at(thumbnail, 112, 75)), colour_at(thumbnail, 112, 75)

    # and neither carries any metadata, nor the serial or comment as bytes
    for name, content in (("image", stored), ("thumbnail", thumbnail)):
        assert inspect(content).metadata == [], f"the stored {name} still carries metadata"
        assert CAMERA_SERIAL.encode() not in content, name
        assert COMMENT not in content, name


@allure.feature("Uploads")
@allure.story("Photos are re-encoded")
@pytest.mark.parametrize(("size", "stored_size", "thumbnail_size"), [
    ((3000, 2000), (1920, 1280), (300, 200)),
    ((1500, 2500), (1152, 1920), (180, 300)),
], ids=["landscape", "portrait"])
def test_a_large_photo_is_scaled_down(customer, photos, size, stored_size, thumbnail_size):
    # given a photo larger than 1920 px on its longest side
    photo = photos.jpeg(*size)

    # when the app uploads it
    image = customer.uploads.upload_image(photo)

    # then it is stored at 1920 px on its longest side, proportions kept
    stored = inspect(customer.uploads.image_bytes(image["url"]))
    assert stored.size == stored_size == (image["width"], image["height"])
    assert max(stored.size) == LONGEST_SIDE

    # and its thumbnail at 300 px on its longest side
    thumbnail = inspect(customer.uploads.image_bytes(image["thumbnail_url"]))
    assert thumbnail.size == thumbnail_size
    assert max(thumbnail.size) == THUMBNAIL_SIDE
