"""A chat message is 1 to 2000 characters: an empty or longer one is refused (400 over REST, an
`error` frame on the socket, which stays open) and nothing is stored."""

import json
from http import HTTPStatus

import allure
import pytest

from fixtures.api import expect_error
from fixtures.api.chat import new_client_id
from fixtures.ws import chat_frame

LIMIT = 2000


@allure.feature("Chat")
@allure.story("Invalid messages")
@pytest.mark.parametrize("text", ["", "x" * (LIMIT + 1)], ids=["empty", "2001 characters"])
def test_an_invalid_message_is_refused_over_rest(customer, chat_room, text):
    # given a message of exactly 2000 characters is accepted (positive control)
    longest = customer.chat.send(chat_room["id"], "y" * LIMIT)

    # when the app sends an empty or a longer one
    reply = customer.chat.raw_send(chat_room["id"], text, client_id=new_client_id())

    # then it is invalid input naming the field, and only the valid message is stored
    body = expect_error(reply, HTTPStatus.BAD_REQUEST)
    assert "message" in body.get("errors", {}), body
    assert [m["id"] for m in customer.chat.history(chat_room["id"])] == [longest["id"]]


@allure.feature("Chat")
@allure.story("Invalid messages")
@pytest.mark.anyio
async def test_an_overlong_message_on_the_socket_gets_an_error_frame(
        customer, chat_room, sockets):
    # given a message of exactly 2000 characters goes through the socket (positive control)
    in_app = await sockets.open_chat(customer, chat_room["id"])
    await in_app.send(chat_frame("y" * LIMIT))
    longest = (await in_app.receive_until("chat_message"))["message"]

    # when the app sends one of 2001 characters
    await in_app.send_raw(json.dumps(chat_frame("z" * (LIMIT + 1))))

    # then the socket answers an error frame and stays open for the next message
    error = await in_app.receive_until("error")
    assert error["code"], error
    await in_app.send(chat_frame("Shorter, then."))
    shorter = (await in_app.receive_until("chat_message"))["message"]

    # and the overlong message was never stored
    assert [m["id"] for m in customer.chat.history(chat_room["id"])] \
        == [longest["id"], shorter["id"]]
    assert shorter["seq"] == longest["seq"] + 1
