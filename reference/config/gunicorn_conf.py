"""gunicorn's settings for the REST server of the scaled profile:
`gunicorn -c python:reference.config.gunicorn_conf reference.config.wsgi:application`.

The stack launcher gives the address, the workers and their threads on the command line
(`stack/backend.py`); what stays the same for every run is here: threaded workers (`gthread`),
the timeouts, the access log without the credentials that travel in URLs, and, when the
backend is measured (`COVERAGE_PROCESS_START`), each worker saving its data as it exits.
It is read by gunicorn's supervisor before Django is set up: nothing here imports Django.
"""

import gc
from typing import Any

from gunicorn.glogging import Logger

from reference.common.log_redaction import redact

worker_class = "gthread"
# A worker whose main loop is silent this long is killed and replaced; a request itself is
# bounded by nginx's read timeout (stack/proxy.py) and the backend's own gateway timeout.
timeout = 60
graceful_timeout = 3
# Longer than nginx keeps an idle connection to the backend (60 s), so that nginx closes it
# first and never sends a request down a connection gunicorn is closing.
keepalive = 75
# nginx, on this machine, overwrites X-Forwarded-For and X-Forwarded-Proto.
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


class RedactingLogger(Logger):
    """gunicorn's logger, with `?token=` and `?s=` replaced in every access log field, as the
    ASGI server's log is (`reference.common.log_redaction`)."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        query = atoms.get("q")
        redacted = {
            key: redact(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
        if isinstance(query, str) and query:
            redacted["q"] = redact(f"?{query}")[1:]
        return redacted


logger_class = RedactingLogger


def post_worker_init(worker: Any) -> None:
    """The application loaded, its objects (about 120,000) are kept out of the garbage
    collector's full passes, which otherwise walk them all and stall every thread of the worker
    (51 ms each, about once in 3,000 reads here; 0 with them frozen)."""
    gc.freeze()


def worker_exit(server: Any, worker: Any) -> None:
    """A measured worker saves its coverage data on the way out (SIGTERM included: gunicorn's
    own handler ends the worker's loop, and this runs before the process exits)."""
    try:
        import coverage
    except ImportError:
        return
    current = coverage.Coverage.current()
    if current is not None:
        current.stop()
        current.save()
