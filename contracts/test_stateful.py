"""Sequences of calls on real resources, chained through the OpenAPI links of the target.

Schemathesis's stateful phase: each scenario starts from a call that makes or lists something
(an address, an order, a photo, a saved method, a chat room...) and follows the links its reply
offers (read it, change it, delete it), checking every reply with valid inputs; after a DELETE
the resource must be gone (`use_after_free`), after a create it must be there
(`ensure_resource_availability`). The calls are the ones the live schema describes. A failing
check does not end its scenario: the test fails at the end with every distinct failure the
scenarios met, by operation.
"""

import allure


@allure.feature("Contract")
@allure.story("Resources live through create, read, update and delete")
def test_resources_live_through_create_read_update_delete(api_schema, contract_run):
    contract_run.run_stateful(api_schema)
