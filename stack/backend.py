"""The backend's servers and their sizes.

- embedded: one uvicorn process serves everything (the ASGI application, REST and sockets);
- scaled: gunicorn serves the REST calls (the WSGI application, `gthread` workers with
  threads) and one uvicorn process the sockets, both on loopback ports behind nginx
  (`stack.proxy`), which owns the stack's one public port.

The sizes come from the machine's cores unless `--workers`, LC_WSGI_WORKERS or
LC_WSGI_THREADS say otherwise, and LC_DB_CONNECTIONS bounds the PostgreSQL connections of the
whole backend: each process that uses the database gets an equal share as its pool
(LC_DB_POOL_SIZE), so the backend never holds more than the bound however busy it is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

ASGI_APPLICATION = "reference.config.asgi:application"
WSGI_APPLICATION = "reference.config.wsgi:application"
GUNICORN_CONFIG = "python:reference.config.gunicorn_conf"
# Well under PostgreSQL's default max_connections (100), which other programs share.
DEFAULT_DB_CONNECTIONS = 40
DEFAULT_WSGI_THREADS = 4
# The sockets' server: one process (asyncio; the channel layer joins it to the REST workers).
ASGI_PROCESSES = 1
# uvicorn's hard cap on a WebSocket message, 16 x the contract's 64 KB. The contract's limit
# is the backend's own check (reference.common.websocket, 1009), which reads the frame whole and
# closes with the closing handshake. A frame refused by uvicorn's reader at the contract's size
# closes the TCP connection with the rest of the frame unread: the kernel answers that with a
# reset, and behind nginx the reset overtook the close frame in 10 of 50 tries (1006, not 1009).
WS_MAX_SIZE = 16 * 65536
GRACEFUL_SHUTDOWN_SECONDS = 3


def machine_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_wsgi_workers(cores: int) -> int:
    """One worker a core; its threads (DEFAULT_WSGI_THREADS) take the requests that wait on the
    database or the gateway. gunicorn's advice for sync workers (two a core and one more) puts
    20 request threads on 2 cores and loses to their contention (wrk on `me`, 16 connections,
    one run on 2 cores: 875 requests a second with 2 x 4, 771 with 5 x 4)."""
    return cores


@dataclass(frozen=True)
class Sizes:
    """How many REST workers, threads in each, and database connections the backend has."""

    wsgi_workers: int
    wsgi_threads: int
    db_connections: int = DEFAULT_DB_CONNECTIONS
    asgi_processes: int = ASGI_PROCESSES

    @property
    def database_processes(self) -> int:
        """The processes that hold database connections (the REST workers, the sockets')."""
        return self.wsgi_workers + self.asgi_processes

    @property
    def pool_size(self) -> int:
        """Each process's share of the bound."""
        return self.db_connections // self.database_processes

    @property
    def threads(self) -> int:
        """Threads a REST worker runs: no more than the connections it has, so that no
        request waits on the pool while its worker could have taken another."""
        return min(self.wsgi_threads, self.pool_size)

    def problem(self) -> str | None:
        """Why these sizes cannot run, or None."""
        if self.pool_size < 1:
            return (
                f"LC_DB_CONNECTIONS={self.db_connections} is fewer than the processes that "
                f"use the database ({self.wsgi_workers} REST workers and "
                f"{self.asgi_processes} socket server): raise it or lower --workers "
                f"(LC_WSGI_WORKERS)"
            )
        return None


def positive_setting(environ: Mapping[str, str], name: str) -> int | None:
    """A positive integer from `environ[name]` (None when unset); ValueError otherwise."""
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


def sizes_from(environ: Mapping[str, str], workers: int | None = None) -> Sizes:
    """The scaled profile's sizes: `workers` (the command line) or LC_WSGI_WORKERS or the
    cores', LC_WSGI_THREADS, LC_DB_CONNECTIONS. ValueError for a bad variable."""
    chosen = workers or positive_setting(environ, "LC_WSGI_WORKERS")
    return Sizes(
        wsgi_workers=chosen or default_wsgi_workers(machine_cores()),
        wsgi_threads=positive_setting(environ, "LC_WSGI_THREADS") or DEFAULT_WSGI_THREADS,
        db_connections=positive_setting(environ, "LC_DB_CONNECTIONS")
        or DEFAULT_DB_CONNECTIONS,
    )


def asgi_argv(host: str, port: int) -> list[str]:
    """uvicorn with the ASGI application (everything in embedded, the sockets in scaled)."""
    return [
        sys.executable, "-m", "uvicorn", ASGI_APPLICATION,
        "--host", host, "--port", str(port),
        # Django's ASGI handler does not speak the lifespan protocol.
        "--lifespan", "off",
        "--timeout-graceful-shutdown", str(GRACEFUL_SHUTDOWN_SECONDS),
        "--ws-max-size", str(WS_MAX_SIZE),
    ]


def wsgi_argv(host: str, port: int, sizes: Sizes) -> list[str]:
    """gunicorn with the WSGI application: the REST calls of the scaled profile."""
    return [
        sys.executable, "-m", "gunicorn", WSGI_APPLICATION,
        "--config", GUNICORN_CONFIG,
        "--bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--workers", str(sizes.wsgi_workers),
        "--threads", str(sizes.threads),
    ]


def describe(sizes: Sizes | None) -> dict[str, str]:
    """What runs, one line per server, for the state file and the banner."""
    if sizes is None:
        return {"backend": "uvicorn, one process: REST and sockets (ASGI)"}
    return {
        "proxy": "nginx: the public port; /ws/ to the sockets, the rest to the REST workers",
        "backend": f"gunicorn: {sizes.wsgi_workers} workers x {sizes.threads} threads, REST "
        "(WSGI)",
        "sockets": f"uvicorn, {sizes.asgi_processes} process: WebSockets (ASGI)",
    }
