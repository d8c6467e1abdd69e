"""A WebSocket client for the chat and notification sockets, reporting into Locust's statistics.

Built on `websocket-client`, a plain-socket library: under Locust the standard library's
sockets are gevent's, so a blocking `recv` yields to the other users instead of blocking the
process (an asyncio client would not run here). Like the app, each socket is read all the time
by a reader greenlet, which queues the frames and, inside `recv`, answers the server's
keep-alive pings (a socket read only when the user next speaks would miss them, and uvicorn
closes a socket that does not answer its ping within 20 s).

Locust knows nothing of WebSockets, so each exchange is reported with `events.request.fire`
as a request of type `WS`: the handshake (`<path> connect`, until the first frame), and a frame
sent until its answer arrived (`<path> <frame type>`, the round trip in ms); a refused
handshake, a close, a timeout or an `error` frame is a failure with its reason. Every socket is
closed when its user stops.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import gevent
import websocket
from gevent.queue import Empty, Queue

from load.client import StepFailed

if TYPE_CHECKING:
    from locust.env import Environment

logger = logging.getLogger("load.chat")
REQUEST_TYPE = "WS"
DEFAULT_TIMEOUT = 10.0


class SocketClosed(Exception):
    pass


class Socket:
    """One WebSocket of one user. `name` is the path template, e.g. `/ws/chat/{room_id}/`."""

    def __init__(self, environment: Environment, url: str, name: str,
                 timeout: float = DEFAULT_TIMEOUT, token: str | None = None):
        self.environment = environment
        self.url = url
        # the access token the socket was opened with (in `url`): the user reopens the socket
        # when that token is due for refreshing, as the app does
        self.token = token
        self.name = name
        self.timeout = timeout
        self.ws: websocket.WebSocket | None = None
        self.frames: Queue = Queue()
        self.reader: gevent.Greenlet | None = None

    def _report(self, action: str, started: float, clock: float, length: int,
                error: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type=REQUEST_TYPE, name=f"{self.name} {action}", start_time=started,
            response_time=(time.perf_counter() - clock) * 1000, response_length=length,
            response=None, context={}, exception=error)

    def connect(self, *, expect: str = "connection_established") -> dict:
        """Open the socket and wait for its first frame, which must be of type `expect`."""
        started, clock = time.time(), time.perf_counter()
        try:
            self.ws = websocket.create_connection(self.url, timeout=self.timeout)
            self.ws.settimeout(None)  # the reader waits as long as the socket lives
            self.reader = gevent.spawn(self._read, self.ws)
            frame, length = self._receive(lambda frame: True)
        except Exception as error:
            self.close()
            reason = _describe(error)
            self._report("connect", started, clock, 0, SocketClosed(reason))
            raise StepFailed(f"{self.name} connect: {reason}") from error
        if frame.get("type") != expect:
            self.close()
            reason = f"first frame {frame.get('type')!r}, not {expect!r}"
            self._report("connect", started, clock, length, SocketClosed(reason))
            raise StepFailed(f"{self.name} connect: {reason}")
        self._report("connect", started, clock, length, None)
        return frame

    def exchange(self, frame: dict, until: Callable[[dict], bool], *, action: str) -> dict:
        """Send `frame`, then take frames until one satisfies `until`; report the round trip.
        Frames that came unasked before (pushes the app would have shown) are let go first.
        An `error` frame, a close or the timeout ends it as a failure."""
        if not self.open:
            raise StepFailed(f"{self.name} {action}: the socket is not open")
        while not self.frames.empty():
            item = self.frames.get_nowait()
            if isinstance(item, Exception):
                self.frames.put(item)  # the close stays for the exchange to see
                break
        started, clock = time.time(), time.perf_counter()
        try:
            assert self.ws is not None
            self.ws.send(json.dumps(frame))
            answer, length = self._receive(until)
        except Exception as error:
            reason = _describe(error)
            self._report(action, started, clock, 0, SocketClosed(reason))
            self.close()
            raise StepFailed(f"{self.name} {action}: {reason}") from error
        self._report(action, started, clock, length, None)
        return answer

    def send(self, frame: dict) -> None:
        """Send a frame that gets no answer of its own (typing)."""
        if self.ws is not None:
            self.ws.send(json.dumps(frame))

    def _read(self, ws: websocket.WebSocket) -> None:
        """The reader greenlet: every frame into the queue, then the reason the socket ended."""
        try:
            while True:
                raw = ws.recv()
                if not raw:
                    raise SocketClosed("closed by the server")
                try:
                    frame = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(frame, dict):
                    self.frames.put((frame, len(raw)))
        except Exception as error:
            logger.debug("%s ended: %s", self.name, _describe(error))
            self.frames.put(error)

    def _receive(self, until: Callable[[dict], bool]) -> tuple[dict, int]:
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching frame within {self.timeout:g} s")
            try:
                item = self.frames.get(timeout=left)
            except Empty:
                continue
            if isinstance(item, Exception):
                self.frames.put(item)
                raise item
            frame, length = item
            if frame.get("type") == "error":
                raise SocketClosed(f"error frame {frame.get('code')}")
            if until(frame):
                return frame, length

    def report_drop(self) -> None:
        """Count a socket that ended between two exchanges as a failed `<path> dropped`, with
        the reason its reader saw (the app would have had to reconnect). A socket this client
        closed (after a failed exchange, already counted) is not counted again."""
        if self.ws is None:
            return
        reason = "closed"
        while not self.frames.empty():
            item = self.frames.get_nowait()
            if isinstance(item, Exception):
                reason = _describe(item)
        self._report("dropped", time.time(), time.perf_counter(), 0, SocketClosed(reason))
        self.close()

    @property
    def open(self) -> bool:
        return (self.ws is not None and self.ws.connected and self.reader is not None
                and not self.reader.dead)

    def close(self) -> None:
        # the reader first: it holds the socket's read lock, which the close handshake needs
        if self.reader is not None:
            self.reader.kill(block=True, timeout=1)
            self.reader = None
        if self.ws is not None:
            # closing a socket that broke: nothing is left to do about an error
            with contextlib.suppress(Exception):
                self.ws.close(timeout=1)
            self.ws = None


def _describe(error: BaseException) -> str:
    if isinstance(error, websocket.WebSocketBadStatusException):
        return f"handshake answered {error.status_code}"
    if isinstance(error, websocket.WebSocketConnectionClosedException):
        return "closed by the server"
    if isinstance(error, SocketClosed):
        return str(error)
    if isinstance(error, TimeoutError | websocket.WebSocketTimeoutException):
        return "timed out"
    return f"{type(error).__name__}: {error}"[:120]
