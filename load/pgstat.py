"""PostgreSQL's side of a benchmark of the scaled stack: the server the launcher uses, the
connection bound the stack is configured with, and the peak of the client connections a run
database holds while a `with` block runs. Imports no Locust and nothing of the launcher."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg

SAMPLE_INTERVAL_SECONDS = 0.1
# Where the launcher makes run databases unless LC_PG_ADMIN_URL says otherwise
# (stack/services.py); load/ does not import the launcher, so its default is written again here.
DEFAULT_PG_ADMIN_URL = "postgresql://127.0.0.1:5432/test"


def pg_server_url(environ: Mapping[str, str]) -> str:
    """The PostgreSQL server of the scaled stack, found as the launcher finds it: the given
    database (LC_DATABASE_URL), else the server it makes run databases on (LC_PG_ADMIN_URL),
    else its default."""
    return (environ.get("LC_DATABASE_URL") or environ.get("LC_PG_ADMIN_URL")
            or DEFAULT_PG_ADMIN_URL)


def connection_bound(state: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[int | None,
                                                                                   str]:
    """The most PostgreSQL connections the stack is configured to hold, and where that was
    read: the stack's state (`db_connections`), else LC_DB_CONNECTIONS; (None, why) when
    neither gives a whole number."""
    for value, source in ((state.get("db_connections"), "the stack's state (db_connections)"),
                          (environ.get("LC_DB_CONNECTIONS"), "LC_DB_CONNECTIONS")):
        if value is None or value == "":
            continue
        try:
            return int(value), source
        except (TypeError, ValueError):
            return None, f"{source} is not a whole number: {value!r}"
    return None, "neither the stack's state (db_connections) nor LC_DB_CONNECTIONS gives it"


@dataclass
class StackFigures:
    """What a benchmark of the scaled or embedded stack records of the stack it booted, read
    from the launcher's state: boot time, workers, the run database and its connection bound
    (and the error that kept a profile from being measured)."""

    profile: str
    boot_seconds: float | None = None
    workers: int | None = None
    database: str | None = None
    db_connection_bound: int | None = None
    db_connection_bound_from: str = ""
    error: str = ""

    def read_state(self, state: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.boot_seconds = state.get("boot_seconds")
        self.workers = state.get("workers")
        self.database = state.get("database")
        if self.database:
            self.db_connection_bound, self.db_connection_bound_from = connection_bound(
                state, environ)


class ConnectionSampler:
    """The peak of the client connections PostgreSQL holds for one database, counted in
    `pg_stat_activity` every 100 ms in a thread while a `with` block runs (its own connection
    left out). A server that cannot be asked leaves `peak` None and says why in `error`: the
    benchmark's other figures stand without it."""

    QUERY = ("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
             "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")

    def __init__(self, server_url: str, database: str) -> None:
        self.server_url = server_url
        self.database = database
        self.peak: int | None = None
        self.samples = 0
        self.error = ""
        self._connection: psycopg.Connection | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-sampler", daemon=True)

    def __enter__(self) -> ConnectionSampler:
        try:
            self._connection = psycopg.connect(self.server_url, autocommit=True,
                                               connect_timeout=5)
        except psycopg.Error as error:
            self.error = f"cannot connect to PostgreSQL: {error}"
            return self
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._connection is not None:
            self._connection.close()

    def _run(self) -> None:
        assert self._connection is not None
        while True:
            try:
                (count,) = self._connection.execute(self.QUERY, (self.database,)).fetchone()
            except psycopg.Error as error:
                self.error = f"pg_stat_activity could not be read: {error}"
                return
            self.samples += 1
            self.peak = max(self.peak or 0, count)
            if self._stop.wait(SAMPLE_INTERVAL_SECONDS):
                return
