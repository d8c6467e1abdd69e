"""What the sandbox remembers: its test credentials, the faults, and what each emulator received.

Everything lives in memory for the life of one process. Each store guards itself with a lock, so
handlers may run as concurrent tasks (or, under a test client, in other threads).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.faults import FaultRegistry

DEFAULT_TWILIO_ACCOUNT_SID = "AC5a4db0c05a4db0c05a4db0c05a4db0c0"
DEFAULT_TWILIO_AUTH_TOKEN = "sandbox-twilio-token"  # noqa: S105 - a test credential


@dataclass(frozen=True)
class SandboxConfig:
    """The test credentials each emulator accepts."""

    twilio_account_sid: str = DEFAULT_TWILIO_ACCOUNT_SID
    twilio_auth_token: str = DEFAULT_TWILIO_AUTH_TOKEN

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SandboxConfig:
        environ = os.environ if environ is None else environ
        return cls(
            twilio_account_sid=(
                environ.get("LC_SANDBOX_TWILIO_ACCOUNT_SID") or DEFAULT_TWILIO_ACCOUNT_SID
            ),
            twilio_auth_token=(
                environ.get("LC_SANDBOX_TWILIO_AUTH_TOKEN") or DEFAULT_TWILIO_AUTH_TOKEN
            ),
        )


class SmsStore:
    """Messages accepted by the SMS emulator, by sid and by recipient, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, dict[str, Any]] = {}
        self._by_to: dict[str, list[str]] = {}

    def add(self, message: dict[str, Any]) -> None:
        with self._lock:
            self._by_sid[message["sid"]] = message
            self._by_to.setdefault(message["to"], []).append(message["sid"])

    def get(self, sid: str) -> dict[str, Any] | None:
        with self._lock:
            message = self._by_sid.get(sid)
            return dict(message) if message is not None else None

    def received_by(self, to: str | None) -> list[dict[str, Any]]:
        """Messages sent to `to` (every message when `to` is None), oldest first."""
        with self._lock:
            if to is None:
                return [dict(message) for message in self._by_sid.values()]
            return [dict(self._by_sid[sid]) for sid in self._by_to.get(to, [])]


class SandboxState:
    """The one state object of a sandbox process, shared by every emulator and the control API."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.faults = FaultRegistry()
        self.sms = SmsStore()
