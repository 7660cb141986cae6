"""The demo world's HTTP framework: a quiet loopback HTTP/1.1 server with a tiny router.

Every simulator (GitHub Actions, registry, ...) is a `SimServer` with routes. The server binds
127.0.0.1 on an ephemeral port, serves each connection in its own daemon thread, never writes to
stderr (the TUI owns the terminal), and `stop()` closes open keep-alive connections and joins
every thread it started, so nothing keeps running after it returns.

Example:
    router = Router()
    router.get(r"/hello/(?P<name>\\w+)", lambda req: Response.json({"hi": req.params["name"]}))
    with SimServer(router) as server:
        httpx.get(server.url + "/hello/ada")
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import selectors
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

# How long `stop()` waits for each connection thread after closing its socket.
_JOIN_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed request, as a route handler sees it.

    Attributes:
        method: GET, POST, ...
        path: The path without the query string.
        query: The first value of each query parameter.
        headers: Header names lower-cased.
        body: The request body (empty when none was sent).
        params: The named groups of the route's regex.
        base_url: `http://host:port` as the client addressed us (for absolute links).
    """

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    params: Mapping[str, str] = field(default_factory=dict)
    base_url: str = ""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass(slots=True)
class Response:
    """What a route handler returns: a status, headers and a body."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Response:
        """A JSON response, compactly encoded (stable key order, so ETags are stable)."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, merged, body)

    @classmethod
    def text(
        cls, text: str, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Response:
        merged = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
        return cls(status, merged, text.encode())

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


Handler = Callable[[Request], Response]


class Router:
    """Routes requests by method and full-match path regex, in the order they were added."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.fallback: Handler = lambda request: Response.json({"message": "Not Found"}, 404)

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def get(self, pattern: str, handler: Handler) -> None:
        self.add("GET", pattern, handler)

    def dispatch(self, request: Request) -> Response:
        """The first route whose method and regex match; the fallback (a 404) otherwise.

        A HEAD request uses a HEAD route if one matches, else the GET route (the server then
        sends the headers without the body).
        """
        methods = (request.method, "GET") if request.method == "HEAD" else (request.method,)
        for method in methods:
            for route_method, pattern, handler in self._routes:
                match = pattern.fullmatch(request.path) if route_method == method else None
                if match is not None:
                    params = {k: v for k, v in match.groupdict().items() if v is not None}
                    return handler(replace(request, params=params))
        return self.fallback(request)


def strong_etag(body: bytes) -> str:
    """A strong ETag: the quoted hash of the body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def http_date(moment: datetime) -> str:
    """An IMF-fixdate (`Mon, 23 Nov 2026 10:00:00 GMT`) for Last-Modified."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def conditional(
    request: Request, response: Response, *, last_modified: datetime | None = None
) -> Response:
    """Add validators to a 200 response and answer 304 when the client's copy is current.

    The ETag is strong (a hash of the body). `last_modified` (or a `Last-Modified` header the
    handler already set) enables `If-Modified-Since`. Per RFC 9110 section 13.2.2,
    `If-None-Match` is evaluated first and `If-Modified-Since` only when there is no
    `If-None-Match`. A 304 keeps every header but has no body.
    """
    if response.status != 200 or request.method not in ("GET", "HEAD"):
        return response
    etag = strong_etag(response.body)
    response.headers["ETag"] = etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    elif (stated := response.header("Last-Modified")) is not None:
        last_modified = _parse_http_date(stated)
    if_none_match = request.header("if-none-match")
    if if_none_match:
        candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        if etag in candidates or "*" in candidates:
            return Response(304, dict(response.headers), b"")
        return response
    since_at = _parse_http_date(request.header("if-modified-since"))
    if (
        last_modified is not None
        and since_at is not None
        and last_modified.replace(microsecond=0) <= since_at
    ):
        return Response(304, dict(response.headers), b"")
    return response


def _parse_http_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class _QuietHandler(BaseHTTPRequestHandler):
    """Parses a request, dispatches it to the server's router, writes the response silently."""

    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without TCP_NODELAY, Nagle plus delayed ACKs add
    # ~40 ms to every small response on a keep-alive connection.
    disable_nagle_algorithm = True
    server_version = "cockpit-sim"
    sys_version = ""
    server: _LoopbackServer
    # A keep-alive connection idle this long is closed (a backstop; stop() closes them anyway).
    timeout = 30

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request(
            method=self.command,
            path=split.path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )
        try:
            response = self.server.router.dispatch(request)
        except Exception as exc:  # a simulator bug must not kill the connection silently
            response = Response.json({"message": f"simulator error: {exc!r}"}, 500)
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        """Silenced: the terminal belongs to the TUI."""


class _LoopbackServer(HTTPServer):
    """An HTTPServer that serves each connection in a tracked thread it can close and join.

    It runs its own accept loop (`serve`) instead of `serve_forever`, whose shutdown waits out
    a polling interval and whose idle loop wakes the CPU every interval.
    """

    # The listen backlog (socketserver's default is 5): a client opening dozens of connections
    # at once must not have its connects dropped and retried a second later.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], router: Router, name: str) -> None:
        self.router = router
        self.name = name
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._stopping = False
        # A socketpair wakes the accept loop at once on stop (no poll interval to wait out).
        self._wake_reader, self._wake_writer = socket.socketpair()
        super().__init__(address, _QuietHandler)

    def serve(self) -> None:
        """Accept connections until `wake_to_stop`; idle costs nothing (no polling timeout)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while not self._stopping:
                for key, _ in selector.select():
                    if key.fileobj is self.socket and not self._stopping:
                        self._accept()

    def _accept(self) -> None:
        try:
            request, client_address = self.get_request()
        except OSError:
            return
        try:
            self.process_request(request, client_address)
        except Exception:
            self.shutdown_request(request)

    def wake_to_stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"sim-{self.name}-conn",
            daemon=True,
        )
        with self._lock:
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silenced: a client hanging up mid-response is normal and not worth a traceback."""

    def close_connections(self) -> None:
        """Unblock and join every connection thread (keep-alive clients may still be open)."""
        with self._lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in connections:
            thread.join(_JOIN_TIMEOUT_S)


class SimServer:
    """A loopback HTTP/1.1 server for one simulator.

    Args:
        router: The routes to serve (a fresh, empty one if omitted; add routes before start()).
        name: Used in thread names (`sim-<name>-serve`, `sim-<name>-conn`).
        host: The address to bind; loopback unless you know why not.
        port: 0 for an ephemeral port.
    """

    def __init__(
        self,
        router: Router | None = None,
        *,
        name: str = "http",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.router = router or Router()
        self.name = name
        self._host = host
        self._port = port
        self._server: _LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`, without a trailing slash."""
        return f"http://{self._host}:{self.port}"

    def start(self) -> SimServer:
        """Bind and serve in a daemon thread; returns at once, ready for requests."""
        if self._server is not None:
            return self
        server = _LoopbackServer((self._host, self._port), self.router, self.name)
        thread = threading.Thread(target=server.serve, name=f"sim-{self.name}-serve", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and join every thread; safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.wake_to_stop()
        if thread is not None:
            thread.join(_JOIN_TIMEOUT_S)
        server.close_connections()
        server.server_close()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class SimService:
    """The lifecycle every simulator shares: one `SimServer`, started and stopped with it.

    Subclasses set `self.server` in their constructor and add their routes and state.
    """

    server: SimServer

    @property
    def url(self) -> str:
        """The server root, `http://127.0.0.1:<port>`."""
        return self.server.url

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
