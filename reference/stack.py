"""The reference stack's process launcher: starts the sandbox and the backend, and stops them.

`python -m reference.stack serve` runs the stack in the foreground for people (`make serve`);
`python -m reference.stack boot --state-file F --watch-pid P` is how the harness starts it
(`fixtures/stack.py`): free loopback ports, F written once every part is healthy, everything
stopped when P is gone or on SIGTERM. ARCHITECTURE.md ("The process contract") is the spec.

The scaled profile also runs moto's standalone S3 server (`python -m moto.server`) as the
media storage, unless LC_S3_ENDPOINT_URL names one; the embedded profile keeps media in local
files.

`--coverage-data DIR` runs the backend's processes (the setup commands, uvicorn and each of its
workers) under coverage.py: they get COVERAGE_PROCESS_START (the `[tool.coverage]` settings of
pyproject.toml) and COVERAGE_FILE, so that coverage's start-up hook, which its package installs,
starts measuring in every one of them, and each saves a data file of its own into DIR when it
ends, SIGTERM included. Combining and reporting them is the caller's part.

Each child runs in its own process group (so a multi-worker uvicorn is stopped whole) and gets
SIGTERM if the launcher dies. This module imports neither Django nor the sandbox: it only runs
them, with `sys.executable`, from the repository root.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOG_DIR = REPO_ROOT / "reports" / "out" / "stack"
PROFILES = ("embedded", "scaled")
DEFAULT_SCALED_WORKERS = 3
# Short enough that the OTP expiry case runs in every harness run, long enough that a code
# survives a loaded machine between the SMS and the verify call.
BOOT_OTP_TTL_SECONDS = 20
BACKEND_OTP_TTL_SECONDS = 600
DEFAULT_STAFF_EMAIL = "staff@laundryconnect.test"
DEFAULT_STAFF_PASSWORD = "Staff-Pass-2026"  # noqa: S105 - the documented test account
DEFAULT_PG_ADMIN_URL = "postgresql://127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# The sandbox's test account (its own defaults); both halves get the same values.
DEFAULT_TWILIO_ACCOUNT_SID = "AC5a4db0c05a4db0c05a4db0c05a4db0c0"
DEFAULT_TWILIO_AUTH_TOKEN = "sandbox-twilio-token"  # noqa: S105 - the sandbox accepts only it
DEFAULT_RAZORPAY_KEY_ID = "rzp_test_sandbox0001"
DEFAULT_RAZORPAY_KEY_SECRET = "sandbox-razorpay-key-secret"  # noqa: S105 - sandbox test key
DEFAULT_RAZORPAY_WEBHOOK_SECRET = "sandbox-razorpay-webhook-secret"  # noqa: S105 - sandbox
WEBHOOK_PATH = "/api/payments/webhooks/razorpay/"
# moto's S3 accepts any keys; these test values only have to be the same on both sides.
DEFAULT_S3_BUCKET = "laundryconnect-media"
DEFAULT_S3_REGION = "ap-south-1"
S3_TEST_ACCESS_KEY_ID = "lc-moto-access-key"
MALLOC_ARENA_MAX = "2"
S3_TEST_SECRET_ACCESS_KEY = "lc-moto-secret-key"  # noqa: S105 - a test value, for moto only
S3_VARIABLES = (
    "LC_S3_ENDPOINT_URL", "LC_S3_BUCKET", "LC_S3_ACCESS_KEY_ID", "LC_S3_SECRET_ACCESS_KEY",
    "LC_S3_REGION",
)
DATABASE_OWNER_TAG = "reference.stack"
SETUP_COMMANDS = (("migrate", "--noinput"), ("load_catalog",), ("ensure_staff",))
S3_SETUP_COMMANDS = (("ensure_bucket",),)
# What the backend's processes are measured with under --coverage-data.
COVERAGE_CONFIG = REPO_ROOT / "pyproject.toml"
COVERAGE_PROBE_DEADLINE_SECONDS = 60
# Exits 0 in a new interpreter only if coverage's start-up hook started measuring it.
_COVERAGE_PROBE = (
    "import sys\n"
    "try:\n"
    "    import coverage\n"
    "except ImportError:\n"
    "    sys.exit(4)\n"
    "sys.exit(0 if getattr(coverage.process_startup, 'coverage', None) else 3)\n"
)

SANDBOX_HEALTH_DEADLINE_SECONDS = 30
S3_HEALTH_DEADLINE_SECONDS = 30
BACKEND_HEALTH_DEADLINE_SECONDS = 60
SETUP_COMMAND_DEADLINE_SECONDS = 300
STOP_DEADLINE_SECONDS = 10
WATCH_INTERVAL_SECONDS = 0.5
POLL_INTERVAL_SECONDS = 0.1
PORT_ATTEMPTS = 3
LOG_TAIL_LINES = 40

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


class StackError(Exception):
    """A boot step failed. The message says what and what to do; `log` is the log to read."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log

    def report(self) -> str:
        """The message followed by the tail of the failing child's log."""
        if self.log is None:
            return str(self)
        tail = log_tail(self.log)
        return f"{self}\n--- last lines of {self.log} ---\n{tail or '(empty)'}"


class StopRequested(Exception):
    """SIGTERM or SIGINT arrived while the stack was booting."""


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# --- processes ---------------------------------------------------------------------------------


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def become_subreaper() -> None:
    """Adopt orphaned descendants (a server's workers whose supervisor was killed) to reap them."""
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A preexec_fn that makes the child get SIGTERM when the launcher dies, however it dies."""
    libc = _libc()
    if libc is None:
        return None
    parent = os.getpid()

    def die_with_parent() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return die_with_parent


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = proc_stat(pid)
    return stat is None or stat[0] not in "ZX"


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgrp) of `pid` from /proc, or None where /proc cannot tell."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[2])


def _group_members(pgid: int) -> list[tuple[int, str, int]] | None:
    """(pid, state, ppid) of every process in group `pgid`; None where /proc is unavailable."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        stat = proc_stat(int(entry.name))
        if stat is not None and stat[2] == pgid:
            members.append((int(entry.name), stat[0], stat[1]))
    return members


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _group_gone(pgid: int, seconds: float) -> bool:
    """Wait until no live process is left in group `pgid`, reaping the zombies we adopted."""
    deadline = time.monotonic() + seconds
    while True:
        members = _group_members(pgid)
        if members is None:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            live = True
        else:
            for pid, state, ppid in members:
                if state == "Z" and ppid == os.getpid():
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, os.WNOHANG)
            live = any(state not in "ZX" for _, state, _ in members)
            if not live:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)  # poll the group until the deadline


@dataclass
class Child:
    """One child process of the stack, leader of its own process group."""

    name: str
    process: subprocess.Popen
    log: Path

    def exit_code(self) -> int | None:
        return self.process.poll()

    def stop(self, say: Callable[[str], None]) -> None:
        """SIGTERM the group, wait with a deadline, then SIGKILL what is left."""
        pgid = self.process.pid
        _signal_group(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            say(f"the {self.name} did not stop within {STOP_DEADLINE_SECONDS} s; killing it")
            _signal_group(pgid, signal.SIGKILL)
            self.process.wait()
        # The workers of a multi-process server share the group and may outlive their leader.
        if not _group_gone(pgid, STOP_DEADLINE_SECONDS):
            say(f"processes of the {self.name} outlived it; killing them")
            _signal_group(pgid, signal.SIGKILL)
            _group_gone(pgid, STOP_DEADLINE_SECONDS)


# --- ports and HTTP ----------------------------------------------------------------------------


def free_port(host: str) -> int:
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def ensure_port_free(host: str, port: int, flag: str) -> None:
    """Raise StackError if (host, port) cannot be bound, the way uvicorn binds it."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StackError(
                f"port {port} on {host} is not available ({error.strerror}): another stack or "
                f"server uses it (`ss -ltnp 'sport = :{port}'` shows which). Stop it, or choose "
                f"another port with {flag}."
            ) from error


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def http_origin(scheme: str, host: str, port: int) -> str:
    """The origin a client on this machine uses for a server bound to (host, port)."""
    wildcard = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # noqa: S104 - a lookup
    connect = wildcard.get(host, host)
    if ":" in connect:
        connect = f"[{connect}]"
    return f"{scheme}://{connect}:{port}"


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_ok(url: str) -> bool:
    """Whether GET `url` answers 200 (proxies from the environment are ignored)."""
    try:
        with _OPENER.open(url, timeout=2) as response:
            return response.status == 200
    except urllib.error.HTTPError as error:
        error.close()
        return False
    except (urllib.error.URLError, OSError, HTTPException):
        return False


def webhook_settings_put(sandbox_url: str, settings: Mapping[str, Any]) -> None:
    """Change where the sandbox sends gateway webhooks (`PUT /_sandbox/gateway/webhook/`)."""
    request = urllib.request.Request(  # noqa: S310 - the sandbox's own http URL
        f"{sandbox_url}/_sandbox/gateway/webhook/",
        data=json.dumps(settings).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    try:
        with _OPENER.open(request, timeout=5) as response:
            response.read()
    except (urllib.error.URLError, OSError, HTTPException) as error:
        message = f"could not point the sandbox's gateway webhooks at the backend: {error}"
        raise StackError(message) from error


def redact(url: str) -> str:
    """`url` without its password, for messages."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write `data` so that a reader sees either no file or the whole of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


# --- the outside services of the scaled profile ------------------------------------------------


def _postgres_unreachable(url: str, error: Exception) -> StackError:
    return StackError(
        f"PostgreSQL is not reachable at {redact(url)} ({error}). The scaled profile needs it: "
        "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main "
        "start`, or point LC_PG_ADMIN_URL (or LC_DATABASE_URL) at a running server."
    )


def postgres_check(url: str) -> None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5):
            pass
    except psycopg.Error as error:
        raise _postgres_unreachable(url, error) from error


def _owner_comment() -> str:
    return f"{DATABASE_OWNER_TAG} pid={os.getpid()} host={socket.gethostname()}"


def database_create(admin_url: str, name: str) -> str:
    """Create database `name` on the server of `admin_url`; return its URL.

    The database's comment names this launcher, so that a later boot can drop it if this
    launcher is killed before it could (`databases_sweep`).
    """
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            connection.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(_owner_comment())
                )
            )
    except psycopg.OperationalError as error:
        raise _postgres_unreachable(admin_url, error) from error
    except psycopg.Error as error:
        raise StackError(
            f"could not create the run database {name} on {redact(admin_url)}: {error}. The "
            "role of LC_PG_ADMIN_URL needs the CREATEDB privilege."
        ) from error
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def databases_sweep(admin_url: str) -> list[str]:
    """Drop the run databases of launchers of this host that died without cleaning up."""
    import psycopg
    from psycopg import sql

    dropped = []
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname LIKE 'lc\\_%%' AND shobj_description(oid, 'pg_database') LIKE %s",
            (f"{DATABASE_OWNER_TAG} %",),
        ).fetchall()
        for name, comment in rows:
            owner = dict(part.split("=", 1) for part in comment.split()[1:] if "=" in part)
            if owner.get("host") != socket.gethostname() or not owner.get("pid", "").isdigit():
                continue
            if pid_alive(int(owner["pid"])):
                continue
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            dropped.append(name)
    return dropped


def database_drop(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def redis_check(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except (redis.RedisError, ValueError) as error:
        raise StackError(
            f"Redis is not reachable at {redact(url)} ({error}). The scaled profile needs it: "
            "start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379`, or "
            "point LC_REDIS_URL at a running server."
        ) from error
    finally:
        client.close()


def redis_forget(url: str, prefix: str) -> int:
    """Delete every key under `prefix`; return how many."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    deleted = 0
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) == 500:
                deleted += client.delete(*batch)
                batch.clear()
        if batch:
            deleted += client.delete(*batch)
    finally:
        client.close()
    return deleted


# --- coverage of the backend -------------------------------------------------------------------


def coverage_variables(data_dir: Path) -> dict[str, str]:
    """What makes a Python process of the backend measure itself: coverage's start-up hook
    reads the settings from COVERAGE_PROCESS_START, and COVERAGE_FILE puts the data file (one
    per process, `parallel = true`) in `data_dir`."""
    return {
        "COVERAGE_PROCESS_START": str(COVERAGE_CONFIG),
        "COVERAGE_FILE": str(Path(data_dir).resolve() / ".coverage"),
    }


def coverage_check(env: Mapping[str, str]) -> None:
    """Raise StackError unless a new interpreter given `coverage_variables` measures itself:
    coverage.py must be installed, with the start-up hook its package ships (7.10 and later)."""
    with tempfile.TemporaryDirectory(prefix="lc-coverage-probe-") as scratch:
        probe_env = {**env, **coverage_variables(Path(scratch))}
        try:
            probe = subprocess.run(
                [sys.executable, "-c", _COVERAGE_PROBE], cwd=REPO_ROOT, env=probe_env,
                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=COVERAGE_PROBE_DEADLINE_SECONDS, check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise StackError(
                f"--coverage-data: a Python process with coverage did not start within "
                f"{COVERAGE_PROBE_DEADLINE_SECONDS} s"
            ) from error
    if probe.returncode == 0:
        return
    why = {
        4: f"coverage.py is not installed in {sys.executable}",
        3: f"coverage.py's start-up hook (its .pth file) is not installed in {sys.executable}, "
        "so new processes are not measured",
    }.get(probe.returncode, f"the probe exited with {probe.returncode}: {probe.stderr[-800:]}")
    raise StackError(
        f"--coverage-data: {why}. Install the project's dependencies (`make install`; "
        "coverage>=7.10 ships the hook) or run without backend coverage."
    )


# --- the stack ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackOptions:
    """How to run the stack. A port of 0 means: pick a free one."""

    profile: str = "embedded"
    host: str = "127.0.0.1"
    port: int = 0
    sandbox_port: int = 0
    workers: int = 1
    log_dir: Path = DEFAULT_LOG_DIR
    otp_ttl_seconds: int | None = None
    keep_data: bool = False
    # where the backend's processes save their coverage data (None: not measured)
    coverage_data: Path | None = None


@dataclass(frozen=True)
class Server:
    """A child that serves HTTP: how to run it on a port and how to tell that it is healthy."""

    name: str
    argv_for_port: Callable[[int], list[str]]
    health_path: str
    port: int  # 0: a free one
    env: Mapping[str, str]
    deadline_seconds: float
    # A free port picked in advance (others had to know it); another is tried if it is lost.
    first_port: int = 0


class Stack:
    """The sandbox, the backend and (scaled) the S3 server of one run, as child processes."""

    def __init__(
        self,
        options: StackOptions,
        *,
        environ: Mapping[str, str],
        stop_event: threading.Event,
        say: Callable[[str], None],
    ) -> None:
        self.options = options
        self.environ = dict(environ)
        self.stop_event = stop_event
        self.say = say
        self.run_id = secrets.token_hex(4)
        self.log_dir = options.log_dir.resolve()
        self.data_dir = self.log_dir / f"data-{self.run_id}"
        self.children: list[Child] = []
        self._opened_logs: set[Path] = set()
        self.twilio_account_sid = (
            environ.get("LC_SANDBOX_TWILIO_ACCOUNT_SID") or DEFAULT_TWILIO_ACCOUNT_SID
        )
        self.twilio_auth_token = (
            environ.get("LC_SANDBOX_TWILIO_AUTH_TOKEN") or DEFAULT_TWILIO_AUTH_TOKEN
        )
        self.razorpay_key_id = (
            environ.get("LC_SANDBOX_RAZORPAY_KEY_ID") or DEFAULT_RAZORPAY_KEY_ID
        )
        self.razorpay_key_secret = (
            environ.get("LC_SANDBOX_RAZORPAY_KEY_SECRET") or DEFAULT_RAZORPAY_KEY_SECRET
        )
        self.razorpay_webhook_secret = (
            environ.get("LC_SANDBOX_RAZORPAY_WEBHOOK_SECRET") or DEFAULT_RAZORPAY_WEBHOOK_SECRET
        )
        self.jwt_signing_key = environ.get("LC_JWT_SIGNING_KEY") or secrets.token_urlsafe(48)
        self.secret_key = environ.get("LC_SECRET_KEY") or secrets.token_urlsafe(50)
        self.staff_email = environ.get("LC_STAFF_EMAIL") or DEFAULT_STAFF_EMAIL
        self.staff_password = environ.get("LC_STAFF_PASSWORD") or DEFAULT_STAFF_PASSWORD
        self.database_url: str | None = None
        self.database_name: str | None = None
        self.redis_url: str | None = None
        self.redis_prefix: str | None = None
        self.s3_url: str | None = None
        self.s3_bucket: str | None = None
        self._owned_database: tuple[str, str] | None = None
        self._owns_redis_prefix = False

    # boot

    def start(self) -> dict[str, Any]:
        """Start both halves and return the state the contract describes."""
        started = time.monotonic()
        options = self.options
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if options.port:
            ensure_port_free(options.host, options.port, "--port")
        if options.sandbox_port:
            ensure_port_free(options.host, options.sandbox_port, "--sandbox-port")
        if options.coverage_data is not None:
            coverage_check(self._child_env())
            options.coverage_data.mkdir(parents=True, exist_ok=True)
        if options.profile == "scaled":
            self._prepare_scaled()
        # The sandbox must know where to send gateway webhooks before either half starts.
        backend_port = options.port or free_port(options.host)

        servers = [
            Server(
                "sandbox",
                lambda port: [sys.executable, "-m", "sandbox", "--host", options.host,
                              "--port", str(port)],
                health_path="/_sandbox/health/",
                port=options.sandbox_port,
                env=self._sandbox_env(webhook_url=self._webhook_url(backend_port)),
                deadline_seconds=SANDBOX_HEALTH_DEADLINE_SECONDS,
            )
        ]
        runs_s3 = options.profile == "scaled" and not self.s3_url
        if runs_s3:
            # moto's own server, not the `moto_server` script: the script's shebang names the
            # interpreter it was installed with, `sys.executable` is the one running this stack.
            servers.append(
                Server(
                    "s3",
                    lambda port: [sys.executable, "-m", "moto.server", "-H", options.host,
                                  "-p", str(port)],
                    health_path="/moto-api/",
                    port=0,
                    env=self._child_env(),
                    deadline_seconds=S3_HEALTH_DEADLINE_SECONDS,
                )
            )
        # Both start side by side: neither needs the other, and each takes a second to import.
        sandbox_port, *s3_port = self._start_servers(*servers)
        sandbox_url = http_origin("http", options.host, sandbox_port)
        self.say(f"sandbox healthy at {sandbox_url} ({time.monotonic() - started:.1f} s)")
        if runs_s3:
            self.s3_url = http_origin("http", options.host, s3_port[0])
            self.say(
                f"S3 server (moto) healthy at {self.s3_url} ({time.monotonic() - started:.1f} s)"
            )

        backend_env = self._backend_env(sandbox_url)
        self._run_setup(backend_env)
        self.say(f"database ready ({time.monotonic() - started:.1f} s)")

        (port,) = self._start_servers(
            Server(
                "backend",
                self._backend_argv,
                health_path="/api/health/",
                port=options.port,
                env=backend_env,
                deadline_seconds=BACKEND_HEALTH_DEADLINE_SECONDS,
                first_port=backend_port,
            )
        )
        if port != backend_port:
            webhook_settings_put(sandbox_url, {"url": self._webhook_url(port)})
        boot_seconds = round(time.monotonic() - started, 2)
        self.say(f"backend healthy on port {port} ({boot_seconds:.1f} s)")
        return {
            "base_url": http_origin("http", options.host, port),
            "ws_url": http_origin("ws", options.host, port),
            "sandbox_url": sandbox_url,
            "staff_email": self.staff_email,
            "staff_password": self.staff_password,
            "jwt_signing_key": self.jwt_signing_key,
            "otp_ttl_seconds": options.otp_ttl_seconds or BACKEND_OTP_TTL_SECONDS,
            "profile": options.profile,
            "log_dir": str(self.log_dir),
            "pid": os.getpid(),
            "workers": options.workers,
            "database": self.database_name,
            "redis_prefix": self.redis_prefix,
            "s3_url": self.s3_url,
            "s3_bucket": self.s3_bucket,
            "processes": {child.name: child.process.pid for child in self.children},
            "boot_seconds": boot_seconds,
            "coverage_data": str(options.coverage_data) if options.coverage_data else None,
        }

    def _prepare_scaled(self) -> None:
        self.redis_url = self.environ.get("LC_REDIS_URL") or DEFAULT_REDIS_URL
        redis_check(self.redis_url)
        given_prefix = self.environ.get("LC_REDIS_PREFIX")
        self.redis_prefix = given_prefix or f"lc_{self.run_id}"
        self._owns_redis_prefix = not given_prefix
        # A given S3 endpoint is used as it is, with the bucket and keys exported beside it;
        # otherwise `start` runs moto for this run alone, so the default bucket never clashes.
        self.s3_url = self.environ.get("LC_S3_ENDPOINT_URL") or None
        self.s3_bucket = self.environ.get("LC_S3_BUCKET") or DEFAULT_S3_BUCKET

        given_database = self.environ.get("LC_DATABASE_URL")
        if given_database:
            postgres_check(given_database)
            self.database_url = given_database
            self.database_name = urlsplit(given_database).path.lstrip("/")
            return
        admin_url = self.environ.get("LC_PG_ADMIN_URL") or DEFAULT_PG_ADMIN_URL
        self.database_name = f"lc_{self.run_id}"
        self.database_url = database_create(admin_url, self.database_name)
        self._owned_database = (admin_url, self.database_name)
        self.say(f"created database {self.database_name} on {redact(admin_url)}")
        try:
            for stale in databases_sweep(admin_url):
                self.say(f"dropped database {stale}, left behind by a launcher that was killed")
        except Exception as error:  # the sweep is a courtesy; the boot goes on without it
            self.say(f"warning: could not look for stale run databases: {error}")

    def _child_env(self) -> dict[str, str]:
        env = dict(self.environ)
        env["PYTHONUNBUFFERED"] = "1"
        # Loopback calls between the halves must never go through a proxy from the environment.
        for name in ("NO_PROXY", "no_proxy"):
            hosts = [host for host in env.get(name, "").split(",") if host]
            hosts += [host for host in ("127.0.0.1", "localhost", "::1") if host not in hosts]
            env[name] = ",".join(hosts)
        return env

    def _webhook_url(self, backend_port: int) -> str:
        return http_origin("http", self.options.host, backend_port) + WEBHOOK_PATH

    def _sandbox_env(self, webhook_url: str | None = None) -> dict[str, str]:
        env = self._child_env()
        env["LC_SANDBOX_TWILIO_ACCOUNT_SID"] = self.twilio_account_sid
        env["LC_SANDBOX_TWILIO_AUTH_TOKEN"] = self.twilio_auth_token
        env["LC_SANDBOX_RAZORPAY_KEY_ID"] = self.razorpay_key_id
        env["LC_SANDBOX_RAZORPAY_KEY_SECRET"] = self.razorpay_key_secret
        env["LC_SANDBOX_RAZORPAY_WEBHOOK_SECRET"] = self.razorpay_webhook_secret
        if webhook_url is not None:
            env["LC_SANDBOX_WEBHOOK_URL"] = webhook_url
        return env

    def _backend_env(self, sandbox_url: str) -> dict[str, str]:
        env = self._child_env()
        if self.options.profile == "embedded":
            # The embedded profile is SQLite, in-memory layers and local media, whatever the
            # shell exports.
            for name in ("LC_DATABASE_URL", "LC_REDIS_URL", "LC_REDIS_PREFIX", *S3_VARIABLES):
                env.pop(name, None)
        env.update(
            DJANGO_SETTINGS_MODULE="reference.config.settings",
            LC_PROFILE=self.options.profile,
            LC_DATA_DIR=str(self.data_dir),
            LC_TWILIO_BASE_URL=sandbox_url,
            LC_EXPO_BASE_URL=sandbox_url,
            LC_TWILIO_ACCOUNT_SID=self.twilio_account_sid,
            LC_TWILIO_AUTH_TOKEN=self.twilio_auth_token,
            LC_RAZORPAY_BASE_URL=sandbox_url,
            LC_RAZORPAY_KEY_ID=self.razorpay_key_id,
            LC_RAZORPAY_KEY_SECRET=self.razorpay_key_secret,
            LC_RAZORPAY_WEBHOOK_SECRET=self.razorpay_webhook_secret,
            LC_JWT_SIGNING_KEY=self.jwt_signing_key,
            LC_SECRET_KEY=self.secret_key,
            LC_STAFF_EMAIL=self.staff_email,
            LC_STAFF_PASSWORD=self.staff_password,
        )
        if self.options.otp_ttl_seconds is not None:
            env["LC_OTP_TTL_SECONDS"] = str(self.options.otp_ttl_seconds)
        # Django runs each request in a thread of its own, and glibc gives threads malloc arenas
        # of their own (up to 8 per core) that keep what a photo's decode freed: two arenas cut
        # the backend's peak memory in a burst of 20 5 MB uploads by about a quarter, at no
        # cost in uploads per second (load/bench_upload.py). A value in the shell wins.
        env.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENA_MAX)
        if self.options.profile == "scaled":
            env.update(
                LC_DATABASE_URL=self.database_url or "",
                LC_REDIS_URL=self.redis_url or "",
                LC_REDIS_PREFIX=self.redis_prefix or "",
            )
        if self.options.profile == "scaled" and not self.environ.get("LC_S3_ENDPOINT_URL"):
            env.update(
                LC_S3_ENDPOINT_URL=self.s3_url or "",
                LC_S3_BUCKET=self.s3_bucket or DEFAULT_S3_BUCKET,
                LC_S3_ACCESS_KEY_ID=S3_TEST_ACCESS_KEY_ID,
                LC_S3_SECRET_ACCESS_KEY=S3_TEST_SECRET_ACCESS_KEY,
                LC_S3_REGION=DEFAULT_S3_REGION,
            )
        if self.options.coverage_data is not None:
            env.update(coverage_variables(self.options.coverage_data))
        return env

    def _backend_argv(self, port: int) -> list[str]:
        argv = [
            sys.executable, "-m", "uvicorn", "reference.config.asgi:application",
            "--host", self.options.host, "--port", str(port),
            # Django's ASGI handler does not speak the lifespan protocol.
            "--lifespan", "off",
            "--timeout-graceful-shutdown", "3",
            # The contract's frame limit: a bigger WebSocket message closes the socket (1009).
            "--ws-max-size", "65536",
        ]
        if self.options.profile == "scaled":
            argv += ["--workers", str(self.options.workers)]
        return argv

    def _spawn(
        self, name: str, argv: list[str], env: Mapping[str, str], log: Path, header: str = ""
    ) -> Child:
        mode = "ab" if log in self._opened_logs else "wb"
        self._opened_logs.add(log)
        with log.open(mode) as out:
            if header:
                out.write(header.encode() + b"\n")
                out.flush()
            process = subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent_hook(),
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def _checkpoint(self) -> None:
        if self.stop_event.is_set():
            raise StopRequested("a stop was requested while the stack was booting")

    def _start_servers(self, *servers: Server) -> list[int]:
        """Start `servers` side by side, wait until each is healthy; return their ports.

        A free port picked here can be taken by someone else before the child binds it; then
        the child fails with "address already in use" and another port is tried.
        """
        launched = [self._launch(server) for server in servers]
        return [
            self._await_healthy(server, child, port)
            for server, (child, port) in zip(servers, launched, strict=True)
        ]

    def _launch(self, server: Server, *, retry: bool = False) -> tuple[Child, int]:
        port = server.port or (0 if retry else server.first_port) or free_port(self.options.host)
        log = self.log_dir / f"{server.name}.log"
        return self._spawn(server.name, server.argv_for_port(port), server.env, log), port

    def _await_healthy(self, server: Server, child: Child, port: int) -> int:
        attempts = 1
        while not self._healthy_unless_port_lost(server, child, port):
            self.children.remove(child)
            if attempts == PORT_ATTEMPTS:
                raise StackError(
                    f"the {server.name} found no free port in {PORT_ATTEMPTS} attempts", child.log
                )
            self.say(f"{server.name}: port {port} was taken meanwhile; trying another")
            child, port = self._launch(server, retry=True)
            attempts += 1
        return port

    def _healthy_unless_port_lost(self, server: Server, child: Child, port: int) -> bool:
        """True once `child` is healthy, False if it lost its free port to another process."""
        url = http_origin("http", self.options.host, port) + server.health_path
        try:
            self._wait_healthy(child, url, server.deadline_seconds)
        except StackError:
            lost_race = (
                not server.port
                and child.exit_code() is not None
                and "address already in use" in log_tail(child.log, 5).lower()
            )
            if not lost_race:
                raise
            return False
        return True

    def _wait_healthy(self, child: Child, url: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self._checkpoint()
            code = child.exit_code()
            if code is not None:
                raise StackError(
                    f"the {child.name} exited with code {code} before it answered {url}",
                    child.log,
                )
            if http_ok(url):
                return
            if time.monotonic() > deadline:
                raise StackError(
                    f"the {child.name} did not answer 200 on {url} within {seconds:g} s",
                    child.log,
                )
            self.stop_event.wait(POLL_INTERVAL_SECONDS)

    def _run_setup(self, env: Mapping[str, str]) -> None:
        """migrate, load_catalog, ensure_staff (and ensure_bucket with S3 storage): one after
        the other, each with a deadline."""
        log = self.log_dir / "setup.log"
        commands = SETUP_COMMANDS + (S3_SETUP_COMMANDS if self.s3_url else ())
        for command in commands:
            argv = [sys.executable, "-m", "reference.manage", *command]
            shown = shlex.join(["python", *argv[1:]])
            child = self._spawn(f"`{shown}`", argv, env, log, header=f"$ {shown}")
            deadline = time.monotonic() + SETUP_COMMAND_DEADLINE_SECONDS
            while (code := child.exit_code()) is None:
                self._checkpoint()
                if time.monotonic() > deadline:
                    raise StackError(
                        f"{child.name} did not finish within {SETUP_COMMAND_DEADLINE_SECONDS} s",
                        log,
                    )
                self.stop_event.wait(POLL_INTERVAL_SECONDS)
            self.children.remove(child)
            if code != 0:
                raise StackError(f"{child.name} failed with exit code {code}", log)

    # run

    def watch(self, watch_pid: int | None = None) -> int:
        """Block until a stop is requested (0), `watch_pid` is gone (0) or a child dies (1)."""
        while not self.stop_event.wait(WATCH_INTERVAL_SECONDS):
            if watch_pid is not None and not pid_alive(watch_pid):
                self.say(f"process {watch_pid} is gone; stopping the stack")
                return 0
            for child in self.children:
                code = child.exit_code()
                if code is not None:
                    self.say(
                        StackError(
                            f"the {child.name} exited unexpectedly with code {code}; "
                            "stopping the stack",
                            child.log,
                        ).report()
                    )
                    return 1
        self.say("stop requested; stopping the stack")
        return 0

    # stop

    def stop(self) -> None:
        """Stop every child (backend first), then forget the run's database, keys and data."""
        while self.children:
            self.children.pop().stop(self.say)
        if self._owned_database is not None:
            admin_url, name = self._owned_database
            try:
                database_drop(admin_url, name)
                self.say(f"dropped database {name}")
            except Exception as error:  # cleanup goes on; the warning says what failed
                self.say(f"warning: could not drop database {name}: {error}")
            self._owned_database = None
        if self._owns_redis_prefix and self.redis_url and self.redis_prefix:
            try:
                redis_forget(self.redis_url, self.redis_prefix)
            except Exception as error:  # cleanup goes on; the warning says what failed
                self.say(f"warning: could not delete Redis keys {self.redis_prefix}*: {error}")
            self._owns_redis_prefix = False
        if not self.options.keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)


# --- command line ------------------------------------------------------------------------------


def _say(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def _install_stop_handlers() -> threading.Event:
    """SIGTERM, SIGINT and SIGHUP ask for a clean stop; the stack polls the returned event."""
    stop_event = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop_event.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, request_stop)
    return stop_event


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port must be a number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port must be from 0 to 65535, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reference.stack",
        description=(
            "Run the LaundryConnect reference stack: the third-party sandbox and the reference "
            "backend, as child processes. Any LC_* variable you export reaches the backend "
            "(e.g. LC_THROTTLE_LOGIN); LC_STAFF_EMAIL / LC_STAFF_PASSWORD set the staff "
            "account; LC_PG_ADMIN_URL, LC_DATABASE_URL, LC_REDIS_URL configure the scaled "
            "profile, which runs moto's S3 server for media unless LC_S3_ENDPOINT_URL (with "
            "LC_S3_BUCKET, LC_S3_ACCESS_KEY_ID, LC_S3_SECRET_ACCESS_KEY, LC_S3_REGION) names "
            "another."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    profile_default = os.environ.get("LC_PROFILE") or "embedded"
    common.add_argument(
        "--profile",
        choices=PROFILES,
        default=profile_default if profile_default in PROFILES else None,
        help="embedded: SQLite, in-memory layers, local media, one process; scaled: "
        "PostgreSQL, Redis, S3 media (moto), several workers (default: $LC_PROFILE or embedded)",
    )
    common.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    common.add_argument(
        "--workers",
        type=_positive,
        help=f"uvicorn workers of the backend, scaled profile only (default "
        f"{DEFAULT_SCALED_WORKERS})",
    )
    common.add_argument(
        "--log-dir",
        type=Path,
        default=DEFAULT_LOG_DIR,
        help="where the children's logs (sandbox.log, s3.log, setup.log, backend.log) and the "
        "run's data go (default reports/out/stack)",
    )
    common.add_argument(
        "--otp-ttl",
        type=_positive,
        metavar="SECONDS",
        help="OTP lifetime given to the backend (default: $LC_OTP_TTL_SECONDS, else 20 for boot "
        "and the backend's own 600 for serve)",
    )
    common.add_argument(
        "--keep-data", action="store_true", help="keep the run's data folder after the stop"
    )
    common.add_argument(
        "--coverage-data",
        type=Path,
        metavar="DIR",
        help="run the backend's processes (setup commands, uvicorn and every worker) under "
        "coverage.py with the [tool.coverage] settings of pyproject.toml; each saves its data "
        "file into DIR when it stops (combine them with `coverage combine`)",
    )

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="run the stack in the foreground until Ctrl-C",
        description="Run the stack in the foreground, print its URLs once it is healthy, and "
        "stop everything on Ctrl-C or SIGTERM.",
    )
    serve.add_argument("--port", type=_port, default=8000, help="backend port (default 8000)")
    serve.add_argument(
        "--sandbox-port", type=_port, default=8900, help="sandbox port (default 8900)"
    )

    boot = commands.add_parser(
        "boot",
        parents=[common],
        help="start the stack for the harness and write its state file",
        description="Start the stack on free loopback ports, write its state as JSON to "
        "--state-file once every part is healthy (or {\"error\": ...} if the boot fails), "
        "and stay up until SIGTERM/SIGINT or until --watch-pid is gone. The state file is "
        "removed when the stack stops.",
    )
    boot.add_argument("--state-file", type=Path, required=True, help="where to write the state")
    boot.add_argument(
        "--watch-pid", type=_positive, help="stop when this process no longer exists"
    )
    boot.add_argument("--port", type=_port, default=0, help="backend port (default: a free one)")
    boot.add_argument(
        "--sandbox-port", type=_port, default=0, help="sandbox port (default: a free one)"
    )
    for command in (serve, boot):
        command.set_defaults(command_parser=command)
    return parser


def parse_options(argv: list[str] | None = None) -> tuple[argparse.Namespace, StackOptions]:
    args = build_parser().parse_args(argv)
    parser: argparse.ArgumentParser = args.command_parser
    if args.profile is None:
        parser.error(
            f"LC_PROFILE must be one of {', '.join(PROFILES)}, got {os.environ['LC_PROFILE']!r}"
        )
    if args.workers is not None and args.profile != "scaled":
        parser.error("--workers applies to the scaled profile only (embedded runs one process)")
    if args.port and args.port == args.sandbox_port:
        parser.error(f"--port and --sandbox-port must differ, both are {args.port}")
    otp_ttl = args.otp_ttl
    if otp_ttl is None and os.environ.get("LC_OTP_TTL_SECONDS"):
        try:
            otp_ttl = _positive(os.environ["LC_OTP_TTL_SECONDS"])
        except argparse.ArgumentTypeError as error:
            parser.error(f"LC_OTP_TTL_SECONDS: {error}")
    if otp_ttl is None and args.command == "boot":
        otp_ttl = BOOT_OTP_TTL_SECONDS
    workers = args.workers or (DEFAULT_SCALED_WORKERS if args.profile == "scaled" else 1)
    options = StackOptions(
        profile=args.profile,
        host=args.host,
        port=args.port,
        sandbox_port=args.sandbox_port,
        workers=workers,
        log_dir=args.log_dir,
        otp_ttl_seconds=otp_ttl,
        keep_data=args.keep_data,
        coverage_data=args.coverage_data.resolve() if args.coverage_data else None,
    )
    return args, options


def _banner(state: Mapping[str, Any]) -> str:
    base, ws, sandbox = state["base_url"], state["ws_url"], state["sandbox_url"]
    workers = state["workers"]
    lines = [
        f"LaundryConnect reference stack is up: profile {state['profile']}, "
        f"{workers} worker{'s' if workers > 1 else ''}, booted in {state['boot_seconds']:.1f} s",
        f"  REST base     {base}/api/",
        f"  WebSocket     {ws}/ws/",
        f"  Swagger UI    {base}/api/docs/",
        f"  OpenAPI       {base}/api/schema/",
        f"  Health        {base}/api/health/",
        f"  Sandbox       {sandbox}/  (SMS inbox /_sandbox/sms/?to=..., faults /_sandbox/faults/)",
        f"  Staff         {state['staff_email']} / {state['staff_password']}",
        f"  OTP lifetime  {state['otp_ttl_seconds']} s",
        f"  Logs          {state['log_dir']}",
    ]
    if state["database"]:
        lines.append(f"  Database      {state['database']} (Redis prefix {state['redis_prefix']})")
    if state["s3_url"]:
        lines.append(f"  S3 storage    {redact(state['s3_url'])}  (bucket {state['s3_bucket']})")
    if state["coverage_data"]:
        lines.append(f"  Coverage data {state['coverage_data']}  (saved when the stack stops)")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def _stop_and_tell(stack: Stack) -> None:
    started = time.monotonic()
    stack.stop()
    _say(f"stopped in {time.monotonic() - started:.1f} s")


def serve(options: StackOptions, stop_event: threading.Event) -> int:
    stack = Stack(options, environ=os.environ, stop_event=stop_event, say=_say)
    try:
        state = stack.start()
        print(_banner(state), flush=True)
        return stack.watch()
    except StopRequested:
        _say("stopped while booting")
        return 0
    except StackError as error:
        _say(f"error: {error.report()}")
        return 1
    finally:
        _stop_and_tell(stack)


def boot(
    options: StackOptions, state_file: Path, watch_pid: int | None, stop_event: threading.Event
) -> int:
    state_file = state_file.resolve()
    with contextlib.suppress(FileNotFoundError):
        state_file.unlink()
    stack = Stack(options, environ=os.environ, stop_event=stop_event, say=_say)
    failure = {"log_dir": str(stack.log_dir), "pid": os.getpid(), "profile": options.profile}
    written = False
    try:
        if watch_pid is not None and not pid_alive(watch_pid):
            raise StackError(f"--watch-pid {watch_pid} is not a running process")
        state = stack.start()
        write_json_atomic(state_file, state)
        written = True
        return stack.watch(watch_pid)
    except StopRequested as stop:
        write_json_atomic(state_file, {"error": str(stop), **failure})
        return 1
    except StackError as error:
        _say(f"error: {error.report()}")
        write_json_atomic(state_file, {"error": error.report(), **failure})
        return 1
    except Exception:
        message = f"the stack launcher crashed:\n{traceback.format_exc()}"
        _say(message)
        write_json_atomic(state_file, {"error": message, **failure})
        return 1
    finally:
        _stop_and_tell(stack)
        if written:
            with contextlib.suppress(FileNotFoundError):
                state_file.unlink()


def main(argv: list[str] | None = None) -> int:
    args, options = parse_options(argv)
    stop_event = _install_stop_handlers()
    become_subreaper()
    if args.command == "serve":
        return serve(options, stop_event)
    return boot(options, args.state_file, args.watch_pid, stop_event)


if __name__ == "__main__":
    sys.exit(main())
