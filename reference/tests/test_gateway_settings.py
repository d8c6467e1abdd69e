"""The gateway settings: the backend refuses to start with a live key (never live money)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def manage_check(**env: str) -> subprocess.CompletedProcess:
    base = {name: value for name, value in os.environ.items() if not name.startswith("LC_")}
    return subprocess.run(
        [sys.executable, "-m", "reference.manage", "check"],
        cwd=REPO_ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "reference.config.settings",
                            **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.parametrize("key_id", ["rzp_live_AbCdEf0123", "anything"])
def test_a_key_that_is_not_a_test_key_stops_the_backend(key_id):
    result = manage_check(LC_RAZORPAY_KEY_ID=key_id)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "never touches live money" in result.stderr
    assert "AbCdEf0123" not in result.stderr  # a key is never printed whole


def test_a_live_key_starts_only_when_allowed_on_purpose():
    result = manage_check(LC_RAZORPAY_KEY_ID="rzp_live_AbCdEf0123", LC_ALLOW_LIVE_GATEWAY="1")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("LC_GATEWAY_TIMEOUT_SECONDS", "soon"), ("LC_GATEWAY_TIMEOUT_SECONDS", "0"),
     ("LC_CHECKOUT_URL", "http://checkout.example/")],
)
def test_bad_gateway_settings_are_refused_with_their_name(name, value):
    result = manage_check(**{name: value})

    assert result.returncode != 0
    assert name in result.stderr
