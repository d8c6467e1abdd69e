"""The app reads its configuration without a login: pickup slots and payment methods that
order creation accepts, and the upload limits the contract sets."""

import allure

FIVE_MEGABYTES = 5 * 1024 * 1024
CONTRACT_FORMATS = {"jpeg", "png", "webp"}
CONTRACT_PAYMENT_METHODS = {"online", "wallet", "cash"}


def format_names(formats: list[str]) -> set[str]:
    """`image/jpeg`, `JPEG`, `jpg` all name JPEG."""
    names = {f.lower().removeprefix("image/").removeprefix(".") for f in formats}
    return {"jpeg" if name == "jpg" else name for name in names}


@allure.feature("Orders")
@allure.story("App configuration")
def test_config_needs_no_login_and_states_the_upload_limits(anonymous, customer):
    # when the app reads its configuration before anyone logs in, and again after
    config = anonymous.mobile.config()

    # then it is the same for both, with the contract's upload limits and payment methods
    assert customer.mobile.config() == config
    assert config["upload"]["max_bytes"] == FIVE_MEGABYTES
    assert format_names(config["upload"]["formats"]) == CONTRACT_FORMATS, config["upload"]
    assert set(config["payment_methods"]) <= CONTRACT_PAYMENT_METHODS, config["payment_methods"]
    assert len(set(config["pickup_time_slots"])) == len(config["pickup_time_slots"])


@allure.feature("Orders")
@allure.story("App configuration")
def test_every_slot_and_payment_method_the_config_offers_is_accepted(customer, order_body,
                                                                    app_config):
    # when the customer orders once in each slot the config lists
    for slot in app_config["pickup_time_slots"]:
        order = customer.orders.create(**(order_body | {"pickup_time_slot": slot}))

        # then the order is booked in that slot
        assert order["pickup_time_slot"] == slot
        assert customer.orders.get(order["id"])["pickup_time_slot"] == slot

    # and with each payment method the config lists, the order keeps it
    for method in app_config["payment_methods"]:
        order = customer.orders.create(**(order_body | {"payment_method": method}))
        assert (order["payment_method"], order["payment_status"]) == (method, "unpaid")
