"""Resource consumption: photos uploaded over and over from one account are throttled (429 with
Retry-After) on each upload call, the app's and the chat's; the first uploads are taken, and
another customer still uploads meanwhile: the limit is the account's, not everyone's."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.flooding import flood, retry_after, throttled

pytestmark = [pytest.mark.security, pytest.mark.throttling]

# The contract says only that an upload flood is throttled, not at what rate; a limit that
# lets this many photos a minute through from one phone does not stop a flood.
UPLOAD_FLOOD_LIMIT = 200
UPLOADS = {
    "photo upload": lambda caller: caller.uploads.raw_upload_image,
    "chat photo upload": lambda caller: caller.uploads.raw_chat_upload,
}


@allure.feature("Security: resource consumption")
@allure.story("Upload flood")
@pytest.mark.parametrize("call", sorted(UPLOADS))
def test_an_upload_flood_from_one_account_is_throttled(customer, other_customer, photos, call):
    # given a customer and a small real photo
    upload = UPLOADS[call]
    photo = photos.jpeg(32, 24)

    # when an attacker with the customer's token uploads it over and over
    replies = flood(lambda: upload(customer)(photo), limit=UPLOAD_FLOOD_LIMIT)

    # then the first uploads were taken (positive control) and, within the bound, one is
    # throttled: 429, the envelope, a numeric Retry-After
    accepted = [reply for reply in replies if reply.status_code == HTTPStatus.CREATED]
    assert accepted, f"the first {call} must be taken, got {replies[0].status_code}"
    last = throttled(replies, f"{call} from one account ({UPLOAD_FLOOD_LIMIT} max)")
    expect_error(last, HTTPStatus.TOO_MANY_REQUESTS)
    assert retry_after(last) > 0
    assert len(accepted) == len(replies) - 1, [reply.status_code for reply in replies]

    # and another customer uploads meanwhile: the limit is keyed by account
    other = upload(other_customer)(photo)
    assert other.status_code == HTTPStatus.CREATED, other.text[:300]
