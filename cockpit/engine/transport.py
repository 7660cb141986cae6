"""The engine's HTTP transport: httpx's client API over aiohttp's connection pool.

Why not httpx's own pool: httpcore rescans every pooled connection (asking each whether it
expired, an expensive socket query) on every request start and finish, so with a few dozen
connections in flight each request costs ~6 ms of CPU; 500 services polled at once spent
their whole cycle there (bench/README.md). aiohttp's pool hands a connection over in O(1)
and parses HTTP in C.

Only the wire moves here. Everything else stays httpx: request building, headers, auth,
cookies, redirects (never followed by this transport), content decoding (bodies pass through
still encoded), the exception types `SourceHttp` maps to typed errors, and `MockTransport` in
the tests. Proxies from the environment stay with httpx too: it mounts its own transport for
proxied URLs before this one is asked.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import httpx

# How long an idle keep-alive connection is kept: longer than the usual poll interval (10-15 s),
# so a poll does not open (and, over TLS, handshake) a new connection every time, and shorter
# than the usual server or load-balancer idle timeout (60 s). A connection the server closed
# anyway is retried once by aiohttp (GETs are idempotent).
KEEPALIVE_S = 30.0
_CHUNK_BYTES = 64 * 1024


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An `httpx.AsyncBaseTransport` that sends over one `aiohttp.ClientSession`.

    Args:
        max_connections: Connections open at once, over all hosts (the pool's size).
        ssl_context: TLS settings; default: httpx's (certifi, or SSL_CERT_FILE/SSL_CERT_DIR).
    """

    def __init__(self, *, max_connections: int, ssl_context: ssl.SSLContext | None = None):
        self.max_connections = max_connections
        self.ssl_context = ssl_context or httpx.create_ssl_context()
        self._session: aiohttp.ClientSession | None = None

    def _session_for_loop(self) -> aiohttp.ClientSession:
        # Created on first use: an aiohttp session belongs to the running event loop.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections,
                limit_per_host=0,
                keepalive_timeout=KEEPALIVE_S,
                ssl=self.ssl_context,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the cookies
                auto_decompress=False,  # httpx decodes, from the headers it sees
                trust_env=False,  # httpx handles proxies from the environment
                timeout=aiohttp.ClientTimeout(total=None),
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session_for_loop()
        timeout = request.extensions.get("timeout", {})
        body = await _request_body(request)
        with map_errors(request):
            answer = await session.request(
                request.method,
                str(request.url),
                headers=request.headers.multi_items(),
                data=body,
                allow_redirects=False,
                compress=None,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            )
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if answer.reason:
            extensions["reason_phrase"] = answer.reason.encode("latin-1", errors="replace")
        return httpx.Response(
            status_code=answer.status,
            headers=list(answer.raw_headers),
            stream=_ResponseStream(answer, request),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class _ResponseStream(httpx.AsyncByteStream):
    """The body as it arrives; closing it hands the connection back (or drops a half-read one)."""

    def __init__(self, answer: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with map_errors(self._request):
            async for chunk in self._answer.content.iter_chunked(_CHUNK_BYTES):
                yield chunk

    async def aclose(self) -> None:
        # release() keeps the connection only when the body was read to its end.
        self._answer.release()


async def _request_body(request: httpx.Request) -> bytes | None:
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = await request.aread()
    return content or None


@contextlib.contextmanager
def map_errors(request: httpx.Request) -> Iterator[None]:
    """Re-raise aiohttp's failures as the httpx exceptions the engine maps to typed errors."""
    try:
        yield
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise httpx_error(exc)(_reason(exc), request=request) from exc


def httpx_error(exc: BaseException) -> type[httpx.TransportError]:
    """The httpx exception class for an aiohttp failure (most specific first)."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return httpx.ReadTimeout
    if isinstance(exc, TimeoutError):  # waiting for a free connection
        return httpx.PoolTimeout
    if isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return httpx.ProxyError
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ClientSSLError):
        return httpx.ConnectError
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol
    if isinstance(
        exc,
        aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError,
    ):
        return httpx.RemoteProtocolError
    if isinstance(exc, aiohttp.ClientOSError):
        return httpx.ReadError
    return httpx.TransportError


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
