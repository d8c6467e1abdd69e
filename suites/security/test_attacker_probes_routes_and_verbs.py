"""Function level: a verb a route does not serve is 405 and an unknown route 404, each as the
JSON envelope, never an HTML page, whatever the client says it accepts."""

from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error

pytestmark = [pytest.mark.security]


@allure.feature("Security: function level")
@allure.story("Unserved verbs and routes")
@pytest.mark.parametrize("verb", ["DELETE", "PUT", "PATCH", "POST"])
def test_a_verb_the_route_does_not_serve_is_405(customer, verb):
    # given the categories list answers GET (positive control)
    before = customer.catalog.categories(page_size=100)

    # when a customer sends another verb to it
    reply = customer.catalog.raw_send_to_categories(verb)

    # then it is 405 as the envelope, and the catalog is unchanged
    expect_error(reply, HTTPStatus.METHOD_NOT_ALLOWED)
    assert customer.catalog.categories(page_size=100) == before


@allure.feature("Security: function level")
@allure.story("Unserved verbs and routes")
@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*"])
def test_an_unknown_route_is_a_json_404(anonymous, data, accept):
    # given a route of the app answers (positive control)
    anonymous.catalog.categories()

    # when a caller asks for a route no contract has
    reply = anonymous.service.raw_unknown_path(f"no-such-call-{data.run_id}",
                                               headers={"Accept": accept})

    # then it is 404 as the JSON envelope, never an HTML page
    expect_error(reply, HTTPStatus.NOT_FOUND)
