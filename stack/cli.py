"""The launcher's command line: `python -m stack serve|boot ...` (`stack/__main__.py`).

`serve` runs the stack in the foreground for people (`make serve`) and prints its URLs;
`boot --state-file F --watch-pid P` is how the harness starts it (`fixtures/stack.py`): free
loopback ports, F written once every part is healthy, everything stopped when P is gone or on
SIGTERM. ARCHITECTURE.md ("The process contract") is the spec.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stack.backend import sizes_from
from stack.errors import StackError, StopRequested
from stack.launcher import DEFAULT_LOG_DIR, Stack, StackOptions
from stack.processes import become_subreaper, pid_alive
from stack.services import redact

PROFILES = ("embedded", "scaled")
# Short enough that the OTP expiry case runs in every harness run, long enough that a code
# survives a loaded machine between the SMS and the verify call.
BOOT_OTP_TTL_SECONDS = 20
DESCRIPTION = (
    "Run the LaundryConnect reference stack: the third-party sandbox and the reference "
    "backend, as child processes. Any LC_* variable you export reaches the backend "
    "(e.g. LC_THROTTLE_LOGIN); LC_STAFF_EMAIL / LC_STAFF_PASSWORD set the staff "
    "account; LC_PG_ADMIN_URL, LC_DATABASE_URL, LC_REDIS_URL configure the scaled "
    "profile, which runs nginx (Debian's package) in front of gunicorn (REST: "
    "LC_WSGI_WORKERS, LC_WSGI_THREADS) and uvicorn (sockets), holds at most "
    "LC_DB_CONNECTIONS PostgreSQL connections (default 40), and runs moto's S3 server for "
    "media unless LC_S3_ENDPOINT_URL (with LC_S3_BUCKET, LC_S3_ACCESS_KEY_ID, "
    "LC_S3_SECRET_ACCESS_KEY, LC_S3_REGION) names another."
)


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


# --- options -----------------------------------------------------------------------------------


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


def _common_options() -> argparse.ArgumentParser:
    """The options `serve` and `boot` share: profile, host, workers, logs, OTP, data, coverage."""
    common = argparse.ArgumentParser(add_help=False)
    profile_default = os.environ.get("LC_PROFILE") or "embedded"
    common.add_argument(
        "--profile",
        choices=PROFILES,
        default=profile_default if profile_default in PROFILES else None,
        help="embedded: SQLite, in-memory layers, local media, one process; scaled: "
        "nginx in front of gunicorn (REST) and uvicorn (sockets), PostgreSQL, Redis, S3 media "
        "(moto) (default: $LC_PROFILE or embedded)",
    )
    common.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    common.add_argument(
        "--workers",
        type=_positive,
        help="gunicorn workers of the REST calls, scaled profile only (default: "
        "$LC_WSGI_WORKERS, else one per core)",
    )
    common.add_argument(
        "--log-dir",
        type=Path,
        default=DEFAULT_LOG_DIR,
        help="where the children's logs (sandbox.log, s3.log, setup.log, backend.log; scaled: "
        "sockets.log, proxy.log) and the run's data go (default reports/out/stack)",
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
        help="run the backend's processes (setup commands, uvicorn, gunicorn and every "
        "worker) under coverage.py with the [tool.coverage] settings of pyproject.toml; each "
        "saves its data file into DIR when it stops (combine them with `coverage combine`)",
    )
    return common


def _add_serve(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
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
    return serve


def _add_boot(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
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
    return boot


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stack", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common_options()
    for command in (_add_serve(commands, common), _add_boot(commands, common)):
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
    sizes = None
    if args.profile == "scaled":
        try:
            sizes = sizes_from(os.environ, args.workers)
        except ValueError as error:
            parser.error(str(error))
        if sizes.problem():
            parser.error(sizes.problem())
    options = StackOptions(
        profile=args.profile,
        host=args.host,
        port=args.port,
        sandbox_port=args.sandbox_port,
        workers=sizes.wsgi_workers if sizes else 1,
        sizes=sizes,
        log_dir=args.log_dir,
        otp_ttl_seconds=otp_ttl,
        keep_data=args.keep_data,
        coverage_data=args.coverage_data.resolve() if args.coverage_data else None,
    )
    return args, options


# --- commands ----------------------------------------------------------------------------------


def _banner(state: Mapping[str, Any]) -> str:
    base, ws, sandbox = state["base_url"], state["ws_url"], state["sandbox_url"]
    lines = [
        f"LaundryConnect reference stack is up: profile {state['profile']}, "
        f"booted in {state['boot_seconds']:.1f} s",
        *(f"  {name:<13} {what}" for name, what in state["servers"].items()),
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
        lines.append(
            f"  Database      {state['database']}, at most {state['db_connections']} "
            f"connections (Redis prefix {state['redis_prefix']})"
        )
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
