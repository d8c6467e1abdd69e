"""The load test's pool of customer accounts, made before the run so that registration is not
what the run measures (each simulated user only logs in when it starts).

    python -m load.accounts --count 60 --base-url http://127.0.0.1:8000 \
        --sandbox-url http://127.0.0.1:8900 --out reports/out/load/accounts.json

Each account is made as the app makes one: register, read the OTP from the sandbox's SMS
inbox, verify it; then it gets a home address, so that the ordering users can order at once.
Several registrations run at a time (threads with httpx). The file is a JSON list of
`{email, phone_number, password, full_name}`, the format of the harness's `--accounts-file`
(`LC_ACCOUNTS_FILE`), so an operator can give the load test a pool made elsewhere instead
(a target without an SMS sandbox needs one).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx

from load.cli import positive
from load.polling import poll
from load.reporting import write_json
from load.target import LAUNCHER

OTP = re.compile(r"\b(\d{6})\b")
SMS_DEADLINE_SECONDS = 20
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_CONCURRENCY = 6
BODY_LIMIT = 300
HOME = {
    "label": "home", "address_line1": "14 Residency Road", "address_line2": "Ashok Nagar",
    "city": "Bengaluru", "state": "Karnataka", "pincode": "560025", "latitude": 12.9698,
    "longitude": 77.6006, "is_default": True,
}


class AccountsError(Exception):
    """A call of the target did not give what an account (or the data a benchmark makes with
    one) needs; the message names the call and what came back."""


def expect(response: httpx.Response, status: HTTPStatus | tuple[HTTPStatus, ...],
           what: str) -> dict[str, Any]:
    """The JSON object of a reply with `status` (or one of them); AccountsError naming the call
    and a short piece of what came back otherwise (a target that answers HTML or another
    status)."""
    wanted = status if isinstance(status, tuple) else (status,)
    call = f"{response.request.method} {response.request.url}"
    if response.status_code not in wanted:
        raise AccountsError(f"{what}: expected {' or '.join(str(s.value) for s in wanted)}, got "
                            f"{response.status_code} from {call}\n{response.text[:BODY_LIMIT]}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise AccountsError(f"{what}: {response.status_code} from {call} is not a JSON object "
                            f"({response.headers.get('content-type') or 'no content type'})\n"
                            f"{response.text[:BODY_LIMIT]}")
    return body


def bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


def customer_register(api: httpx.Client, sandbox: httpx.Client, *, email: str, full_name: str,
                      label: str) -> tuple[dict, str]:
    """A customer registered as the app registers one: register, the OTP from the SMS sandbox's
    inbox, verify. Its account (`{email, phone_number, password, full_name}`, the pool's
    format; `label` starts the password: who made it) and the access token its registration
    gave."""
    phone = f"+91{secrets.choice('6789')}{secrets.randbelow(10**9):09d}"
    password = f"{label}-{secrets.token_urlsafe(12)}"
    account = {"email": email, "phone_number": phone, "password": password,
               "full_name": full_name}
    registered = expect(
        api.post("/api/accounts/auth/register/",
                 json={**account, "password_confirm": password}),
        HTTPStatus.CREATED, f"registering {email}")

    def code() -> str | None:
        inbox = expect(sandbox.get("/_sandbox/sms/", params={"to": phone}), HTTPStatus.OK,
                       "reading the SMS sandbox")["results"]
        found = [OTP.search(sms["body"]) for sms in inbox]
        return next((match.group(1) for match in found if match), None)

    otp = poll(code, timeout=SMS_DEADLINE_SECONDS, what=f"the OTP SMS to {phone}",
               error=AccountsError)
    expect(api.post("/api/accounts/verify-otp/", json={"phone_number": phone, "otp_code": otp}),
           HTTPStatus.OK, f"verifying the OTP of {phone}")
    tokens = registered.get("tokens")
    access = tokens.get("access") if isinstance(tokens, dict) else None
    if not access:
        raise AccountsError(f"registering {email}: the reply has no tokens.access "
                            f"(keys: {', '.join(sorted(registered)) or 'none'})")
    return account, access


def account_make(api: httpx.Client, sandbox: httpx.Client, run: str, serial: int) -> dict:
    """One verified customer with a default home address."""
    account, access = customer_register(
        api, sandbox, email=f"load.{run}.{serial}@laundryconnect.test",
        full_name=f"Load Customer {serial}", label="Load")
    expect(api.post("/api/accounts/addresses/", json=HOME, headers=bearer(access)),
           HTTPStatus.CREATED, f"adding the address of {account['email']}")
    return account


def _has_request(error: httpx.HTTPError) -> bool:
    try:
        return error.request is not None
    except RuntimeError:  # an error raised without a request
        return False


def accounts_make(base_url: str, sandbox_url: str, count: int, *,
                  concurrency: int = DEFAULT_CONCURRENCY,
                  say: Callable[[str], None] = print) -> list[dict]:
    """`count` accounts, `concurrency` registrations at a time; raises on the first failure."""
    run = secrets.token_hex(3)
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()
    done = [0]

    def clients_of_thread() -> tuple[httpx.Client, httpx.Client]:
        if not hasattr(local, "api"):
            local.api = httpx.Client(base_url=base_url, timeout=TIMEOUT, trust_env=False)
            local.sandbox = httpx.Client(base_url=sandbox_url, timeout=TIMEOUT, trust_env=False)
            with lock:
                clients.extend([local.api, local.sandbox])
        return local.api, local.sandbox

    def make(serial: int) -> dict:
        api, sandbox = clients_of_thread()
        try:
            account = account_make(api, sandbox, run, serial)
        except httpx.HTTPError as error:
            raise AccountsError(f"account {serial}: {type(error).__name__} from "
                                f"{error.request.url if _has_request(error) else 'the target'}"
                                f": {error}") from error
        with lock:
            done[0] += 1
            if done[0] % 20 == 0 or done[0] == count:
                say(f"[accounts] {done[0]}/{count} registered")
        return account

    try:
        with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="register") as pool:
            return list(pool.map(make, range(count)))
    finally:
        for client in clients:
            client.close()


def accounts_read(path: Path) -> list[dict]:
    """A pool file: a JSON list of objects with at least email and password."""
    try:
        accounts = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise AccountsError(f"cannot read the accounts file {path}: {error}") from error
    if not isinstance(accounts, list) or not accounts or not all(
            isinstance(account, dict) and {"email", "password"} <= account.keys()
            for account in accounts):
        raise AccountsError(f"{path}: expected a non-empty JSON list of objects with email and "
                            "password (and phone_number)")
    return accounts


def accounts_write(path: Path, accounts: list[dict]) -> None:
    write_json(path, accounts, indent=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m load.accounts",
        description="Register a pool of verified customer accounts (OTP from the SMS sandbox) "
        "for the load test, and write them as a JSON list.")
    parser.add_argument("--count", type=positive, required=True, help="how many accounts")
    parser.add_argument("--base-url", help="the backend (default: base_url of --state-file)")
    parser.add_argument("--sandbox-url", help="its SMS sandbox (default: from --state-file)")
    parser.add_argument("--state-file", type=Path,
                        help=f"the state file of `python -m {LAUNCHER} boot`")
    parser.add_argument("--out", type=Path, default=Path("reports/out/load/accounts.json"),
                        help="where the pool goes (default reports/out/load/accounts.json)")
    parser.add_argument("--concurrency", type=positive, default=DEFAULT_CONCURRENCY,
                        help=f"registrations at a time (default {DEFAULT_CONCURRENCY})")
    options = parser.parse_args(argv)
    base_url, sandbox_url = options.base_url, options.sandbox_url
    if options.state_file:
        state = json.loads(options.state_file.read_text())
        base_url = base_url or state["base_url"]
        sandbox_url = sandbox_url or state["sandbox_url"]
    if not base_url or not sandbox_url:
        parser.error("give --base-url and --sandbox-url, or --state-file")
    started = time.monotonic()
    try:
        accounts = accounts_make(base_url, sandbox_url, options.count,
                                 concurrency=options.concurrency)
    except AccountsError as error:
        print(f"[accounts] error: {error}", file=sys.stderr)
        return 1
    accounts_write(options.out, accounts)
    print(f"[accounts] {len(accounts)} accounts in {time.monotonic() - started:.1f} s: "
          f"{options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
