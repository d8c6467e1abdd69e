"""SMS through the official Twilio SDK, pointed at LC_TWILIO_BASE_URL (the sandbox by default)."""

import logging
from urllib.parse import urlsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

logger = logging.getLogger(__name__)



class SmsUnavailable(Exception):
    """The SMS provider could not take the message (unreachable, timed out or refused it)."""


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends the SDK's requests for any Twilio host (api.twilio.com, or a regional one that
    TWILIO_REGION / TWILIO_EDGE would pick) to another base URL: the sandbox by default."""

    def __init__(self, *, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> Response:
        parts = urlsplit(url)
        if (parts.hostname or "").endswith("twilio.com"):
            url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, *args, **kwargs)


def sms_send(*, to: str, body: str) -> str:
    """Send one SMS and return the provider's message SID; raise SmsUnavailable on failure."""
    http_client = BaseUrlHttpClient(
        base_url=settings.TWILIO_BASE_URL, timeout=settings.TWILIO_TIMEOUT_SECONDS
    )
    client = Client(
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
    )
    try:
        message = client.messages.create(to=to, from_=settings.TWILIO_FROM, body=body)
    except (TwilioException, requests.RequestException, ValueError) as exc:
        raise SmsUnavailable(f"SMS to {to[:4]}... failed: {exc}") from exc
    finally:
        http_client.session.close()
    if not message.sid:
        raise SmsUnavailable("The SMS provider answered without a message SID.")
    logger.info("sms sent sid=%s", message.sid)
    return message.sid
