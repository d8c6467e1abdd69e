"""The stack launcher (`python -m stack`): the process contract of ARCHITECTURE.md.

The boot tests start real stacks (sandbox + backend) in child processes and prove that the
launcher leaves nothing behind: no process, no listening port, no run database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import httpx
import pytest

from stack import backend, cli, coverage_hook, proxy, services
from stack.backend import Sizes
from stack.cli import parse_options, write_json_atomic
from stack.errors import StackError
from stack.launcher import Stack, StackOptions
from stack.processes import ensure_port_free, free_port, pid_alive, proc_stat, spawn

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOT_DEADLINE_SECONDS = 180
EXIT_DEADLINE_SECONDS = 60
SLEEP = shutil.which("sleep") or "/bin/sleep"
STATE_KEYS = {
    "base_url", "ws_url", "sandbox_url", "staff_email", "staff_password", "jwt_signing_key",
    "otp_ttl_seconds", "profile", "log_dir", "pid", "s3_url",
}


# --- options and helpers, in process -----------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch):
    """As the caller's environment, without the LC_* variables a developer may have exported."""
    for name in list(os.environ):
        if name.startswith("LC_"):
            monkeypatch.delenv(name)


def test_boot_defaults_to_free_ports_and_a_short_otp(clean_env):
    _, options = parse_options(["boot", "--state-file", "state.json"])

    assert (options.profile, options.port, options.sandbox_port) == ("embedded", 0, 0)
    assert options.otp_ttl_seconds == cli.BOOT_OTP_TTL_SECONDS
    assert options.workers == 1


def test_serve_keeps_the_backend_otp_default_and_fixed_ports(clean_env):
    _, options = parse_options(["serve"])

    assert options.otp_ttl_seconds is None
    assert (options.port, options.sandbox_port) == (8000, 8900)


def test_scaled_sizes_come_from_the_cores_unless_the_variables_say_otherwise(
    clean_env, monkeypatch
):
    monkeypatch.setattr(backend, "machine_cores", lambda: 2)

    _, derived = parse_options(["serve", "--profile", "scaled"])
    monkeypatch.setenv("LC_WSGI_WORKERS", "3")
    monkeypatch.setenv("LC_WSGI_THREADS", "2")
    monkeypatch.setenv("LC_DB_CONNECTIONS", "20")
    _, exported = parse_options(["serve", "--profile", "scaled"])
    _, given = parse_options(["serve", "--profile", "scaled", "--workers", "4"])

    assert (derived.workers, derived.sizes.threads) == (
        backend.machine_cores(), backend.DEFAULT_WSGI_THREADS)
    assert derived.sizes.db_connections == backend.DEFAULT_DB_CONNECTIONS
    assert (exported.workers, exported.sizes.threads, exported.sizes.db_connections) == (
        3, 2, 20)
    assert given.workers == 4


def test_the_database_bound_is_shared_between_the_processes_that_use_it():
    sizes = Sizes(wsgi_workers=5, wsgi_threads=8, db_connections=40)

    # five REST workers and the socket server, each with an equal share
    assert sizes.database_processes == 6
    assert sizes.pool_size == 6
    assert sizes.pool_size * sizes.database_processes <= 40
    # a worker runs no more threads than it has connections
    assert sizes.threads == 6
    assert Sizes(wsgi_workers=5, wsgi_threads=4, db_connections=40).threads == 4
    assert Sizes(wsgi_workers=5, wsgi_threads=4, db_connections=5).problem()


def test_environment_chooses_profile_and_otp(clean_env, monkeypatch):
    monkeypatch.setenv("LC_PROFILE", "scaled")
    monkeypatch.setenv("LC_OTP_TTL_SECONDS", "30")

    _, options = parse_options(["boot", "--state-file", "s.json"])

    assert options.profile == "scaled"
    assert options.otp_ttl_seconds == 30


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["serve", "--workers", "2"], {}, "--workers applies to the scaled profile only"),
        (["serve", "--profile", "scaled"], {"LC_WSGI_THREADS": "many"},
         "LC_WSGI_THREADS must be a positive integer"),
        (["serve", "--profile", "scaled", "--workers", "9"], {"LC_DB_CONNECTIONS": "5"},
         "LC_DB_CONNECTIONS=5 is fewer than the processes that use the database"),
        (["serve", "--port", "9000", "--sandbox-port", "9000"], {}, "must differ"),
        (["serve", "--port", "70000"], {}, "from 0 to 65535"),
        (["serve", "--otp-ttl", "0"], {}, "positive integer"),
        (["serve", "--profile", "huge"], {}, "invalid choice"),
        (["serve"], {"LC_PROFILE": "huge"}, "LC_PROFILE must be one of embedded, scaled"),
        (["boot"], {}, "--state-file"),
        (["boot", "--state-file", "s", "--watch-pid", "x"], {}, "positive integer"),
    ],
)
def test_bad_command_lines_are_refused_with_a_reason(
    clean_env, monkeypatch, capsys, argv, env, expected
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit) as exited:
        parse_options(argv)

    assert exited.value.code == 2
    assert expected in capsys.readouterr().err


def _backend_env(profile: str, environ: dict[str, str], s3_url: str | None = None) -> dict:
    built = Stack(
        StackOptions(profile=profile), environ=environ, stop_event=threading.Event(),
        say=print,
    )
    built.s3_url = s3_url
    return built._backend_env("http://127.0.0.1:8900")


def test_embedded_keeps_local_media_whatever_the_shell_exports():
    exported = {name: "http://127.0.0.1:1" for name in services.S3_VARIABLES}

    env = _backend_env("embedded", exported)

    assert not set(services.S3_VARIABLES) & env.keys()


def test_scaled_gives_the_backend_its_s3_server_and_test_keys():
    env = _backend_env("scaled", {}, s3_url="http://127.0.0.1:5000")

    assert env["LC_S3_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert env["LC_S3_BUCKET"] == services.DEFAULT_S3_BUCKET
    assert env["LC_S3_REGION"] == services.DEFAULT_S3_REGION
    assert env["LC_S3_ACCESS_KEY_ID"] == services.S3_TEST_ACCESS_KEY_ID
    assert env["LC_S3_SECRET_ACCESS_KEY"] == services.S3_TEST_SECRET_ACCESS_KEY


def test_scaled_uses_an_exported_s3_endpoint_as_it_is():
    exported = {"LC_S3_ENDPOINT_URL": "https://s3.example.in", "LC_S3_BUCKET": "media-qa"}

    env = _backend_env("scaled", exported, s3_url="https://s3.example.in")

    assert env["LC_S3_ENDPOINT_URL"] == "https://s3.example.in"
    assert env["LC_S3_BUCKET"] == "media-qa"
    assert "LC_S3_ACCESS_KEY_ID" not in env


def test_scaled_gives_each_process_its_share_and_trusts_its_one_proxy():
    built = Stack(
        StackOptions(profile="scaled", sizes=Sizes(wsgi_workers=3, wsgi_threads=4,
                                                   db_connections=20)),
        environ={}, stop_event=threading.Event(), say=print,
    )

    scaled = built._backend_env("http://127.0.0.1:8900")
    embedded = _backend_env("embedded", {"LC_TRUSTED_PROXIES": "1"})

    assert scaled["LC_DB_POOL_SIZE"] == "5"
    assert scaled["LC_TRUSTED_PROXIES"] == "1"
    assert scaled["LC_MEDIA_ACCEL_PREFIX"] == proxy.MEDIA_LOCATION
    assert "LC_DB_POOL_SIZE" not in embedded
    assert embedded["LC_TRUSTED_PROXIES"] == "1", "a variable of the shell is the shell's"


def test_a_photo_body_stays_in_nginx_memory_and_other_bodies_keep_the_small_buffer(tmp_path):
    plan = proxy.ProxyPlan(data_dir=tmp_path, host="127.0.0.1", wsgi_port=1, asgi_port=2,
                           upload_max_bytes=5 * 1024 * 1024)

    config = proxy.nginx_config(plan, port=3)

    photo_buffer = plan.upload_max_bytes + proxy.BODY_GUARD_SLACK_BYTES
    for path in proxy.UPLOAD_PATHS:
        block = config.split(f"location = {path} {{", 1)[1].split("}", 1)[0]
        assert f"client_body_buffer_size {photo_buffer};" in block
    assert config.count("client_body_buffer_size 128k;") == 1  # the server's default
    rest = config.split("location / {", 1)[1].split("}", 1)[0]
    assert "client_body_buffer_size" not in rest


def test_missing_nginx_is_a_plain_message(monkeypatch):
    monkeypatch.setattr(proxy, "NGINX_PATHS", ())

    with pytest.raises(StackError) as refused:
        proxy.nginx_binary({"PATH": "/nonexistent"})

    assert "nginx is not installed" in str(refused.value)
    assert "apt-get install nginx" in str(refused.value)


def test_a_scaled_boot_without_nginx_fails_before_anything_starts(monkeypatch, tmp_path):
    monkeypatch.setattr(proxy, "NGINX_PATHS", ())
    built = Stack(
        StackOptions(profile="scaled", log_dir=tmp_path), environ={"PATH": "/nonexistent"},
        stop_event=threading.Event(), say=print,
    )

    with pytest.raises(StackError, match="apt-get install nginx"):
        built.start()

    assert built.children == []
    assert built.database_name is None, "no run database is made for a boot that cannot run"


@pytest.mark.parametrize("profile", ["embedded", "scaled"])
def test_the_backend_gets_two_malloc_arenas_unless_the_shell_says_otherwise(profile):
    assert _backend_env(profile, {})["MALLOC_ARENA_MAX"] == "2"
    assert _backend_env(profile, {"MALLOC_ARENA_MAX": "8"})["MALLOC_ARENA_MAX"] == "8"


def test_both_halves_get_one_gateway_test_account_and_the_sandbox_the_webhook_url():
    built = Stack(
        StackOptions(), environ={"LC_RAZORPAY_KEY_ID": "rzp_live_exported"},
        stop_event=threading.Event(), say=print,
    )

    backend = built._backend_env("http://127.0.0.1:8900")
    sandbox = built._sandbox_env(webhook_url=built._webhook_url(8123))

    assert backend["LC_RAZORPAY_BASE_URL"] == "http://127.0.0.1:8900"
    for name in ("KEY_ID", "KEY_SECRET", "WEBHOOK_SECRET"):
        assert backend[f"LC_RAZORPAY_{name}"] == sandbox[f"LC_SANDBOX_RAZORPAY_{name}"]
    assert backend["LC_RAZORPAY_KEY_ID"].startswith("rzp_test_")
    assert sandbox["LC_SANDBOX_WEBHOOK_URL"] == (
        "http://127.0.0.1:8123/api/payments/webhooks/razorpay/"
    )


def test_coverage_data_makes_the_backend_measure_itself_and_nothing_else(tmp_path):
    built = Stack(
        StackOptions(coverage_data=tmp_path / "data"), environ={},
        stop_event=threading.Event(), say=print,
    )

    backend = built._backend_env("http://127.0.0.1:8900")
    sandbox = built._sandbox_env()

    assert backend["COVERAGE_PROCESS_START"] == str(REPO_ROOT / "pyproject.toml")
    assert backend["COVERAGE_FILE"] == str(tmp_path / "data" / ".coverage")
    assert "COVERAGE_PROCESS_START" not in sandbox
    assert "COVERAGE_PROCESS_START" not in _backend_env("embedded", {})


def test_coverage_data_option_is_resolved(clean_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    _, measured = parse_options(["boot", "--state-file", "s.json", "--coverage-data", "cov"])
    _, plain = parse_options(["boot", "--state-file", "s.json"])

    assert measured.coverage_data == tmp_path / "cov"
    assert plain.coverage_data is None


def test_coverage_check_passes_where_new_processes_are_measured():
    coverage_hook.coverage_check(_env())


def test_coverage_check_says_when_new_processes_would_not_be_measured(monkeypatch):
    # as in an interpreter where coverage's start-up hook is not installed
    monkeypatch.setattr(coverage_hook, "_COVERAGE_PROBE", "import sys; sys.exit(3)")

    with pytest.raises(StackError, match=r"start-up hook .* is not installed") as refused:
        coverage_hook.coverage_check(_env())

    assert "make install" in str(refused.value)


def test_taken_port_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(StackError) as error:
            ensure_port_free("127.0.0.1", port, "--port")

    assert f"port {port} on 127.0.0.1 is not available" in str(error.value)
    assert "--port" in str(error.value)


def test_state_is_written_whole_and_without_leftovers(tmp_path):
    target = tmp_path / "state.json"

    write_json_atomic(target, {"base_url": "http://127.0.0.1:1"})
    write_json_atomic(target, {"base_url": "http://127.0.0.1:2"})

    assert json.loads(target.read_text()) == {"base_url": "http://127.0.0.1:2"}
    assert [path.name for path in tmp_path.iterdir()] == ["state.json"]


def test_serve_on_a_taken_port_fails_at_once(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = subprocess.run(
            [sys.executable, "-m", "stack", "serve", "--port", str(port),
             "--sandbox-port", "0", "--log-dir", str(tmp_path)],
            cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=60, check=False,
        )

    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is not available" in result.stderr
    assert not (tmp_path / "backend.log").exists()


# --- nginx, alone --------------------------------------------------------------------------------


@pytest.fixture
def lone_nginx(tmp_path) -> Iterator[str]:
    """The scaled profile's nginx with nothing behind it (its two servers' ports closed); its
    URL."""
    try:
        binary = proxy.nginx_binary(os.environ)
    except StackError as missing:
        pytest.skip(str(missing))
    closed = [free_port("127.0.0.1") for _ in range(2)]
    plan = proxy.ProxyPlan(data_dir=tmp_path / "proxy", host="127.0.0.1", wsgi_port=closed[0],
                           asgi_port=closed[1], media_endpoint=f"http://127.0.0.1:{closed[0]}")
    port = free_port("127.0.0.1")
    server = proxy.proxy_server(binary, plan, port=port, first_port=port, env=_env())
    child = spawn("proxy", server.argv_for_port(port), server.env, tmp_path / "proxy.log",
                  output_filter=server.output_filter)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not _listening(url):
        assert child.exit_code() is None, (tmp_path / "proxy.log").read_text()
        assert time.monotonic() < deadline, "nginx did not listen within 30 s"
        time.sleep(0.05)  # poll for nginx's port until the deadline
    yield url
    child.stop(print)


@pytest.mark.parametrize(
    ("method", "path", "options", "status", "code"),
    [
        ("GET", "/api/services/categories/", {}, 502, "bad_gateway"),
        ("GET", "/ws/chat/1/", {}, 502, "bad_gateway"),
        ("POST", "/api/orders/", {"content": b"x" * (7 * 1024 * 1024)}, 413,
         "request_too_large"),
        ("POST", "/api/mobile/upload-image/", {"content": b"x" * (7 * 1024 * 1024)}, 413,
         "request_too_large"),
        ("GET", "/" + "a" * 10000, {}, 414, "uri_too_long"),
        ("TRACE", "/api/", {}, 405, "method_not_allowed"),
        ("GET", "/api/", {"headers": {"X-Big": "b" * 20000}}, 400, "bad_request"),
        ("GET", proxy.MEDIA_LOCATION + "laundryconnect-media/images/x.jpg", {}, 404,
         "not_found"),
    ],
    ids=["rest-down", "sockets-down", "body-too-large", "photo-too-large", "uri-too-long",
         "trace", "header-too-large", "internal-location"],
)
def test_every_error_nginx_answers_itself_is_the_json_envelope(
    lone_nginx, method, path, options, status, code
):
    with httpx.Client(base_url=lone_nginx, trust_env=False, timeout=30) as http:
        reply = http.request(method, path, **options)

    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["x-content-type-options"] == "nosniff"
    body = reply.json()
    assert body["code"] == code
    assert body["message"]
    if path == "/api/mobile/upload-image/":
        assert body["message"] == "The photo is too large: the most we take is 5 MB."


def test_nginx_logs_no_credential_that_travels_in_a_url(lone_nginx, tmp_path):
    token, signature = "eyJhbGciOiJIUzI1NiJ9.secret-token", "media-signature"

    with httpx.Client(base_url=lone_nginx, trust_env=False, timeout=30) as http:
        http.get(f"/ws/notifications/?token={token}")
        http.get(f"/media/images/{'0' * 32}.jpg?s={signature}")

    # nginx logs each request it could not pass on, with its request line
    log = tmp_path / "proxy.log"
    deadline = time.monotonic() + 10
    while log.read_text().count("connect() failed") < 2:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)  # poll for the two lines until the deadline
    assert "?token=[redacted]" in log.read_text()
    assert "?s=[redacted]" in log.read_text()
    assert token not in log.read_text()
    assert signature not in log.read_text()


# --- real boots --------------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("LC_")}
    return {**env, **extra}


def _children(pid: int) -> set[int]:
    """Every live descendant of `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = proc_stat(int(entry.name))
            if stat is not None and stat[0] not in "ZX":
                parents[int(entry.name)] = stat[1]
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _listening(url: str) -> bool:
    host, port = url.split("//")[1].rsplit(":", 1)
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) == 0


@dataclass
class Boot:
    launcher: subprocess.Popen
    state_file: Path
    log_dir: Path
    launcher_log: Path

    def output(self) -> str:
        return self.launcher_log.read_text(errors="replace")

    def wait_state(self) -> dict:
        """The state file's content, once the launcher has written it."""
        deadline = time.monotonic() + BOOT_DEADLINE_SECONDS
        while not self.state_file.exists():
            if self.launcher.poll() is not None and not self.state_file.exists():
                pytest.fail(f"the launcher exited with {self.launcher.returncode} without a "
                            f"state file:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no state file within {BOOT_DEADLINE_SECONDS} s:\n{self.output()}")
            time.sleep(0.1)  # poll for the state file until the deadline
        return json.loads(self.state_file.read_text())

    def wait_exit(self) -> int:
        try:
            return self.launcher.wait(timeout=EXIT_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the launcher did not exit within {EXIT_DEADLINE_SECONDS} s:\n"
                        f"{self.output()}")


@pytest.fixture
def boot(tmp_path) -> Iterator:
    """Starts `python -m stack boot` with extra arguments; stops what is left after."""
    started: list[Boot] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Boot:
        run = tmp_path / f"boot{len(started)}"
        run.mkdir()
        log = run / "launcher.log"
        with log.open("wb") as out:
            launcher = subprocess.Popen(
                [sys.executable, "-m", "stack", "boot",
                 "--state-file", str(run / "state.json"), "--log-dir", str(run / "logs"), *args],
                cwd=REPO_ROOT, env=env or _env(), stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        started.append(Boot(launcher, run / "state.json", run / "logs", log))
        return started[-1]

    yield start
    for run in started:
        if run.launcher.poll() is None:
            run.launcher.terminate()
            try:
                run.launcher.wait(timeout=EXIT_DEADLINE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(run.launcher.pid, signal.SIGKILL)
                run.launcher.wait()


@pytest.fixture
def watched() -> Iterator[subprocess.Popen]:
    """A throwaway process for the launcher to watch."""
    process = subprocess.Popen([SLEEP, "600"])
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()


def _assert_healthy(state: dict) -> None:
    with httpx.Client(trust_env=False, timeout=10) as http:
        backend = http.get(f"{state['base_url']}/api/health/")
        sandbox = http.get(f"{state['sandbox_url']}/_sandbox/health/")
    assert backend.status_code == HTTPStatus.OK, backend.text
    assert sandbox.status_code == HTTPStatus.OK, sandbox.text
    assert sandbox.json()["status"] == "ok"


def _assert_all_gone(run: Boot, state: dict, processes: set[int]) -> None:
    alive = {pid for pid in processes if pid_alive(pid)}
    assert not alive, f"processes {alive} outlived the launcher:\n{run.output()}"
    assert not _listening(state["base_url"]), "the backend port is still open"
    assert not _listening(state["sandbox_url"]), "the sandbox port is still open"
    if state["s3_url"]:
        assert not _listening(state["s3_url"]), "the S3 server's port is still open"
    assert not run.state_file.exists(), "the state file outlived the stack"
    assert not list(run.log_dir.glob("data-*")), "the run's data folder was left behind"
    assert (run.log_dir / "backend.log").read_text()


def test_embedded_boot_stops_everything_when_the_watched_process_dies(boot, watched):
    # given a stack booted for a watched process
    run = boot("--watch-pid", str(watched.pid))
    state = run.wait_state()
    assert "error" not in state, state["error"]
    assert state.keys() >= STATE_KEYS
    assert state["profile"] == "embedded"
    assert state["pid"] == run.launcher.pid
    assert state["otp_ttl_seconds"] == cli.BOOT_OTP_TTL_SECONDS
    assert state["ws_url"].startswith("ws://127.0.0.1:")
    assert state["s3_url"] is None, "the embedded profile keeps media in local files"
    _assert_healthy(state)
    processes = _children(run.launcher.pid)
    assert set(state["processes"].values()) <= processes

    # when the watched process dies
    watched.kill()
    watched.wait()

    # then the launcher stops its children and exits cleanly
    assert run.wait_exit() == 0, run.output()
    _assert_all_gone(run, state, processes)


def _postgres_databases(admin_url: str) -> set[str]:
    import psycopg

    with psycopg.connect(admin_url, connect_timeout=5) as connection:
        rows = connection.execute("SELECT datname FROM pg_database").fetchall()
    return {name for (name,) in rows}


def _scaled_services_or_skip() -> str:
    admin_url = services.DEFAULT_PG_ADMIN_URL
    try:
        services.postgres_check(admin_url)
        services.redis_check(services.DEFAULT_REDIS_URL)
    except StackError as error:
        pytest.skip(f"the scaled profile needs PostgreSQL and Redis: {error}")
    return admin_url


def _assert_bucket_exists(state: dict) -> None:
    """The S3 server answers the S3 API, and the setup made the media bucket in it."""
    import boto3

    client = boto3.client(
        "s3", endpoint_url=state["s3_url"], region_name=services.DEFAULT_S3_REGION,
        aws_access_key_id=services.S3_TEST_ACCESS_KEY_ID,
        aws_secret_access_key=services.S3_TEST_SECRET_ACCESS_KEY,
    )
    try:
        buckets = [bucket["Name"] for bucket in client.list_buckets()["Buckets"]]
    finally:
        client.close()
    assert state["s3_bucket"] in buckets, buckets


def _connections_sampled(state: dict, admin_url: str, stop: threading.Event,
                         peak: list[int]) -> None:
    """Until `stop`, the most connections pg_stat_activity shows on the run's database."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        while not stop.is_set():
            (count,) = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                (state["database"],),
            ).fetchone()
            peak[0] = max(peak[0], count)
            time.sleep(0.01)  # sample until the burst is over


def _burst(state: dict, requests: int) -> list[int]:
    """`requests` reads sent at once (the catalog, the health check); their statuses."""
    paths = ["/api/services/categories/", "/api/health/", "/api/services/items/"]
    with httpx.Client(base_url=state["base_url"], trust_env=False, timeout=60,
                      limits=httpx.Limits(max_connections=requests)) as http:
        def one(index: int) -> int:
            return http.get(paths[index % len(paths)]).status_code

        with ThreadPoolExecutor(max_workers=requests) as pool:
            return list(pool.map(one, range(requests)))


def test_scaled_boot_runs_behind_nginx_within_its_connection_bound_and_drops_its_database(boot):
    admin_url = _scaled_services_or_skip()

    # given a scaled stack with two REST workers and a bound of 9 database connections
    run = boot("--profile", "scaled", "--workers", "2", env=_env(LC_DB_CONNECTIONS="9"))
    state = run.wait_state()
    assert "error" not in state, state["error"]
    assert state["profile"] == "scaled"
    assert (state["workers"], state["threads"], state["db_connections"]) == (2, 3, 9)
    assert state["servers"].keys() == {"proxy", "backend", "sockets"}
    assert state["database"].startswith("lc_")
    assert state["database"] in _postgres_databases(admin_url)
    _assert_healthy(state)
    _assert_bucket_exists(state)
    processes = _children(run.launcher.pid)
    assert {"s3", "proxy", "backend", "sockets"} <= state["processes"].keys()
    assert set(state["processes"].values()) <= processes
    # the sandbox, S3, nginx and its worker, gunicorn and its two workers, uvicorn
    assert len(processes) >= 8, processes

    # when 120 requests arrive at once, while the run database's connections are counted
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_connections_sampled,
                               args=(state, admin_url, stop, peak))
    sampler.start()
    try:
        statuses = _burst(state, 120)
    finally:
        stop.set()
        sampler.join()

    # then every one is served, and the backend never held more connections than its bound
    assert statuses == [HTTPStatus.OK] * 120, sorted(set(statuses))
    assert 0 < peak[0] <= 9, peak[0]

    # when the launcher is asked to stop
    run.launcher.send_signal(signal.SIGTERM)

    # then everything is gone, the run database too
    assert run.wait_exit() == 0, run.output()
    _assert_all_gone(run, state, processes)
    assert state["database"] not in _postgres_databases(admin_url)


def _measured_files(data_dir: Path) -> list[set[str]]:
    """The files each data file in `data_dir` measured, one set per process."""
    import coverage

    found = []
    for piece in sorted(data_dir.glob(".coverage.*")):
        data = coverage.CoverageData(basename=str(piece))
        data.read()
        found.append({name for name in data.measured_files() if data.lines(name)})
    return found


def test_scaled_boot_under_coverage_saves_every_workers_data_on_sigterm(boot, tmp_path):
    _scaled_services_or_skip()

    # given a measured scaled stack with two REST workers, which serves a request
    data_dir = tmp_path / "coverage"
    run = boot("--profile", "scaled", "--workers", "2", "--coverage-data", str(data_dir))
    state = run.wait_state()
    assert "error" not in state, state["error"]
    assert state["coverage_data"] == str(data_dir)
    _assert_healthy(state)

    # when the launcher is asked to stop
    run.launcher.send_signal(signal.SIGTERM)
    assert run.wait_exit() == 0, run.output()

    # then each server process saved its data on the way out: two data files measured the
    # WSGI application, which only gunicorn's workers load, and one the ASGI application,
    # which the socket server loads (the setup commands and gunicorn's supervisor saved
    # theirs too)
    measured = _measured_files(data_dir)
    def loading(module: str) -> list[set[str]]:
        return [files for files in measured if any(name.endswith(module) for name in files)]

    assert len(loading("reference/config/wsgi.py")) == 2, (len(measured), run.output())
    assert len(loading("reference/config/asgi.py")) == 1, (len(measured), run.output())


def test_failed_boot_writes_the_error_with_the_log_tail(boot):
    # given a setting the backend refuses
    run = boot(env=_env(LC_ACCESS_TOKEN_MINUTES="sixty"))

    # when the launcher boots
    state = run.wait_state()

    # then it says which step failed, shows the log's tail, and exits non-zero
    assert run.wait_exit() == 1
    assert "failed with exit code" in state["error"], state["error"]
    assert "--- last lines of" in state["error"]
    assert "LC_ACCESS_TOKEN_MINUTES" in state["error"]
    assert state["pid"] == run.launcher.pid
    assert not list(run.log_dir.glob("data-*"))


def test_unreachable_redis_fails_at_once_with_how_to_start_it(boot):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    run = boot("--profile", "scaled", env=_env(LC_REDIS_URL=f"redis://127.0.0.1:{closed_port}/0"))
    state = run.wait_state()

    assert run.wait_exit() == 1
    assert "Redis is not reachable" in state["error"]
    assert "redis-server --daemonize yes" in state["error"]
    assert not (run.log_dir / "sandbox.log").exists()


def test_missing_watched_process_is_an_error(boot, watched):
    watched.kill()
    watched.wait()

    run = boot("--watch-pid", str(watched.pid))
    state = run.wait_state()

    assert run.wait_exit() == 1
    assert f"--watch-pid {watched.pid} is not a running process" in state["error"]


def test_uvicorn_leaves_the_contracts_frame_limit_to_the_backend():
    # a frame the server's reader refuses is left half read and the connection reset, which can
    # overtake the close frame (1006); the backend's own check reads it whole and closes 1009
    argv = backend.asgi_argv("127.0.0.1", 8000)

    cap = int(argv[argv.index("--ws-max-size") + 1])
    assert cap > 64 * 1024
    assert cap == backend.WS_MAX_SIZE
