"""Throttles keyed by the account a request is about, so that many harness users behind one
IP address never throttle each other while each account's limit still holds."""

from rest_framework.request import Request
from rest_framework.views import APIView

from reference.accounts.validators import identifier_normalize
from reference.common.throttles import FixedWindowThrottle


class _AccountThrottle(FixedWindowThrottle):
    """Keyed by the first of `fields` present in the body; requests without one are left to
    validation (400) and to the per-IP limit."""

    fields: tuple[str, ...] = ()

    def get_key(self, request: Request, view: APIView) -> str | None:
        data = request.data
        if not hasattr(data, "get"):
            return None
        for field in self.fields:
            value = data.get(field)
            if isinstance(value, str) and value.strip():
                return identifier_normalize(value)
        return None


class LoginThrottle(_AccountThrottle):
    scope = "login"
    fields = ("email",)


class OtpThrottle(_AccountThrottle):
    """Guesses of a one-time code, for phone verification and for password reset alike."""

    scope = "otp"
    fields = ("phone_number", "email")


class ResendThrottle(_AccountThrottle):
    """Requests that send an SMS: resend-otp and forgot-password."""

    scope = "resend"
    fields = ("phone_number", "email")
