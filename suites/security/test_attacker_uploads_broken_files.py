"""Image upload: truncated, header-only and empty files are refused as invalid input (400),
never a server error, whatever type they claim."""

from http import HTTPStatus

import allure
import pytest

from fixtures import images
from fixtures.api import expect_error

pytestmark = [pytest.mark.security]

KINDS = {"jpeg": ("x.jpg", "image/jpeg"), "png": ("x.png", "image/png")}
# each case: the kind of photo it is cut from, and how it is cut
BROKEN = {
    "truncated-jpeg": ("jpeg", images.truncated),
    "truncated-png": ("png", images.truncated),
    "header-only-jpeg": ("jpeg", images.jpeg_header_only),
    "header-only-png": ("png", images.png_header_only),
    "zero-bytes": ("jpeg", lambda whole: b""),
}


@allure.feature("Security: image upload")
@allure.story("Broken files")
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_attacker_uploads_a_broken_file(customer, photos, case):
    # given the whole photo is accepted (positive control)
    kind, cut = BROKEN[case]
    filename, content_type = KINDS[kind]
    whole = getattr(photos, kind)()
    customer.uploads.upload_image(whole, filename=filename, content_type=content_type)

    # when the attacker uploads it broken (`case`)
    reply = customer.uploads.raw_upload_bytes(cut(whole), filename, content_type)

    # then it is refused as invalid input, never a server error
    assert reply.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, (
        f"{case}: a broken file must never be a server error, got {reply.status_code}")
    expect_error(reply, HTTPStatus.BAD_REQUEST)
