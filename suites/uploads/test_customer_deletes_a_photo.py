"""A customer deletes a photo: it is gone from the API, and its URLs no longer serve it."""

from http import HTTPStatus

import allure

from fixtures.api import expect_error
from fixtures.images import comparable


@allure.feature("Uploads")
@allure.story("Delete a photo")
def test_customer_deletes_a_photo(customer, photos):
    # given a photo whose URLs serve it (positive control)
    image = customer.uploads.upload_image(photos.jpeg())
    for url in (image["url"], image["thumbnail_url"]):
        customer.uploads.image_bytes(url)

    # when the customer deletes it
    customer.uploads.delete_image(image["id"])

    # then the API no longer knows it, deleting again is 404, and its URLs serve nothing
    expect_error(customer.uploads.raw_get_image(image["id"]), HTTPStatus.NOT_FOUND)
    expect_error(customer.uploads.raw_delete_image(image["id"]), HTTPStatus.NOT_FOUND)
    for url in (image["url"], image["thumbnail_url"]):
        served = customer.uploads.fetch_url(url)
        assert HTTPStatus.BAD_REQUEST <= served.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, (
            f"a deleted photo's URL must no longer serve it: {url} answered "
            f"{served.status_code} {served.headers.get('content-type')}")


@allure.feature("Uploads")
@allure.story("Delete a photo")
def test_deleting_one_photo_keeps_the_others(customer, photos):
    # given two photos
    kept = customer.uploads.upload_image(photos.jpeg())
    gone = customer.uploads.upload_image(photos.jpeg())

    # when the customer deletes one
    customer.uploads.delete_image(gone["id"])

    # then the other is untouched and still served
    assert comparable(customer.uploads.get_image(kept["id"])) == comparable(kept)
    customer.uploads.image_bytes(kept["url"])
