"""The data builders make valid, unique, reproducible Indian test data."""

import re

from fixtures.data import PIN, DataBuilder

E164_INDIAN_MOBILE = re.compile(r"^\+91[6-9]\d{9}$")


def builder(seed: int = 7, run_id: str = "abc123", scope: str = "suites/x.py::test_a"):
    return DataBuilder(seed=seed, run_id=run_id, worker="gw0", scope=scope)


def test_phone_numbers_are_indian_mobiles_in_e164_and_unique():
    numbers = [builder().phone_number() for _ in range(500)]
    assert all(E164_INDIAN_MOBILE.match(n) for n in numbers), numbers[:5]
    assert len(set(numbers)) == len(numbers)


def test_the_same_seed_and_test_give_the_same_names_and_addresses():
    first, second = builder(), builder()
    assert first.faker.name() == second.faker.name()
    assert first.address()["city"] == second.address()["city"]


def test_another_seed_gives_other_data():
    assert builder(seed=1).faker.name() != builder(seed=2).faker.name()


def test_emails_carry_the_run_id_and_never_repeat():
    made = builder(run_id="r9x")
    emails = [made.email() for _ in range(200)]
    assert all("r9x" in e and e.endswith("@laundryconnect.test") for e in emails)
    assert len(set(emails)) == len(emails)


def test_pincodes_are_six_digits_not_starting_with_zero():
    made = builder()
    assert all(PIN.match(made.pincode()) for _ in range(500))


def test_a_person_is_a_complete_registration_body():
    person = builder().person()
    assert set(person) == {"full_name", "email", "phone_number", "password", "password_confirm"}
    assert person["password"] == person["password_confirm"]
    assert len(person["password"]) >= 12


def test_addresses_are_in_india_and_accept_overrides():
    address = builder().address(label="work")
    assert address["label"] == "work"
    assert 8 <= address["latitude"] <= 35
    assert 68 <= address["longitude"] <= 98
    assert PIN.match(address["pincode"])


def test_expo_push_tokens_have_the_expo_form():
    assert re.match(r"^ExponentPushToken\[[^\]]{22}\]$", builder().expo_push_token())
