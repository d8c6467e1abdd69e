"""A customer reads their profile and changes their name."""

import allure

# what a profile edit may not touch
KEPT = ("id", "email", "phone_number", "role", "is_verified", "created_at")


@allure.feature("Accounts")
@allure.story("Profile")
def test_customer_reads_their_profile(customer):
    # when the customer opens their profile
    me = customer.accounts.me()

    # then it is theirs, as registered
    assert str(me["id"]) == customer.id
    assert (me["email"], me["phone_number"]) == (customer.email, customer.phone_number)
    assert me["full_name"] == customer.user["full_name"]
    assert (me["role"], me["is_verified"]) == ("customer", True)


@allure.feature("Accounts")
@allure.story("Profile")
def test_customer_changes_their_name(customer, data):
    # given the profile as it is
    before = customer.accounts.me()
    new_name = data.faker.name()

    # when they change their full name
    reply = customer.accounts.update_me(full_name=new_name)

    # then the reply and the profile read back carry the new name, and nothing else changed
    assert reply["full_name"] == new_name
    after = customer.accounts.me()
    assert after["full_name"] == new_name
    assert {k: after[k] for k in KEPT} == {k: before[k] for k in KEPT}
