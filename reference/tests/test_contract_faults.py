"""Faults the contract tier (Schemathesis) found in the reference, pinned down one by one."""

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator

from reference.tests.conftest import ORDERS
from reference.tests.images import photo

pytestmark = pytest.mark.django_db

ADDRESSES = "/api/accounts/addresses/"
UPLOAD = "/api/mobile/upload-image/"


def address(**overrides: object) -> dict:
    body = {"label": "home", "address_line1": "12, 4th Cross", "city": "Bengaluru",
            "state": "Karnataka", "pincode": "560038"}
    return body | overrides


@pytest.mark.parametrize(("path", "body"), [
    (ADDRESSES, address(is_default=0)),
    (ADDRESSES, address(city=7)),
    (ADDRESSES, address(latitude="12.97")),
    ("/api/accounts/forgot-password/", {"email": 2.5}),
    ("/api/accounts/auth/login/", {"email": ["a@b.c"], "password": "x"}),
])
def test_a_json_value_of_another_type_is_refused(customer, path, body):
    # DRF would take 0 as false and 7 as "7"; the schema says boolean and string
    response = customer.post(path, body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["code"] == "validation_error"


def test_a_name_that_is_not_a_string_is_refused(customer):
    response = customer.patch("/api/accounts/me/", {"full_name": 0}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert set(response.json()["errors"]) == {"full_name"}


@pytest.mark.parametrize("latitude", [1e300, -1e300, 1e25])
def test_a_coordinate_too_long_to_round_is_refused_not_a_server_error(customer, latitude):
    # rounding 1e300 to 6 decimals raised decimal.InvalidOperation: a 500
    response = customer.post(ADDRESSES, address(latitude=latitude), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert set(response.json()["errors"]) == {"latitude"}


def test_an_empty_typed_form_value_is_refused(customer):
    # an empty multipart `order_id` part was taken as "no order"; the schema says uuid
    image = SimpleUploadedFile("photo.jpg", photo((64, 48)), content_type="image/jpeg")

    response = customer.post(UPLOAD, {"image": image, "order_id": ""}, format="multipart")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert set(response.json()["errors"]) == {"order_id"}


def test_an_empty_query_filter_is_refused(api, catalog):
    response = api.get("/api/services/items/", {"category": ""})

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content


def test_an_order_line_quantity_given_as_text_is_refused(customer, catalog):
    item = next(iter(catalog.values()))
    body = {"pickup_address": "0b6f4b7e-8e4e-4b0e-9a53-3c3d3f1d2e10", "pickup_date": "2099-01-01",
            "pickup_time_slot": "08:00-10:00", "payment_method": "cash",
            "items": [{"service_item": str(item.pk), "quantity": "2"}]}

    response = customer.post(ORDERS, body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert "items.0.quantity" in response.json()["errors"]


# --- the schema the contract tier reads --------------------------------------------------

@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def links(schema: dict, method: str, path: str, status: str) -> dict:
    return schema["paths"][path][method]["responses"][status].get("links", {})


def test_made_resources_link_to_the_calls_on_them(schema):
    address_links = links(schema, "post", ADDRESSES, "201")
    assert set(address_links) == {"addresses_retrieve", "addresses_replace", "addresses_update",
                                  "addresses_destroy"}
    assert address_links["addresses_destroy"]["parameters"] == {
        "path.address_id": "$response.body#/id"}
    assert {"orders_retrieve", "orders_cancel", "orders_track"} <= set(
        links(schema, "post", ORDERS, "201"))
    assert {"images_retrieve", "images_destroy"} <= set(links(schema, "post", UPLOAD, "201"))


def test_the_orders_calls_are_documented_at_the_apps_paths(schema):
    documented = {path for path in schema["paths"] if path.startswith(ORDERS)}

    assert documented == {ORDERS, f"{ORDERS}history/", f"{ORDERS}{{order_id}}/",
                          f"{ORDERS}{{order_id}}/cancel/", f"{ORDERS}{{order_id}}/track/",
                          f"{ORDERS}{{order_id}}/status/"}
    listed = links(schema, "get", ORDERS, "200")
    assert set(listed) == {"orders_retrieve", "orders_cancel", "orders_track",
                           "orders_set_status"}
    assert listed["orders_cancel"]["parameters"] == {
        "path.order_id": "$response.body#/results/0/id"}
    assert links(schema, "get", f"{ORDERS}history/", "200") == {}


def test_a_page_links_its_first_row(schema):
    listed = links(schema, "get", ADDRESSES, "200")
    assert listed["addresses_retrieve"]["parameters"] == {
        "path.address_id": "$response.body#/results/0/id"}


def test_a_page_documents_the_400_of_a_page_size_that_is_not_a_number(schema):
    assert "400" in schema["paths"]["/api/services/categories/"]["get"]["responses"]
