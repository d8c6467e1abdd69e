"""A photo file of up to 5 MB is accepted, to the byte; one byte more is refused as too large
(413), and so is a 50 MB body, without the server keeping it."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.images import inspect

FIVE_MEGABYTES = 5 * 1024 * 1024
FIFTY_MEGABYTES = 50 * 1024 * 1024


@allure.feature("Uploads")
@allure.story("Upload size limit")
def test_a_photo_of_exactly_5_mb_is_accepted(customer, photos):
    # given a 2400 x 1800 photo of exactly 5 MB
    photo = photos.of_size(FIVE_MEGABYTES)
    assert len(photo) == FIVE_MEGABYTES

    # when the app uploads it
    image = customer.uploads.upload_image(photo, filename="exactly-5mb.jpg")

    # then every byte went out and the photo is stored, scaled to 1920 px
    progress = customer.uploads.last_progress
    assert progress.monotonic, progress.points
    assert progress.complete, progress.summary()
    assert progress.file_bytes == FIVE_MEGABYTES
    assert inspect(customer.uploads.image_bytes(image["url"])).size == (1920, 1440)


@allure.feature("Uploads")
@allure.story("Upload size limit")
def test_a_photo_one_byte_over_5_mb_is_refused(customer, photos):
    # given a photo of exactly 5 MB is accepted (positive control)
    customer.uploads.upload_image(photos.of_size(FIVE_MEGABYTES))

    # when the app uploads one of 5 MB and 1 byte
    reply = customer.uploads.raw_upload_image(photos.of_size(FIVE_MEGABYTES + 1),
                                              filename="5mb-and-a-byte.jpg")

    # then it is refused as too large
    expect_error(reply, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


@allure.feature("Uploads")
@allure.story("Upload size limit")
@pytest.mark.security
def test_a_50_mb_upload_is_refused(customer, photos):
    # given an ordinary photo is accepted (positive control)
    customer.uploads.upload_image(photos.jpeg())

    # when the app streams a 50 MB photo
    reply = customer.uploads.raw_upload_image(
        photos.of_size(FIFTY_MEGABYTES, width=800, height=600), filename="huge.jpg")

    # then the server answers, refusing it as too large (the progress, attached to the step,
    # shows how much it let through before answering)
    expect_error(reply, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    assert customer.uploads.last_progress.monotonic
