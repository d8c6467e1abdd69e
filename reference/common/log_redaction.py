"""Credentials that travel in URLs kept out of the server's logs.

The app's sockets carry their access token as `?token=` (a WebSocket cannot send a header from
the app), and media URLs carry their signature as `?s=`. Uvicorn logs each request's path with
its query string, on `uvicorn.access` for HTTP and on `uvicorn.error` for WebSocket handshakes:
anyone who reads the log could act as the user until the token expires.
"""

import logging
import re

CREDENTIAL_PARAMETERS = ("token", "s")
_CREDENTIAL = re.compile(rf"([?&](?:{'|'.join(CREDENTIAL_PARAMETERS)})=)[^&\s\"']*")
REDACTED = "[redacted]"
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """`text` with the value of every credential query parameter replaced."""
    return _CREDENTIAL.sub(rf"\1{REDACTED}", text)


class RedactCredentials(logging.Filter):
    """Rewrites a record's message arguments (uvicorn passes the path as one) and message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        return True


def redact_server_logs() -> None:
    """Install the filter on the server's loggers (idempotent)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactCredentials) for existing in logger.filters):
            logger.addFilter(RedactCredentials())
