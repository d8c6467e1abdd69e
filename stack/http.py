"""HTTP between the launcher and its children: the origin a client on this machine uses for a
server, whether a health URL answers 200, and where the sandbox sends gateway webhooks.

Proxies from the environment are ignored: these calls never leave the machine.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.client import HTTPException
from typing import Any

from stack.errors import StackError

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_origin(scheme: str, host: str, port: int) -> str:
    """The origin a client on this machine uses for a server bound to (host, port)."""
    wildcard = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # noqa: S104 - a lookup
    connect = wildcard.get(host, host)
    if ":" in connect:
        connect = f"[{connect}]"
    return f"{scheme}://{connect}:{port}"


def http_ok(url: str) -> bool:
    """Whether GET `url` answers 200 (proxies from the environment are ignored)."""
    try:
        with _OPENER.open(url, timeout=2) as response:
            return response.status == 200
    except urllib.error.HTTPError as error:
        error.close()
        return False
    except (urllib.error.URLError, OSError, HTTPException):
        return False


def webhook_settings_put(sandbox_url: str, settings: Mapping[str, Any]) -> None:
    """Change where the sandbox sends gateway webhooks (`PUT /_sandbox/gateway/webhook/`)."""
    request = urllib.request.Request(  # noqa: S310 - the sandbox's own http URL
        f"{sandbox_url}/_sandbox/gateway/webhook/",
        data=json.dumps(settings).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    try:
        with _OPENER.open(request, timeout=5) as response:
            response.read()
    except (urllib.error.URLError, OSError, HTTPException) as error:
        message = f"could not point the sandbox's gateway webhooks at the backend: {error}"
        raise StackError(message) from error
