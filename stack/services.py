"""The outside services of the scaled profile: PostgreSQL (a database per run, dropped after
it, and those of killed launchers swept), Redis (a key prefix per run, forgotten after it) and
moto's standalone S3 server as the media storage, unless LC_S3_ENDPOINT_URL names one.

psycopg and redis are imported where they are used: the embedded profile needs neither.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from stack.errors import StackError
from stack.processes import Server, pid_alive

DEFAULT_PG_ADMIN_URL = "postgresql://127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# The tag run databases have carried since the launcher was `reference.stack`; kept, so that a
# boot still sweeps the databases an earlier launcher left behind.
DATABASE_OWNER_TAG = "reference.stack"
# moto's S3 accepts any keys; these test values only have to be the same on both sides.
DEFAULT_S3_BUCKET = "laundryconnect-media"
DEFAULT_S3_REGION = "ap-south-1"
S3_TEST_ACCESS_KEY_ID = "lc-moto-access-key"
S3_TEST_SECRET_ACCESS_KEY = "lc-moto-secret-key"  # noqa: S105 - a test value, for moto only
S3_VARIABLES = (
    "LC_S3_ENDPOINT_URL", "LC_S3_BUCKET", "LC_S3_ACCESS_KEY_ID", "LC_S3_SECRET_ACCESS_KEY",
    "LC_S3_REGION",
)
S3_HEALTH_DEADLINE_SECONDS = 30


def redact(url: str) -> str:
    """`url` without its password, for messages."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


# --- PostgreSQL --------------------------------------------------------------------------------


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


# --- Redis -------------------------------------------------------------------------------------


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


# --- S3 (moto) ---------------------------------------------------------------------------------


def s3_server(host: str, env: Mapping[str, str]) -> Server:
    """moto's S3 server for one run, on a free port, so that the default bucket never clashes."""
    # moto's own server, not the `moto_server` script: the script's shebang names the
    # interpreter it was installed with, `sys.executable` is the one running this stack.
    return Server(
        "s3",
        lambda port: [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
        health_path="/moto-api/",
        port=0,
        env=env,
        deadline_seconds=S3_HEALTH_DEADLINE_SECONDS,
    )


def s3_variables(endpoint_url: str, bucket: str) -> dict[str, str]:
    """What the backend is given to keep its media in the run's own S3 server."""
    return {
        "LC_S3_ENDPOINT_URL": endpoint_url,
        "LC_S3_BUCKET": bucket,
        "LC_S3_ACCESS_KEY_ID": S3_TEST_ACCESS_KEY_ID,
        "LC_S3_SECRET_ACCESS_KEY": S3_TEST_SECRET_ACCESS_KEY,
        "LC_S3_REGION": DEFAULT_S3_REGION,
    }
