"""Local fixtures of the reference's unit tests. Only reference/integrations is mocked: the
Twilio HTTP API is answered by `responses`. Media files go to a folder of each test."""

import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import responses
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from reference.accounts.models import Address, User
from reference.catalog.models import ServiceItem
from reference.catalog.services import catalog_load
from reference.tests.gateway import FakeGateway

STRONG_PASSWORD = "Sturdy-Pass-93"
# Where the orders calls live (contract v1.1: the app's own paths); every test builds on it.
ORDERS = "/api/orders/"
CODE = re.compile(r"\d{6}")


@dataclass
class SmsOutbox:
    """The messages the backend handed to the (mocked) Twilio API."""

    mock: responses.RequestsMock
    url: str
    sent: list[dict[str, str]] = field(default_factory=list)

    def code_for(self, phone_number: str) -> str:
        """Return the first 6-digit run of the last SMS to `phone_number`, as the harness does."""
        bodies = [message["Body"] for message in self.sent if message["To"] == phone_number]
        assert bodies, f"no SMS was sent to {phone_number}; sent: {self.sent}"
        return CODE.search(bodies[-1]).group()

    def fail_with(self, status: int) -> None:
        """Make the provider answer every later message with `status`."""
        self.mock.replace(responses.POST, self.url, status=status, json={"code": 20500})


@pytest.fixture(autouse=True)
def sms() -> Iterator[SmsOutbox]:
    """A Twilio Messages API that accepts every message; any other outgoing HTTP call fails."""
    url = (
        f"{settings.TWILIO_BASE_URL}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}"
        "/Messages.json"
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        outbox = SmsOutbox(mock=mock, url=url)

        def accept(request: requests.PreparedRequest) -> tuple[int, dict, str]:
            form = {k: v[0] for k, v in urllib.parse.parse_qs(request.body).items()}
            outbox.sent.append(form)
            sid = f"SM{len(outbox.sent):032d}"
            body = {"sid": sid, "status": "queued", "to": form["To"], "body": form["Body"]}
            return 201, {}, json.dumps(body)

        mock.add_callback(responses.POST, url, callback=accept, content_type="application/json")
        yield outbox


@pytest.fixture
def gateway(sms: SmsOutbox) -> FakeGateway:
    """The Razorpay HTTP API (`reference.tests.gateway`), on the same mock as the SMS API."""
    fake = FakeGateway(mock=sms.mock, base_url=settings.RAZORPAY_BASE_URL)
    fake.install()
    return fake


@pytest.fixture(autouse=True)
def _empty_cache(settings) -> Iterator[None]:
    """Throttle counters live in the cache; every test starts with a private, empty one (never
    the Redis of LC_REDIS_URL, which other runs may share)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "reference-unit-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings) -> None:
    """Socket frames go through a channel layer of this process (never the Redis of
    LC_REDIS_URL); a new one for each test."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Stored images go to local files under this test's own folder (never the stack's data
    directory, never a bucket)."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root},
        },
    }
    return root


@pytest.fixture
def fast_passwords(settings) -> None:
    """For tests about something other than passwords: a fast hasher instead of Argon2 (which
    takes a good part of a second per account on a busy machine)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api() -> APIClient:
    """An anonymous client."""
    return APIClient()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """Create a user straight in the database (verified customer unless told otherwise)."""
    counter = iter(range(10_000_000))

    def make(**overrides: object) -> User:
        n = next(counter)
        values = {
            "email": f"user{n}@example.com",
            "phone_number": f"+9198{n:08d}",
            "full_name": f"User {n}",
            "is_verified": True,
        }
        values.update(overrides)
        password = str(values.pop("password", STRONG_PASSWORD))
        return User.objects.create_user(password=password, **values)

    return make


def login(client: APIClient, identifier: str, password: str = STRONG_PASSWORD) -> dict:
    """Log in through the API and return the reply body."""
    response = client.post(
        "/api/accounts/auth/login/", {"email": identifier, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def authed(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def customer_user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def customer(customer_user: User) -> APIClient:
    """As `api`, but signed in as `customer_user` through the login endpoint."""
    return authed(login(APIClient(), customer_user.email)["access"])


@pytest.fixture
def other_customer(make_user: Callable[..., User]) -> APIClient:
    """As `customer`, but a second, unrelated customer."""
    return authed(login(APIClient(), make_user().email)["access"])


@pytest.fixture
def staff_user(make_user: Callable[..., User]) -> User:
    return make_user(role=User.Role.STAFF, is_staff=True)


@pytest.fixture
def staff(staff_user: User) -> APIClient:
    """As `customer`, but signed in as a staff account."""
    return authed(login(APIClient(), staff_user.email)["access"])


@pytest.fixture
def catalog(db: None) -> dict[str, ServiceItem]:
    """The default catalog, its items by name."""
    catalog_load()
    return {item.name: item for item in ServiceItem.objects.all()}


def address_for(user: User, **overrides: object) -> Address:
    values = {
        "label": "home",
        "address_line1": "12, 4th Cross, Indiranagar",
        "city": "Bengaluru",
        "state": "Karnataka",
        "pincode": "560038",
    }
    values.update(overrides)
    return Address.objects.create(user=user, **values)


@pytest.fixture
def customer_address(customer_user: User) -> Address:
    """An address in `customer_user`'s address book."""
    return address_for(customer_user, is_default=True)


def order_body(address: Address, catalog: dict[str, ServiceItem], **overrides: object) -> dict:
    """A valid order request: 3 shirts washed and ironed, 1 silk saree dry cleaned."""
    body = {
        "pickup_address": str(address.pk),
        "pickup_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "pickup_time_slot": "10:00-12:00",
        "items": [
            {"service_item": str(catalog["Shirt Wash & Iron"].pk), "quantity": 3},
            {"service_item": str(catalog["Saree Dry Clean - Silk"].pk), "quantity": 1,
             "notes": "Zari border"},
        ],
        "payment_method": "cash",
    }
    body.update(overrides)
    return body


@dataclass
class ExpoPushService:
    """The messages the backend handed to the (mocked) Expo push API."""

    mock: responses.RequestsMock
    url: str
    sent: list[dict] = field(default_factory=list)
    unregistered: set[str] = field(default_factory=set)

    def received_by(self, token: str) -> list[dict]:
        return [message for message in self.sent if message["to"] == token]

    def fail_with(self, status: int) -> None:
        """Make every later request fail whole with `status` (Expo's `errors` body)."""
        body = {"errors": [{"code": "INTERNAL_SERVER_ERROR", "message": "down"}]}
        self.mock.replace(responses.POST, self.url, status=status, json=body)


@pytest.fixture
def expo(sms: SmsOutbox) -> ExpoPushService:
    """An Expo push API (beside the Twilio one) that delivers to every token except those in
    `unregistered`, which answer DeviceNotRegistered as Expo does."""
    url = f"{settings.EXPO_BASE_URL}/--/api/v2/push/send"
    service = ExpoPushService(mock=sms.mock, url=url)

    def send(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        tickets = []
        for index, message in enumerate(json.loads(request.body)):
            if message["to"] in service.unregistered:
                tickets.append({
                    "status": "error",
                    "message": f'"{message["to"]}" is not a registered push notification '
                    "recipient",
                    "details": {"error": "DeviceNotRegistered"},
                })
            else:
                service.sent.append(message)
                tickets.append({"status": "ok", "id": f"receipt-{len(service.sent)}-{index}"})
        return 200, {}, json.dumps({"data": tickets})

    sms.mock.add_callback(responses.POST, url, callback=send, content_type="application/json")
    return service
