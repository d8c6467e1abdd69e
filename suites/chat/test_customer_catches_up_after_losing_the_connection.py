"""The app loses its connection while support keeps writing; back online, it asks for everything
after the last message it saw (`sync`) and gets exactly the missed messages, in order, without
duplicates, then `sync_complete`."""

import allure
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.needs_staff]

MISSED = 50


@allure.feature("Chat")
@allure.story("Catch up after a reconnect")
async def test_customer_gets_exactly_the_missed_messages_after_reconnecting(
        customer, staff, chat_room, sockets):
    # given the app saw support's first message, then lost its connection
    in_app = await sockets.open_chat(customer, chat_room["id"])
    staff.chat.send(chat_room["id"], "Hello from support.")
    last_seen = (await in_app.receive_until("chat_message"))["message"]["seq"]
    await in_app.close()

    # when support writes 50 more messages while the app is offline
    missed = [staff.chat.send(chat_room["id"], f"Update {number} of {MISSED}")
              for number in range(1, MISSED + 1)]

    # and the app reconnects and asks for everything after the last message it saw
    back = await sockets.open_chat(customer, chat_room["id"], name="customer chat (reconnected)")
    assert back.established["last_seq"] == missed[-1]["seq"]
    await back.send({"type": "sync", "after_seq": last_seen})
    replay = await back.collect_until("sync_complete", timeout=30)

    # then it gets exactly the missed messages, in order, no duplicates, then sync_complete
    replayed = [frame["message"] for frame in replay if frame["type"] == "chat_message"]
    assert [(m["seq"], m["id"]) for m in replayed] == [(m["seq"], m["id"]) for m in missed]
    assert [m["seq"] for m in replayed] == list(range(last_seen + 1, last_seen + MISSED + 1))
    assert replay[-1]["last_seq"] == missed[-1]["seq"]
    assert [frame["type"] for frame in replay if frame["type"] != "chat_message"] \
        == ["sync_complete"]

    # and the REST history after the same seq agrees
    assert [m["id"] for m in customer.chat.history(chat_room["id"], after_seq=last_seen)] \
        == [m["id"] for m in missed]
