"""Security misconfiguration: a page of another site, which a customer opens while logged in,
cannot read the backend's replies with the customer's credentials: no reply (nor the browser's
preflight) allows that origin, or any origin, together with credentials."""

import allure
import pytest

from fixtures.cors import FOREIGN_ORIGINS, cross_site_reads, readable_with_credentials

pytestmark = [pytest.mark.security]


@allure.feature("Security: misconfiguration")
@allure.story("CORS with credentials")
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_a_page_of_another_site_cannot_read_replies_with_credentials(customer, origin):
    # given the app (no Origin) reads the customer's profile and the catalog (positive control)
    customer.accounts.me()
    customer.catalog.categories()

    # when a page of another site sends the same reads with the customer's token
    replies = cross_site_reads(customer, origin)

    # then no reply lets that page read it with credentials
    readable = {call: how for call, reply in replies.items()
                if (how := readable_with_credentials(reply))}
    assert not readable, (
        f"a page of {origin} may read these replies with the customer's credentials; allow "
        "only the app's own origins, or no credentials:\n"
        + "\n".join(f"  {call}: {how}" for call, how in readable.items()))
