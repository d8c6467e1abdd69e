"""Fixtures of the sandbox's self-tests (`tests/test_sandbox_*.py`): a sandbox process per test
module, started with the module's `sandbox_env`, and an HTTP client on it.

Local fixtures only: the root conftest registers the harness's plugins.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import httpx
import pytest

from tests.stand_in import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
SANDBOX_BOOT_SECONDS = 20


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SANDBOX_BOOT_SECONDS
    with httpx.Client(trust_env=False, timeout=1) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the sandbox exited with {process.returncode}:\n{log.read_text()}")
            try:
                if http.get(f"{url}/_sandbox/health/").status_code == HTTPStatus.OK:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    pytest.fail(f"the sandbox was not healthy within {SANDBOX_BOOT_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    """The `LC_SANDBOX_*` variables the module's sandbox process starts with, on top of the
    environment: none here; a module that needs its own credentials or webhook URL overrides it."""
    return {}


@pytest.fixture(scope="module")
def sandbox_url(tmp_path_factory, sandbox_env) -> Iterator[str]:
    """The base URL of a sandbox served by uvicorn in a child process, on a free port."""
    port = free_port()
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env={**os.environ, **sandbox_env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def control(sandbox_url) -> Iterator[httpx.Client]:
    """An HTTP client on the sandbox process, for its control API and raw calls."""
    with httpx.Client(base_url=sandbox_url, trust_env=False, timeout=10) as http:
        yield http
