"""Addresses: owner scoping, validation and the one-default rule."""

from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db

ADDRESSES = "/api/accounts/addresses/"
ADDRESS_FIELDS = {
    "id", "label", "address_line1", "address_line2", "city", "state", "pincode", "latitude",
    "longitude", "is_default", "created_at",
}


def address(**overrides: object) -> dict:
    body = {
        "label": "home",
        "address_line1": "12, 4th Cross, Indiranagar",
        "address_line2": "Near 100 Feet Road",
        "city": "Bengaluru",
        "state": "Karnataka",
        "pincode": "560038",
        "latitude": 12.9718915,
        "longitude": 77.6411545,
    }
    body.update(overrides)
    return body


def create(client, **overrides: object) -> dict:
    response = client.post(ADDRESSES, address(**overrides), format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def defaults(client) -> list[str]:
    results = client.get(ADDRESSES).json()["results"]
    return [row["id"] for row in results if row["is_default"]]


def test_the_first_address_is_the_default(customer):
    first = create(customer)
    second = create(customer, label="work")

    assert set(first) == ADDRESS_FIELDS
    assert first["is_default"] is True
    assert second["is_default"] is False
    assert first["latitude"] == 12.971892
    assert defaults(customer) == [first["id"]]


def test_a_new_default_unsets_the_old_one(customer):
    first = create(customer)
    second = create(customer, is_default=True)
    third = create(customer)

    assert defaults(customer) == [second["id"]]
    response = customer.patch(f"{ADDRESSES}{third['id']}/", {"is_default": True}, format="json")
    assert response.json()["is_default"] is True
    assert defaults(customer) == [third["id"]]
    assert first["id"] not in defaults(customer)


def test_unsetting_the_default_is_ignored(customer):
    first = create(customer)
    create(customer)

    response = customer.patch(f"{ADDRESSES}{first['id']}/", {"is_default": False}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["is_default"] is True
    assert defaults(customer) == [first["id"]]


def test_deleting_the_default_promotes_the_newest(customer):
    first = create(customer)
    create(customer)
    newest = create(customer)

    response = customer.delete(f"{ADDRESSES}{first['id']}/")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert defaults(customer) == [newest["id"]]
    assert customer.get(f"{ADDRESSES}{first['id']}/").status_code == HTTPStatus.NOT_FOUND


def test_put_replaces_and_patch_changes_fields(customer):
    made = create(customer)
    url = f"{ADDRESSES}{made['id']}/"

    put = customer.put(url, address(label="work", city="Mysuru", pincode="570001"), format="json")
    patch = customer.patch(url, {"address_line2": ""}, format="json")

    assert put.status_code == HTTPStatus.OK, put.content
    assert put.json()["city"] == "Mysuru"
    assert patch.json()["address_line2"] == ""
    assert patch.json()["city"] == "Mysuru"
    incomplete = customer.put(url, {"label": "home"}, format="json")
    assert incomplete.status_code == HTTPStatus.BAD_REQUEST


def test_another_users_address_is_404_and_unchanged(customer, other_customer):
    made = create(customer)
    url = f"{ADDRESSES}{made['id']}/"

    assert other_customer.get(url).status_code == HTTPStatus.NOT_FOUND
    assert other_customer.patch(url, {"city": "X"}, format="json").status_code == 404
    assert other_customer.put(url, address(), format="json").status_code == 404
    assert other_customer.delete(url).status_code == HTTPStatus.NOT_FOUND
    assert other_customer.get(ADDRESSES, {"user": made["id"]}).json()["count"] == 0
    assert customer.get(url).json() == made


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pincode": "056003"}, "pincode"),
        ({"pincode": "56003"}, "pincode"),
        ({"pincode": "5600381"}, "pincode"),
        ({"pincode": "56003a"}, "pincode"),
        ({"label": "castle"}, "label"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": -180.5}, "longitude"),
        ({"latitude": "NaN"}, "latitude"),
        ({"address_line1": ""}, "address_line1"),
        ({"address_line1": "x" * 1_000_000}, "address_line1"),
        ({"city": "x" * 101}, "city"),
    ],
)
def test_address_input_is_validated(customer, overrides, field):
    response = customer.post(ADDRESSES, address(**overrides), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"]
    assert customer.get(ADDRESSES).json()["count"] == 0


def test_coordinates_are_optional(customer):
    made = create(customer, latitude=None, longitude=None)

    assert made["latitude"] is None


def test_addresses_need_login(api):
    assert api.get(ADDRESSES).status_code == HTTPStatus.UNAUTHORIZED
