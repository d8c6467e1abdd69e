"""nginx in front of the scaled profile's backend: Debian's nginx, found on this machine, run by
the launcher as a child in the foreground with a configuration written into the run's data
folder (its pid file and temporary files there too, its errors on its own log).

It owns the stack's public port and sends `/ws/` to the socket server (uvicorn, ASGI) and
everything else to the REST server (gunicorn, WSGI); a stored photo whose signed URL the
backend has checked is fetched by nginx itself from the S3 storage (`X-Accel-Redirect` to
MEDIA_LOCATION), not through a Python worker. Every error nginx answers itself is the
contract's JSON envelope, never an HTML page.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from stack.errors import StackError
from stack.processes import Server

NGINX_PATHS = ("/usr/sbin/nginx",)
PROXY_HEALTH_DEADLINE_SECONDS = 30
# The internal location a checked media URL is redirected to (reference.config.settings'
# LC_MEDIA_ACCEL_PREFIX), which nginx alone may enter.
MEDIA_LOCATION = "/_stored_media/"
UPLOAD_PATHS = ("/api/mobile/upload-image/", "/api/chat/upload/")
# The backend refuses a body over its own limits exactly (LC_UPLOAD_MAX_BYTES plus the
# multipart framing on the upload paths, DATA_UPLOAD_MAX_MEMORY_SIZE elsewhere) from its
# Content-Length, which nginx always sends once it has the body. nginx's own guard is coarser:
# the upload limit and this much more, so that a 50 MB body is refused while it streams in,
# before any of it reaches Python.
BODY_GUARD_SLACK_BYTES = 1024 * 1024
DEFAULT_UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # the backend's own default (LC_UPLOAD_MAX_BYTES)
# A REST call waits on the gateway at most LC_GATEWAY_TIMEOUT_SECONDS (120 s at most); a
# socket stays open for as long as its token lives.
REST_READ_TIMEOUT_SECONDS = 150
SOCKET_READ_TIMEOUT_SECONDS = 3600
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# where nginx's own error replies live, internal locations only nginx enters
ERROR_PAGES = "/_stack_errors/"

# The errors nginx can produce itself, each as the contract's envelope (`{"message", "code"}`).
ERRORS = {
    400: ("The request could not be read.", "bad_request"),
    404: ("There is nothing at this address.", "not_found"),
    405: ("This method is not allowed here.", "method_not_allowed"),
    408: ("The request took too long to arrive.", "request_timeout"),
    411: ("The request needs a Content-Length.", "length_required"),
    413: ("The request body is too large.", "request_too_large"),
    414: ("The request's address is too long.", "uri_too_long"),
    500: ("The server failed. Try again in a moment.", "server_error"),
    501: ("The request uses a transfer the server does not implement.", "not_implemented"),
    502: ("The backend is not answering. Try again in a moment.", "bad_gateway"),
    503: ("The backend is busy. Try again in a moment.", "service_unavailable"),
    504: ("The backend did not answer in time. Try again in a moment.", "gateway_timeout"),
}
# nginx's own codes for a header too large and for a plain-HTTP request: 400 on the wire.
ERROR_ALIASES = {494: 400, 497: 400}
# The credentials that travel in URLs (a socket's `?token=`, a photo's signature `?s=`): nginx
# names the request line in every error it logs, so the launcher takes them out of each line
# on its way to proxy.log, as the backend's servers do in theirs.
_CREDENTIAL = re.compile(rb"([?&](?:token|s)=)[^&\s\"']*")
REDACTED = b"[redacted]"


def redact_credentials(line: bytes) -> bytes:
    """`line` with the value of every credential query parameter replaced."""
    return _CREDENTIAL.sub(rb"\1" + REDACTED, line)


def nginx_binary(environ: dict[str, str] | os._Environ[str]) -> str:
    """Debian's nginx: /usr/sbin/nginx, or the first on PATH; a plain StackError if there is
    none."""
    for candidate in NGINX_PATHS:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("nginx", path=environ.get("PATH"))
    if found:
        return found
    raise StackError(
        "nginx is not installed, and the scaled profile runs it in front of the backend: "
        "install it with `apt-get install nginx` (Debian's package; run `apt-get update` "
        "first on a new machine), or use the embedded profile."
    )


def nginx_version(binary: str) -> str:
    """`nginx/1.22.1`, as nginx names itself (on stderr)."""
    try:
        shown = subprocess.run(
            [binary, "-v"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "nginx"
    return (shown.stderr or shown.stdout).strip().rsplit(" ", 1)[-1] or "nginx"


@dataclass(frozen=True)
class ProxyPlan:
    """What nginx needs to know of the run: where it keeps its files, the two servers behind
    it, and the media storage it fetches checked photos from."""

    data_dir: Path
    host: str
    wsgi_port: int
    asgi_port: int
    upload_max_bytes: int = DEFAULT_UPLOAD_MAX_BYTES
    # the S3 storage's endpoint (None: media are served by the backend)
    media_endpoint: str | None = None
    workers: int = 1


def _listen(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _user_line() -> str:
    """Run as root, nginx's workers would switch to `nobody`, who cannot enter a run folder
    under a private temporary directory: they stay the launcher's user and group."""
    if os.geteuid() != 0:
        return ""  # nginx ignores `user` then, with a warning
    return (
        f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"
    )


def _envelope(message: str, code: str) -> str:
    """The error envelope as an nginx string (the messages hold no `$`, which nginx expands)."""
    body = json.dumps({"message": message, "code": code}, separators=(",", ":"))
    return json.dumps(body)


def _error_body(status: int, message: str | None = None) -> str:
    default_message, code = ERRORS[status]
    return _envelope(message or default_message, code)


def _error_pages(prefix: str = "") -> str:
    """`error_page` lines for every error of ERRORS (a location that sets one inherits none).
    They name URIs, not named locations: an error met while reading the request line (414,
    400) has no URI of its own to go on with."""
    lines = [f"error_page {status} {ERROR_PAGES}{prefix}{status};" for status in ERRORS]
    lines += [f"error_page {alias} ={status} {ERROR_PAGES}{prefix}{status};"
              for alias, status in ERROR_ALIASES.items()]
    return "\n".join(lines)


def _error_locations(prefix: str = "", overrides: dict[int, str] | None = None) -> str:
    blocks = []
    for status in ERRORS:
        body = _error_body(status, (overrides or {}).get(status))
        blocks.append(
            f"location = {ERROR_PAGES}{prefix}{status} {{\n"
            "    internal;\n"
            "    default_type application/json;\n"
            "    add_header X-Content-Type-Options nosniff always;\n"
            f"    return {status} {body};\n"
            "}"
        )
    return "\n".join(blocks)


def _forwarding(*extra: str) -> str:
    """The headers every proxied request carries (a location that sets one inherits none):
    the client's Host (so absolute URLs name this port), its address (overwriting whatever it
    claimed: the backend trusts one proxy) and the scheme it used."""
    lines = [
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        *extra,
    ]
    return "\n".join(lines)


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())


def _media_location(endpoint: str) -> str:
    """The internal location of checked media: the backend's `X-Accel-Redirect` names the
    bucket's path and a presigned query, and nginx fetches it from the storage."""
    parts = urlsplit(endpoint)
    origin = f"{parts.scheme}://{parts.netloc}"
    return f"""location {MEDIA_LOCATION} {{
    internal;
    proxy_pass {origin}/;
    proxy_set_header Host {parts.netloc};
    proxy_set_header Authorization "";
    proxy_set_header Cookie "";
    proxy_method GET;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_intercept_errors on;
    error_page 403 404 @media_missing;
    proxy_hide_header Set-Cookie;
    proxy_hide_header x-amz-request-id;
    proxy_hide_header x-amz-id-2;
    proxy_hide_header x-amzn-requestid;
    proxy_hide_header x-amz-version-id;
    proxy_hide_header x-amz-server-side-encryption;
    proxy_hide_header x-amz-storage-class;
    proxy_hide_header x-amz-checksum-crc32;
    proxy_hide_header x-amz-checksum-crc32c;
    proxy_hide_header x-amz-checksum-sha256;
    proxy_hide_header x-amz-checksum-sha1;
    proxy_hide_header x-amz-checksum-crc64nvme;
    proxy_hide_header x-amz-checksum-type;
    proxy_hide_header Server;
    add_header X-Content-Type-Options nosniff always;
    add_header Content-Security-Policy "default-src 'none'; sandbox" always;
}}
location @media_missing {{
    default_type application/json;
    add_header X-Content-Type-Options nosniff always;
    return 404 {_envelope("No such file.", "not_found")};
}}"""


def _upload_locations(upload_max_bytes: int) -> str:
    """The two upload paths: the photo's own 413 message, the rest as every other path, and
    the body held in memory while it arrives (not in a temporary file, as a body over the
    default buffer is), then passed on whole."""
    message = (
        f"The photo is too large: the most we take is {upload_max_bytes / 1024 / 1024:g} MB."
    )
    blocks = []
    for index, path in enumerate(UPLOAD_PATHS):
        prefix = f"upload{index}-"
        blocks.append(f"""location = {path} {{
    client_body_buffer_size {upload_max_bytes + BODY_GUARD_SLACK_BYTES};
    proxy_pass http://wsgi;
{_indent(_forwarding('proxy_set_header Connection "";'), 4)}
{_indent(_error_pages(prefix), 4)}
}}
{_error_locations(prefix, {413: message})}""")
    return "\n".join(blocks)


def _server_block(plan: ProxyPlan, port: int) -> str:
    """The one server: the port, the routes to the two servers, the errors as JSON."""
    media = _media_location(plan.media_endpoint) if plan.media_endpoint else ""
    return f"""listen {_listen(plan.host, port)};
proxy_http_version 1.1;
proxy_connect_timeout 5s;
proxy_send_timeout {REST_READ_TIMEOUT_SECONDS}s;
proxy_read_timeout {REST_READ_TIMEOUT_SECONDS}s;
{_error_pages()}

location /ws/ {{
    proxy_pass http://asgi;
{_indent(_forwarding(
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
    ), 4)}
    proxy_buffering off;
    proxy_read_timeout {SOCKET_READ_TIMEOUT_SECONDS}s;
    proxy_send_timeout {SOCKET_READ_TIMEOUT_SECONDS}s;
}}
location / {{
    proxy_pass http://wsgi;
{_indent(_forwarding('proxy_set_header Connection "";'), 4)}
}}
{_upload_locations(plan.upload_max_bytes)}
{media}
{_error_locations()}"""


def nginx_config(plan: ProxyPlan, port: int) -> str:
    """The whole configuration of one run's nginx, listening on `port`."""
    data = plan.data_dir
    guard = plan.upload_max_bytes + BODY_GUARD_SLACK_BYTES
    temp = "\n".join(f"{name}_temp_path {data / ('nginx-' + name)};" for name in TEMP_PATHS)
    return f"""# Written by the stack launcher for one run (stack/proxy.py), removed with the run.
{_user_line()}worker_processes {plan.workers};
pid {data / 'nginx.pid'};
error_log stderr error;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    server_tokens off;
    # no type from a path's extension: nginx's own replies are all JSON (default_type below)
    types {{
    }}
    default_type application/octet-stream;
{_indent(temp, 4)}
    client_max_body_size {guard};
    client_body_buffer_size 128k;
    # a refused body is read and dropped for up to this long, so that the client reads the 413
    lingering_time 60s;
    keepalive_timeout 65s;
    keepalive_requests 10000;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" close;
    }}
    upstream wsgi {{
        server 127.0.0.1:{plan.wsgi_port};
        keepalive 64;
    }}
    upstream asgi {{
        server 127.0.0.1:{plan.asgi_port};
    }}
    server {{
{_indent(_server_block(plan, port), 8)}
    }}
}}
"""


def proxy_server(binary: str, plan: ProxyPlan, *, port: int, first_port: int,
                 env: dict[str, str]) -> Server:
    """nginx as a child in the foreground: a configuration for the port it is given, written
    into the run's data folder, checked by `/api/health/` through it."""
    data = plan.data_dir

    def argv_for_port(chosen: int) -> list[str]:
        data.mkdir(parents=True, exist_ok=True)
        config = data / "nginx.conf"
        config.write_text(nginx_config(plan, chosen))
        return [binary, "-p", str(data), "-e", "stderr", "-c", str(config),
                "-g", "daemon off;"]

    return Server(
        "proxy",
        argv_for_port,
        health_path="/api/health/",
        port=port,
        env=env,
        deadline_seconds=PROXY_HEALTH_DEADLINE_SECONDS,
        first_port=first_port,
        output_filter=redact_credentials,
    )
