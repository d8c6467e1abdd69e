"""Credentials in URLs (`?token=` of the sockets, `?s=` of media) never reach the server log."""

import logging

import pytest
from uvicorn.protocols.utils import get_path_with_query_string

from reference.common.log_redaction import REDACTED, redact, redact_server_logs
from reference.tests.conftest import ORDERS

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"


def scope(path: str, query: str) -> dict:
    return {"type": "http", "path": path, "raw_path": path.encode(), "root_path": "",
            "query_string": query.encode()}


@pytest.mark.parametrize(("logger", "message", "args"), [
    # uvicorn's access line and its WebSocket handshake line, with the path it logs
    ("uvicorn.access", '%s - "%s %s HTTP/%s" %d',
     ("127.0.0.1:5000", "GET", get_path_with_query_string(scope("/ws/chat/1/", f"token={TOKEN}")),
      "1.1", 101)),
    ("uvicorn.error", '%s - "WebSocket %s" [accepted]',
     ("127.0.0.1:5000", get_path_with_query_string(
         scope("/ws/notifications/", f"lang=en&token={TOKEN}")))),
    ("uvicorn.access", '%s - "%s %s HTTP/%s" %d',
     ("127.0.0.1:5000", "GET", get_path_with_query_string(scope("/media/a.jpg", f"s={TOKEN}")),
      "1.1", 200)),
])
def test_the_server_loggers_write_no_token(caplog, logger, message, args):
    redact_server_logs()
    redact_server_logs()  # installing twice is harmless

    with caplog.at_level(logging.INFO, logger=logger):
        logging.getLogger(logger).info(message, *args)

    [line] = [record.getMessage() for record in caplog.records]
    assert TOKEN not in line
    assert REDACTED in line
    assert len(logging.getLogger(logger).filters) == 1


def test_a_line_without_credentials_is_kept_as_it_was(caplog):
    redact_server_logs()
    path = f"{ORDERS}?status=pending&search=shirts"

    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d',
                                                 "127.0.0.1:5000", "GET", path, "1.1", 200)

    assert caplog.records[0].getMessage() == f'127.0.0.1:5000 - "GET {path} HTTP/1.1" 200'


@pytest.mark.parametrize(("text", "expected"), [
    (f"/ws/chat/1/?token={TOKEN}", f"/ws/chat/1/?token={REDACTED}"),
    (f"/x/?a=1&token={TOKEN}&b=2", f"/x/?a=1&token={REDACTED}&b=2"),
    (f"/media/p.jpg?s={TOKEN}", f"/media/p.jpg?s={REDACTED}"),
    ("/api/?status=paid&sort=new", "/api/?status=paid&sort=new"),
])
def test_redact(text, expected):
    assert redact(text) == expected
