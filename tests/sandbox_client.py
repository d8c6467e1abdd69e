"""What the sandbox's self-tests (`tests/test_sandbox_*.py`) share besides fixtures: Starlette's
TestClient, which drives the sandbox app in this process, and switching a fault on."""

from __future__ import annotations

import warnings
from http import HTTPStatus
from typing import Any

import httpx
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.10's TestClient asks for the httpx2 package, which the project does not list
    # yet; it still works on httpx. Drop this filter once pyproject depends on httpx2.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["TestClient", "add_fault"]


def add_fault(client: TestClient | httpx.Client, **body: Any) -> dict:
    """Switch a fault on through the control API; the fault as the sandbox registered it."""
    response = client.post("/_sandbox/faults/", json=body)
    assert response.status_code == HTTPStatus.CREATED, response.text
    return response.json()
