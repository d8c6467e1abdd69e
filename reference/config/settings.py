"""Settings of the reference backend, read from `LC_*` environment variables only.

The table of variables lives in ARCHITECTURE.md. Every outside dependency has an embedded
default (SQLite, in-memory channel layer, local-memory cache, local media) and a production
setting chosen by one variable (`LC_DATABASE_URL`, `LC_REDIS_URL`).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name, "1" if default else "0").lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def _postgres_from_url(url: str, *, pool_size: int) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"LC_DATABASE_URL must be postgresql://..., got {url!r}")
    if pool_size < 1:
        raise ImproperlyConfigured(f"LC_DB_POOL_SIZE must be at least 1, got {pool_size}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # Every connection of the process comes from one pool of at most `pool_size` (the
        # launcher gives each process its share of LC_DB_CONNECTIONS): a request borrows one
        # at its first query and gives it back when it ends (Django closes a connection of age
        # 0 at the end of every request, and Channels' database_sync_to_async after every
        # call, which the pool turns into a return). A thread that finds the pool empty waits
        # up to `timeout` seconds; it never opens a connection of its own.
        "CONN_MAX_AGE": 0,
        "ATOMIC_REQUESTS": False,
        "OPTIONS": {
            "pool": {
                "min_size": 1,
                "max_size": pool_size,
                "timeout": DB_POOL_TIMEOUT_SECONDS,
                # connections beyond the first are closed after this long unused
                "max_idle": 60,
            },
        },
    }


PROFILE = _env("LC_PROFILE", "embedded")
if PROFILE not in {"embedded", "scaled"}:
    raise ImproperlyConfigured(f"LC_PROFILE must be 'embedded' or 'scaled', got {PROFILE!r}")

DATA_DIR = Path(_env("LC_DATA_DIR", str(REPO_ROOT / "reports" / "out" / "stack" / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = _env("LC_SECRET_KEY", "lc-reference-development-secret-key-not-for-production-use")
DEBUG = _env_bool("LC_DEBUG", False)
ALLOWED_HOSTS = [
    host.strip()
    for host in _env("LC_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "reference.common",
    "reference.accounts",
    "reference.catalog",
    "reference.orders",
    "reference.uploads",
    "reference.mobile",
    "reference.payments",
    "reference.notifications",
    "reference.chat",
]

MIDDLEWARE = [
    "reference.common.middleware.JsonErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "reference.config.urls"
ASGI_APPLICATION = "reference.config.asgi.application"
WSGI_APPLICATION = "reference.config.wsgi.application"
# Proxies in front of the backend that set X-Forwarded-For and X-Forwarded-Proto: 0 when it is
# reached directly (embedded), 1 behind the scaled profile's nginx, which overwrites both.
TRUSTED_PROXIES = _env_int("LC_TRUSTED_PROXIES", 0)
if TRUSTED_PROXIES:
    # https as the client used it, for absolute URLs (media links, pagination's `next`)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Every path of the contract ends in "/"; a redirect for a missing slash would turn a POST into
# a GET on the client, so a path without it is a plain JSON 404.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASE_URL = _env("LC_DATABASE_URL", "")
# PostgreSQL connections this process may hold at once (its pool's size).
DB_POOL_SIZE = _env_int("LC_DB_POOL_SIZE", 10)
DB_POOL_TIMEOUT_SECONDS = 10
if DATABASE_URL:
    DATABASES = {"default": _postgres_from_url(DATABASE_URL, pool_size=DB_POOL_SIZE)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "reference.sqlite3",
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock
                # at BEGIN so two writers queue on the busy timeout instead of deadlocking.
                "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _env("LC_REDIS_URL", "")
REDIS_PREFIX = _env("LC_REDIS_PREFIX", "lc")
if REDIS_URL:
    # The throttles count in this cache, so it must be shared by every worker process.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default read timeout (5 s) equals channels_redis's blocking
                # receive (BZPOPMIN, 5 s): an idle socket's receive would time out and crash
                # its consumer. Reads wait longer than the receive blocks.
                "hosts": [
                    {"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}
                ],
                "prefix": REDIS_PREFIX,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Swagger UI's files come from drf-spectacular-sidecar through the finders, so the docs work
# without collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
# How long an image URL the API hands out stays valid.
MEDIA_URL_MAX_AGE = _env_int("LC_MEDIA_URL_MAX_AGE", 3600)
# Behind nginx (scaled): the internal location under which nginx fetches a stored file from
# the bucket once the backend has checked its URL (`X-Accel-Redirect`); empty: the backend
# serves the bytes itself.
MEDIA_ACCEL_PREFIX = _env("LC_MEDIA_ACCEL_PREFIX", "")

# Uploaded images: the largest file accepted, the room a multipart body may take around it
# (boundaries, part headers, `order_id`), and the pixel budget checked before decoding.
UPLOAD_MAX_BYTES = _env_int("LC_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
UPLOAD_MULTIPART_ALLOWANCE = 64 * 1024
# A photo the backend takes is read into memory, not spooled to a temporary file (Django's
# default spools what is over 2.5 MB): it is decoded straight after, and the decode slots below
# bound how many wait at once.
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
UPLOAD_MAX_PIXELS = 40_000_000
# Photos one backend process decodes at once. Each holds its pixels (tens of MB for a large
# photo) until it is re-encoded, and Django runs each request in a thread of its own: without a
# bound a burst of uploads decodes all at once and the process's memory grows with the burst.
# More than the cores gains nothing; the others wait their turn.
UPLOAD_DECODE_CONCURRENCY = _env_int("LC_UPLOAD_DECODE_CONCURRENCY", 2)


def s3_media_storage(
    *, endpoint_url: str, bucket: str, access_key: str, secret_key: str, region: str
) -> dict:
    """The STORAGES entry of an S3-compatible media bucket (django-storages, boto3)."""
    return {
        "BACKEND": "reference.integrations.s3.SharedConnectionS3Storage",
        "OPTIONS": {
            "endpoint_url": endpoint_url,
            "bucket_name": bucket,
            # Unset keys leave boto3 to its own credential chain, as on a real deployment.
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "region_name": region,
            # The backend serves the files itself behind its own signed URLs (media_url), so
            # the bucket stays private and needs no presigning.
            "querystring_auth": True,
            "file_overwrite": False,
            # A photo is one PUT: no pool of transfer threads made for each.
            "transfer_config": TransferConfig(use_threads=False),
            "client_config": Config(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=15,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }


S3_ENDPOINT_URL = _env("LC_S3_ENDPOINT_URL", "")
if S3_ENDPOINT_URL:
    MEDIA_STORAGE = s3_media_storage(
        endpoint_url=S3_ENDPOINT_URL,
        bucket=_env("LC_S3_BUCKET", "laundryconnect-media"),
        access_key=_env("LC_S3_ACCESS_KEY_ID", ""),
        secret_key=_env("LC_S3_SECRET_ACCESS_KEY", ""),
        region=_env("LC_S3_REGION", "ap-south-1"),
    )
else:
    MEDIA_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# No cookie or session authenticates anything here (JWT in the Authorization header only), so
# there is nothing for CSRF protection to protect.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["reference.common.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "reference.common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "reference.common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "reference.common.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {
        "login": _env("LC_THROTTLE_LOGIN", "10/min"),
        "otp": _env("LC_THROTTLE_OTP", "10/min"),
        "resend": _env("LC_THROTTLE_RESEND", "3/min"),
        "ip": _env("LC_THROTTLE_IP", "10000/min"),
        "upload": _env("LC_THROTTLE_UPLOAD", "120/min"),
    },
    "COERCE_DECIMAL_TO_STRING": False,
    # Reached directly (LC_TRUSTED_PROXIES=0), X-Forwarded-For is the client's to forge, so
    # the per-IP throttle keys on the socket's address only; behind the scaled profile's nginx
    # (1), on the address nginx puts last in it, the client's.
    "NUM_PROXIES": TRUSTED_PROXIES,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=_env_int("LC_ACCESS_TOKEN_MINUTES", 60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=_env_int("LC_REFRESH_TOKEN_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": _env("LC_JWT_SIGNING_KEY", "lc-reference-development-jwt-signing-key-32b+"),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "CHECK_USER_IS_ACTIVE": True,
    # Tokens carry a digest of the password hash (a "password version"), so that a password
    # reset also kills the access tokens issued before it.
    "CHECK_REVOKE_TOKEN": True,
    "REVOKE_TOKEN_CLAIM": "pwv",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "LaundryConnect mobile API (reference backend)",
    "DESCRIPTION": (
        "The reference implementation of the LaundryConnect mobile API contract v1. Every "
        "error reply is the `Error` envelope."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "reference.common.schema.add_links",
    ],
    # Choice sets that share a field name get stable names (the payment enums meet the order's).
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "reference.orders.models.Order.Status",
        "PaymentMethodEnum": "reference.orders.models.Order.PaymentMethod",
        "PaymentStateEnum": "reference.payments.models.Payment.Status",
        "SavedMethodTypeEnum": "reference.payments.models.SavedMethod.Type",
        "RefundStatusEnum": "reference.payments.models.Refund.Status",
        "WalletTransactionStatusEnum": "reference.payments.models.WalletTransaction.Status",
        "WebhookAckStatusEnum": "reference.payments.serializers.WEBHOOK_OUTCOMES",
    },
    "TAGS": [
        {"name": "accounts", "description": "Registration, login, profile, addresses."},
        {"name": "services", "description": "The public laundry catalog."},
        {"name": "orders", "description": "The caller's orders, their tracking and status."},
        {"name": "mobile", "description": "Image upload, the home screen and the app's config."},
        {"name": "notifications", "description": "The caller's notifications and push "
         "switches."},
        {"name": "chat", "description": "Support chat: one room per order, its messages, "
         "read markers, photo upload."},
        {"name": "payments", "description": "Saved methods, wallet, payments, refunds, the "
         "gateway's webhook."},
        {"name": "operator", "description": "Operator endpoints: staff accounts only."},
        {"name": "service", "description": "Health of the backend."},
    ],
}

OTP_TTL_SECONDS = _env_int("LC_OTP_TTL_SECONDS", 600)
OTP_MAX_ATTEMPTS = _env_int("LC_OTP_MAX_ATTEMPTS", 5)

TWILIO_BASE_URL = _env("LC_TWILIO_BASE_URL", "http://127.0.0.1:8900").rstrip("/")
TWILIO_ACCOUNT_SID = _env("LC_TWILIO_ACCOUNT_SID", "AC5a4db0c05a4db0c05a4db0c05a4db0c0")
TWILIO_AUTH_TOKEN = _env("LC_TWILIO_AUTH_TOKEN", "sandbox-twilio-token")
TWILIO_FROM = _env("LC_TWILIO_FROM", "+15005550006")
TWILIO_TIMEOUT_SECONDS = 5.0

# The payment gateway (Razorpay's API through its SDK; the sandbox by default). The project
# never touches live money: a key id that is not a test key stops the backend at start unless
# LC_ALLOW_LIVE_GATEWAY=1 says so on purpose.
RAZORPAY_BASE_URL = _env("LC_RAZORPAY_BASE_URL", "http://127.0.0.1:8900").rstrip("/")
RAZORPAY_KEY_ID = _env("LC_RAZORPAY_KEY_ID", "rzp_test_sandbox0001")
RAZORPAY_KEY_SECRET = _env("LC_RAZORPAY_KEY_SECRET", "sandbox-razorpay-key-secret")
RAZORPAY_WEBHOOK_SECRET = _env("LC_RAZORPAY_WEBHOOK_SECRET", "sandbox-razorpay-webhook-secret")
ALLOW_LIVE_GATEWAY = _env_bool("LC_ALLOW_LIVE_GATEWAY", False)
if not RAZORPAY_KEY_ID.startswith("rzp_test_") and not ALLOW_LIVE_GATEWAY:
    raise ImproperlyConfigured(
        f"LC_RAZORPAY_KEY_ID {RAZORPAY_KEY_ID[:9]}... is not a Razorpay test key (rzp_test_...): "
        "this project never touches live money. Use a test key, or set LC_ALLOW_LIVE_GATEWAY=1 "
        "if you really mean it."
    )
try:
    GATEWAY_TIMEOUT_SECONDS = float(_env("LC_GATEWAY_TIMEOUT_SECONDS", "5"))
except ValueError as exc:
    raise ImproperlyConfigured("LC_GATEWAY_TIMEOUT_SECONDS must be a number of seconds") from exc
if not 0 < GATEWAY_TIMEOUT_SECONDS <= 120:
    raise ImproperlyConfigured("LC_GATEWAY_TIMEOUT_SECONDS must be more than 0 and at most 120")
# Where the app opens checkout for a gateway order: a template with {gateway_order_id}.
CHECKOUT_URL = _env(
    "LC_CHECKOUT_URL", f"{RAZORPAY_BASE_URL}/_sandbox/checkout/?order_id={{gateway_order_id}}"
)
if "{gateway_order_id}" not in CHECKOUT_URL:
    raise ImproperlyConfigured("LC_CHECKOUT_URL must contain {gateway_order_id}")

# Push notifications (Expo's push API through its SDK; the sandbox by default).
EXPO_BASE_URL = _env("LC_EXPO_BASE_URL", "http://127.0.0.1:8900").rstrip("/")
EXPO_TIMEOUT_SECONDS = 5.0

# WebSockets. A browser page may open a socket only from these origins (a full origin such as
# https://app.example.in, or a host pattern as in ALLOWED_HOSTS matching http and https on any
# port); a client that sends no Origin (the native app) is not a browser page and is let in.
WS_ALLOWED_ORIGINS = [
    origin.strip()
    for origin in _env("LC_WS_ALLOWED_ORIGINS", ",".join(ALLOWED_HOSTS)).split(",")
    if origin.strip()
]
WS_MAX_FRAME_BYTES = 64 * 1024
# Per socket: LC_WS_FLOOD_RATE frames a second on average, bursts of LC_WS_FLOOD_BURST; more
# closes the socket with 1008.
WS_FLOOD_RATE = _env_int("LC_WS_FLOOD_RATE", 20)
WS_FLOOD_BURST = _env_int("LC_WS_FLOOD_BURST", 60)
# How long an open chat socket counts its user as online without a refresh (a killed worker's
# sockets stop counting after this).
CHAT_PRESENCE_TTL_SECONDS = 90

STAFF_EMAIL = _env("LC_STAFF_EMAIL", "staff@laundryconnect.test")
STAFF_PASSWORD = _env("LC_STAFF_PASSWORD", "Staff-Pass-2026")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"reference": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
