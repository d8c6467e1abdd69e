"""Refusals: Razorpay's error JSON for the `/v1/` API, and the errors of the gateway's control
calls.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse


class RazorpayError(Exception):
    """A refusal in Razorpay's error JSON; the SDK raises it after `code`."""

    def __init__(
        self,
        description: str,
        *,
        status: int = HTTPStatus.BAD_REQUEST,
        code: str = "BAD_REQUEST_ERROR",
        field: str | None = None,
        source: str = "business",
        step: str = "payment_initiation",
        reason: str = "input_validation_failed",
    ) -> None:
        super().__init__(description)
        self.status = status
        self.body = {
            "code": code,
            "description": description,
            "field": field,
            "source": source,
            "step": step,
            "reason": reason,
            "metadata": {},
        }

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.body}, status_code=self.status)


def razorpay_error(status: int, description: str, **options: Any) -> JSONResponse:
    """An error reply in Razorpay's JSON (for the app's 404 and 405 handler)."""
    return RazorpayError(description, status=status, **options).response()


def server_error(status: int, description: str) -> JSONResponse:
    return razorpay_error(
        status, description, code="SERVER_ERROR", source="NA", step="NA", reason="NA"
    )


def not_found() -> RazorpayError:
    return RazorpayError("The id provided does not exist", field="id")


class ControlError(Exception):
    """A control request the sandbox cannot carry out (a control-API 400 or 404)."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
