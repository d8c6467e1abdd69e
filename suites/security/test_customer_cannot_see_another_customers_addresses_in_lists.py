"""Object level: a list shows only the caller's own rows, whatever filter names another user."""

import allure
import pytest

pytestmark = [pytest.mark.security]


@allure.feature("Security: object level")
@allure.story("Lists are scoped to the caller")
def test_address_list_shows_only_the_callers_rows(customer, other_customer, data):
    # given A has two addresses and B one, and A sees both of theirs (positive control)
    mine = {customer.addresses.create(**data.address())["id"] for _ in range(2)}
    theirs = other_customer.addresses.create(**data.address())["id"]
    assert {a["id"] for a in customer.addresses.all()} == mine

    # when B lists addresses, plainly and with a filter naming A
    plain = other_customer.addresses.list()
    filtered = other_customer.addresses.list(user=customer.id)
    filtered_by_owner = other_customer.addresses.list(user_id=customer.id, owner=customer.id)

    # then B sees their own row only, every time
    for page in (plain, filtered, filtered_by_owner):
        assert [a["id"] for a in page["results"]] == [theirs]
        assert page["count"] == 1

    # and A's rows are still A's
    assert {a["id"] for a in customer.addresses.all()} == mine
