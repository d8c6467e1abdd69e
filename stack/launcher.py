"""The `Stack`: the sandbox, the backend and (scaled) the S3 server of one run, as child
processes: booted in named steps (checks, sandbox and S3 side by side, the backend's setup
commands, the backend), watched, and stopped with everything the run made.

The backend is one uvicorn process in the embedded profile; in the scaled one, gunicorn (REST)
and uvicorn (sockets) side by side behind nginx, which takes the stack's public port
(`stack.backend`, `stack.proxy`). The backend and the sandbox are only run, with
`sys.executable`, never imported.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from stack.backend import Sizes, asgi_argv, describe, sizes_from, wsgi_argv
from stack.coverage_hook import coverage_check, coverage_variables
from stack.errors import StackError, StopRequested, log_tail
from stack.http import http_ok, http_origin, webhook_settings_put
from stack.processes import (
    REPO_ROOT,
    Child,
    Server,
    ensure_port_free,
    free_port,
    pid_alive,
    spawn,
)
from stack.proxy import (
    DEFAULT_UPLOAD_MAX_BYTES,
    MEDIA_LOCATION,
    ProxyPlan,
    nginx_binary,
    proxy_server,
)
from stack.services import (
    DEFAULT_PG_ADMIN_URL,
    DEFAULT_REDIS_URL,
    DEFAULT_S3_BUCKET,
    S3_VARIABLES,
    database_create,
    database_drop,
    databases_sweep,
    postgres_check,
    redact,
    redis_check,
    redis_forget,
    s3_server,
    s3_variables,
)

DEFAULT_LOG_DIR = REPO_ROOT / "reports" / "out" / "stack"
BACKEND_OTP_TTL_SECONDS = 600
DEFAULT_STAFF_EMAIL = "staff@laundryconnect.test"
DEFAULT_STAFF_PASSWORD = "Staff-Pass-2026"  # noqa: S105 - the documented test account
# The sandbox's test account (its own defaults); both halves get the same values.
DEFAULT_TWILIO_ACCOUNT_SID = "AC5a4db0c05a4db0c05a4db0c05a4db0c0"
DEFAULT_TWILIO_AUTH_TOKEN = "sandbox-twilio-token"  # noqa: S105 - the sandbox accepts only it
DEFAULT_RAZORPAY_KEY_ID = "rzp_test_sandbox0001"
DEFAULT_RAZORPAY_KEY_SECRET = "sandbox-razorpay-key-secret"  # noqa: S105 - sandbox test key
DEFAULT_RAZORPAY_WEBHOOK_SECRET = "sandbox-razorpay-webhook-secret"  # noqa: S105 - sandbox
WEBHOOK_PATH = "/api/payments/webhooks/razorpay/"
MALLOC_ARENA_MAX = "2"
SETUP_COMMANDS = (("migrate", "--noinput"), ("load_catalog",), ("ensure_staff",))
S3_SETUP_COMMANDS = (("ensure_bucket",),)

# The servers behind nginx listen on loopback only: the stack's one public port is nginx's.
INTERNAL_HOST = "127.0.0.1"
SANDBOX_HEALTH_DEADLINE_SECONDS = 30
BACKEND_HEALTH_DEADLINE_SECONDS = 60
SETUP_COMMAND_DEADLINE_SECONDS = 300
WATCH_INTERVAL_SECONDS = 0.5
POLL_INTERVAL_SECONDS = 0.1
PORT_ATTEMPTS = 3


@dataclass(frozen=True)
class StackOptions:
    """How to run the stack. A port of 0 means: pick a free one."""

    profile: str = "embedded"
    host: str = "127.0.0.1"
    port: int = 0
    sandbox_port: int = 0
    workers: int = 1
    # the scaled profile's REST workers, threads and database bound (None: from the variables)
    sizes: Sizes | None = None
    log_dir: Path = DEFAULT_LOG_DIR
    otp_ttl_seconds: int | None = None
    keep_data: bool = False
    # where the backend's processes save their coverage data (None: not measured)
    coverage_data: Path | None = None


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
        self._boot_started = 0.0
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
        self.sizes: Sizes | None = None
        if options.profile == "scaled":
            self.sizes = options.sizes or sizes_from(self.environ, options.workers)
        self.nginx: str | None = None
        self._owns_redis_prefix = False

    # boot

    def start(self) -> dict[str, Any]:
        """Start both halves and return the state the contract describes."""
        self._boot_started = time.monotonic()
        self._check_and_prepare()
        # The sandbox must know where to send gateway webhooks before either half starts.
        backend_port = self.options.port or free_port(self.options.host)
        sandbox_url = self._start_sandbox_and_s3(backend_port)
        port = self._start_backend(sandbox_url, backend_port)
        boot_seconds = round(self._elapsed(), 2)
        self.say(f"backend healthy on port {port} ({boot_seconds:.1f} s)")
        return self._state(port, sandbox_url, boot_seconds)

    def _elapsed(self) -> float:
        return time.monotonic() - self._boot_started

    def _check_and_prepare(self) -> None:
        """Everything that can fail before a child starts: fixed ports, coverage's hook, and the
        scaled profile's services (its run database is created here)."""
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
            self.nginx = nginx_binary(self.environ)
            problem = self.sizes.problem() if self.sizes else None
            if problem:
                raise StackError(problem)
            self._prepare_scaled()

    def _start_sandbox_and_s3(self, backend_port: int) -> str:
        """Start the sandbox (and the run's S3 server unless one is given); the sandbox's URL."""
        servers = [self._sandbox_server(backend_port)]
        runs_s3 = self.options.profile == "scaled" and not self.s3_url
        if runs_s3:
            servers.append(s3_server(self.options.host, self._child_env()))
        # Both start side by side: neither needs the other, and each takes a second to import.
        sandbox_port, *s3_port = self._start_servers(*servers)
        sandbox_url = http_origin("http", self.options.host, sandbox_port)
        self.say(f"sandbox healthy at {sandbox_url} ({self._elapsed():.1f} s)")
        if runs_s3:
            self.s3_url = http_origin("http", self.options.host, s3_port[0])
            self.say(f"S3 server (moto) healthy at {self.s3_url} ({self._elapsed():.1f} s)")
        return sandbox_url

    def _sandbox_server(self, backend_port: int) -> Server:
        host = self.options.host
        return Server(
            "sandbox",
            lambda port: [sys.executable, "-m", "sandbox", "--host", host, "--port", str(port)],
            health_path="/_sandbox/health/",
            port=self.options.sandbox_port,
            env=self._sandbox_env(webhook_url=self._webhook_url(backend_port)),
            deadline_seconds=SANDBOX_HEALTH_DEADLINE_SECONDS,
        )

    def _start_backend(self, sandbox_url: str, backend_port: int) -> int:
        """Run the setup commands, then start the backend; its port (`backend_port` unless
        that was lost meanwhile, and then the sandbox is told where the webhooks go)."""
        backend_env = self._backend_env(sandbox_url)
        self._run_setup(backend_env)
        self.say(f"database ready ({self._elapsed():.1f} s)")
        if self.sizes is None:
            server = self._backend_server(
                "backend", lambda port: asgi_argv(self.options.host, port), backend_env,
                port=self.options.port, first_port=backend_port,
            )
            (port,) = self._start_servers(server)
        else:
            port = self._start_behind_proxy(backend_env, backend_port)
        if port != backend_port:
            webhook_settings_put(sandbox_url, {"url": self._webhook_url(port)})
        return port

    def _backend_server(
        self, name: str, argv_for_port: Callable[[int], list[str]], env: Mapping[str, str],
        *, port: int = 0, first_port: int = 0,
    ) -> Server:
        return Server(
            name, argv_for_port, health_path="/api/health/", port=port, env=env,
            deadline_seconds=BACKEND_HEALTH_DEADLINE_SECONDS, first_port=first_port,
        )

    def _start_behind_proxy(self, backend_env: Mapping[str, str], backend_port: int) -> int:
        """gunicorn (REST) and uvicorn (sockets) side by side on loopback, then nginx in front
        of both on the stack's port; that port."""
        sizes, nginx = self.sizes, self.nginx
        if sizes is None or nginx is None:
            raise StackError("the scaled profile's checks did not run before its backend")
        wsgi_port, asgi_port = self._start_servers(
            self._backend_server(
                "backend", lambda port: wsgi_argv(INTERNAL_HOST, port, sizes), backend_env
            ),
            self._backend_server(
                "sockets", lambda port: asgi_argv(INTERNAL_HOST, port), backend_env
            ),
        )
        self.say(f"REST and socket servers healthy ({self._elapsed():.1f} s)")
        plan = ProxyPlan(
            data_dir=self.data_dir / "proxy",
            host=self.options.host,
            wsgi_port=wsgi_port,
            asgi_port=asgi_port,
            upload_max_bytes=self._upload_max_bytes(),
            media_endpoint=self.s3_url,
        )
        proxy = proxy_server(
            nginx, plan, port=self.options.port, first_port=backend_port,
            env=self._child_env(),
        )
        (port,) = self._start_servers(proxy)
        return port

    def _upload_max_bytes(self) -> int:
        """The backend's photo limit, for nginx's coarser guard (the backend's own default
        when LC_UPLOAD_MAX_BYTES is unset or not a number, which the backend refuses)."""
        raw = self.environ.get("LC_UPLOAD_MAX_BYTES", "").strip()
        return int(raw) if raw.isdigit() else DEFAULT_UPLOAD_MAX_BYTES

    def _state(self, port: int, sandbox_url: str, boot_seconds: float) -> dict[str, Any]:
        """The state file's content (ARCHITECTURE.md, "The process contract")."""
        options = self.options
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
            "workers": self.sizes.wsgi_workers if self.sizes else options.workers,
            "threads": self.sizes.threads if self.sizes else None,
            "servers": describe(self.sizes),
            "db_connections": self.sizes.db_connections if self.sizes else None,
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
        if self.sizes is not None:
            env.update(
                LC_DATABASE_URL=self.database_url or "",
                LC_REDIS_URL=self.redis_url or "",
                LC_REDIS_PREFIX=self.redis_prefix or "",
                # each process's share of LC_DB_CONNECTIONS
                LC_DB_POOL_SIZE=str(self.sizes.pool_size),
                # nginx in front sets X-Forwarded-For and X-Forwarded-Proto
                LC_TRUSTED_PROXIES="1",
                # nginx fetches a checked photo from the storage itself
                LC_MEDIA_ACCEL_PREFIX=MEDIA_LOCATION,
            )
        if self.options.profile == "scaled" and not self.environ.get("LC_S3_ENDPOINT_URL"):
            env.update(s3_variables(self.s3_url or "", self.s3_bucket or DEFAULT_S3_BUCKET))
        if self.options.coverage_data is not None:
            env.update(coverage_variables(self.options.coverage_data))
        return env

    def _spawn(
        self, name: str, argv: list[str], env: Mapping[str, str], log: Path, header: str = "",
        output_filter: Callable[[bytes], bytes] | None = None,
    ) -> Child:
        append = log in self._opened_logs
        self._opened_logs.add(log)
        child = spawn(name, argv, env, log, append=append, header=header,
                      output_filter=output_filter)
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
        child = self._spawn(server.name, server.argv_for_port(port), server.env, log,
                            output_filter=server.output_filter)
        return child, port

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
