"""A message sent over REST arrives on the participants' sockets, and one sent on a socket is
stored and appears in the REST history; a message sent again with its `client_id` (a retry after
a lost reply) is stored once."""

import allure
import pytest

from fixtures.api.chat import new_client_id
from fixtures.ws import chat_frame

pytestmark = [pytest.mark.needs_staff]


def same_message(live: dict, stored: dict) -> None:
    """The message as a socket delivered it is the message as REST returns it."""
    for name in ("id", "room_id", "seq", "client_id", "message", "image"):
        assert str(live[name]) == str(stored[name]), (name, live, stored)
    assert str(live["sender"]["id"]) == str(stored["sender"]["id"])


@allure.feature("Chat")
@allure.story("REST and socket carry one conversation")
@pytest.mark.anyio
async def test_a_reply_sent_over_rest_arrives_on_the_customers_socket(
        customer, staff, chat_room, sockets):
    # given the customer has the chat open in the app
    in_app = await sockets.open_chat(customer, chat_room["id"])

    # when support replies through the REST call
    sent = staff.chat.send(chat_room["id"], "Your shirts are ready for pickup.")

    # then the reply arrives on the customer's socket as it was stored
    frame = await in_app.receive_until("chat_message")
    same_message(frame["message"], sent)
    assert frame["message"]["sender"]["role"] == "staff"


@allure.feature("Chat")
@allure.story("REST and socket carry one conversation")
@pytest.mark.anyio
async def test_a_message_sent_on_the_socket_appears_in_the_history(
        customer, staff, chat_room, sockets):
    # given the customer has the chat open in the app
    in_app = await sockets.open_chat(customer, chat_room["id"])

    # when they send a message on the socket
    client_id = new_client_id()
    await in_app.send(chat_frame("Please use a mild detergent.", client_id))
    echoed = (await in_app.receive_until("chat_message"))["message"]

    # then it was stored with its client id, and both see it in the REST history
    assert echoed["client_id"] == client_id
    assert str(echoed["sender"]["id"]) == customer.id
    for reader in (customer, staff):
        [stored] = [m for m in reader.chat.history(chat_room["id"]) if m["id"] == echoed["id"]]
        same_message(echoed, stored)


@allure.feature("Chat")
@allure.story("REST and socket carry one conversation")
def test_a_message_sent_again_with_its_client_id_is_stored_once(customer, chat_room):
    # given the app sent a message and lost the reply
    client_id = new_client_id()
    first = customer.chat.send(chat_room["id"], "Is express delivery possible?",
                               client_id=client_id)

    # when it sends the same message again with the same client id
    again = customer.chat.send(chat_room["id"], "Is express delivery possible?",
                               client_id=client_id)

    # then the server answers the first message, and the history holds it once
    assert again["id"] == first["id"]
    assert again["seq"] == first["seq"]
    assert [m["id"] for m in customer.chat.history(chat_room["id"])] == [first["id"]]

    # while another client id is another message (positive control)
    other = customer.chat.send(chat_room["id"], "Is express delivery possible?")
    assert other["id"] != first["id"]
    assert other["seq"] == first["seq"] + 1
