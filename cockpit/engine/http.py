"""Per-source HTTP over one shared `httpx.AsyncClient`: conditional requests and typed errors.

Every request of a source goes through its `SourceHttp`, which
- sends `If-None-Match` / `If-Modified-Since` from its cache and reuses the cached body on 304,
  so unchanged data costs no rate-limit budget on GitHub/GitLab;
- turns every failure into a `SourceError` of one kind (auth, not_found, rate_limited, timeout,
  unreachable, bad_response) with a message naming the source and a hint;
- records the remaining rate-limit budget and counts requests and 304s for the benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import orjson

from cockpit.clock import Clock
from cockpit.engine.ratelimit import parse_rate_limit, parse_retry_after
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import RateLimit

# A body larger than this is refused rather than parsed: a runaway response must not eat memory.
MAX_JSON_BYTES = 32 * 1024 * 1024

T = TypeVar("T")

# Conditional-request cache bounds, per source: entries no poll asked for in CACHE_IDLE_S are
# forgotten (the next request for them is an ordinary 200), and never more than
# CACHE_MAX_ENTRIES (a poll asks for ~3 URLs per service).
CACHE_IDLE_S = 15 * 60.0
CACHE_MAX_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class HttpResult:
    """A successful response (2xx, or a 304 answered from the cache).

    A result that is (or was served from) a cached response shares that response's parsed JSON
    and `derived` values: until the ETag changes, a poll parses and reads nothing again. Both
    are shared, so callers must treat them as read-only.
    """

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]
    from_cache: bool = False
    source: str = ""
    cached: _CacheEntry | None = field(default=None, compare=False, repr=False)

    def json(self) -> Any:
        """The body as JSON, or a `bad_response` error (naming the source) when it is not JSON."""
        if self.cached is None:
            return self._parse()
        if self.cached.parsed is _UNPARSED:
            self.cached.parsed = self._parse()
        return self.cached.parsed

    def derived(self, name: str, build: Callable[[Any], T]) -> T:
        """`build(self.json())`, computed once per cached response under `name`."""
        if self.cached is None:
            return build(self.json())
        values = self.cached.derived
        if name not in values:
            values[name] = build(self.json())
        value: T = values[name]
        return value

    def _parse(self) -> Any:
        prefix = f"{self.source}: " if self.source else ""
        if len(self.body) > MAX_JSON_BYTES:
            raise SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{prefix}{self.url} answered with {len(self.body)} bytes, more than the "
                f"{MAX_JSON_BYTES} bytes we parse",
                source=self.source,
                hint="narrow the query (fewer items per page)",
            )
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            # Maybe JSON only the standard parser reads (NaN, UTF-16). The other way round,
            # integers beyond 64 bits come back as floats: no API we read sends them, and
            # `PayloadReader.integer` refuses a float where an id belongs.
            pass
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{prefix}{self.url} answered with something that is not JSON "
                f"({describe_body(self)})",
                source=self.source,
                hint="check the source's url points at the API, not a web page or a proxy",
            ) from exc

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


_UNPARSED: Any = object()


@dataclass(slots=True)
class _CacheEntry:
    url: httpx.URL  # parsed once: building a URL from text and params is most of a request
    url_text: str
    etag: str | None
    last_modified: str | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    parsed: Any = _UNPARSED
    derived: dict[str, Any] = field(default_factory=dict)
    used_at: float = 0.0


_CacheKey = tuple[str, tuple[tuple[str, str | int], ...]]


def describe_body(result: HttpResult | httpx.Response) -> str:
    """A short description of an unexpected body, e.g. "an HTML page (login?)"."""
    content_type = result.headers.get("content-type", "")
    body = result.body if isinstance(result, HttpResult) else result.content
    head = body[:200].lstrip().lower()
    if "html" in content_type or head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page: a login page or proxy?"
    if not body:
        return "an empty body"
    return f"{content_type or 'no content type'}, {len(body)} bytes"


class SourceHttp:
    """The HTTP face of one configured source.

    Args:
        client: The one shared `httpx.AsyncClient`.
        source: The configured source name (used in every message).
        base_url: The source's base URL; relative paths are joined to it.
        headers: Auth and protocol headers sent with every request (never logged).
        clock: For rate-limit reset times.
        timeout: Seconds per request.
        limiter: Shared by every source of an engine: how many requests may be in flight. A
            burst of thousands of requests handed to the connection pool at once makes it
            rescan its queue on every change (quadratic) and time requests out in the queue.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        source: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        clock: Clock,
        timeout: float = 10.0,
        limiter: asyncio.Semaphore | None = None,
    ) -> None:
        self.client = client
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.clock = clock
        self.timeout = timeout
        self.limiter = limiter
        self.rate_limit: RateLimit | None = None
        self.requests = 0
        self.not_modified = 0
        self._cache: OrderedDict[_CacheKey, _CacheEntry] = OrderedDict()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        conditional: bool = True,
        follow_redirects: bool = False,
    ) -> HttpResult:
        """GET with conditional-request caching; raises `SourceError` on any failure."""
        key = (path, tuple(params.items()) if params else ())
        cached = self._cached(key) if conditional else None
        request = self.client.build_request(
            "GET",
            cached.url if cached is not None else self._new_url(path, params),
            headers={**self.headers, **(headers or {})},
            timeout=self.timeout,
        )
        if cached is not None:
            if cached.etag:
                request.headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                request.headers["If-Modified-Since"] = cached.last_modified
        response = await self._send(request, follow_redirects)
        if response.status_code == 304 and cached is not None:
            self.not_modified += 1
            return HttpResult(
                cached.url_text,
                200,
                cached.body,
                cached.headers,
                from_cache=True,
                source=self.source,
                cached=cached,
            )
        self.raise_for_status(response)
        body = response.content
        headers = dict(response.headers)
        etag, modified = headers.get("etag"), headers.get("last-modified")
        url_text = str(request.url)
        entry = None
        if conditional and (etag or modified):
            entry = _CacheEntry(request.url, url_text, etag, modified, body, headers)
            self._remember(key, entry)
        return HttpResult(
            url_text, response.status_code, body, headers, source=self.source, cached=entry
        )

    def _new_url(self, path: str, params: Mapping[str, str | int] | None) -> httpx.URL:
        text = self.url(path)
        if not params:
            return httpx.URL(text)
        if "?" in text:  # a next-page link with its own query: merge, as httpx would
            return httpx.URL(text).copy_merge_params(params)
        return httpx.URL(f"{text}?{urlencode(params)}")  # parsed once, not twice

    def _cached(self, key: _CacheKey) -> _CacheEntry | None:
        entry = self._cache.get(key)
        if entry is not None:
            entry.used_at = self.clock.monotonic()
            self._cache.move_to_end(key)
        return entry

    def _remember(self, key: _CacheKey, entry: _CacheEntry) -> None:
        """Keep `entry`; forget what no poll asked for lately (old runs' jobs, say).

        URLs come and go (every new run has its own jobs URL): without forgetting, a long
        release window would keep every body it ever saw.
        """
        now = entry.used_at = self.clock.monotonic()
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while self._cache:
            oldest = next(iter(self._cache.values()))
            if len(self._cache) <= CACHE_MAX_ENTRIES and now - oldest.used_at <= CACHE_IDLE_S:
                break
            self._cache.popitem(last=False)

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        return (await self.get(path, **kwargs)).json()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResult:
        """A non-GET request (actions such as re-run); never cached."""
        request = self.client.build_request(
            method,
            self.url(path),
            params=params,
            json=json_body,
            headers={**self.headers, **(headers or {})},
            timeout=self.timeout,
        )
        response = await self._send(request, follow_redirects=False)
        self.raise_for_status(response)
        return HttpResult(
            str(request.url),
            response.status_code,
            response.content,
            dict(response.headers),
            source=self.source,
        )

    async def send(
        self, request: httpx.Request, *, follow_redirects: bool = False
    ) -> httpx.Response:
        """Send a prepared request and return the raw response, whatever its status.

        For protocols that must read error answers themselves (the registry's 401 challenge and
        404 error codes). Transport failures still become typed `SourceError`s, and the request
        counts against this source like any other.
        """
        return await self._send(request, follow_redirects)

    async def _send(self, request: httpx.Request, follow_redirects: bool) -> httpx.Response:
        self.requests += 1
        async with self.slot():
            try:
                response = await self.client.send(request, follow_redirects=follow_redirects)
                await response.aread()
            except httpx.HTTPError as exc:
                raise self.transport_error(request, exc) from exc
        self.observe_rate_limit(response)
        return response

    def slot(self) -> contextlib.AbstractAsyncContextManager[object]:
        """Hold one of the engine's in-flight request slots (none when there is no limiter)."""
        return self.limiter if self.limiter is not None else contextlib.nullcontext()

    def observe_rate_limit(self, response: httpx.Response) -> None:
        """Keep the budget a response reports (any response: 304s and errors carry it too)."""
        rate = parse_rate_limit(response.headers, self.clock.now())
        if rate is not None:
            self.rate_limit = newer_budget(self.rate_limit, rate)

    def transport_error(self, request: httpx.Request, exc: httpx.HTTPError) -> SourceError:
        """The typed error for a request that got no complete answer, naming the source."""
        where = f"{request.url.scheme}://{request.url.netloc.decode()}"
        if isinstance(exc, httpx.TimeoutException):
            return SourceError(
                ErrorKind.TIMEOUT,
                f"{self.source}: {where} did not answer within {self.timeout:g}s",
                source=self.source,
                hint="the server is slow or unreachable; raise the source's timeout if it is slow",
            )
        if isinstance(exc, httpx.RemoteProtocolError):
            return SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{self.source}: {where} broke the connection mid-response ({_reason(exc)})",
                source=self.source,
                hint="a truncated body; it is retried with backoff",
            )
        if isinstance(exc, httpx.ConnectError | httpx.NetworkError | httpx.ProxyError):
            return SourceError(
                ErrorKind.UNREACHABLE,
                f"{self.source}: cannot connect to {where} ({_reason(exc)})",
                source=self.source,
                hint="check the url, DNS, VPN or proxy",
            )
        return SourceError(
            ErrorKind.UNREACHABLE,
            f"{self.source}: request to {where} failed ({_reason(exc)})",
            source=self.source,
        )

    def raise_for_status(self, response: httpx.Response) -> None:
        """Map an HTTP error status to a typed `SourceError` naming the source."""
        status = response.status_code
        if status < 400 and status not in (301, 302, 303, 307, 308):
            return
        url = str(response.request.url.copy_with(query=None))
        now = self.clock.now()
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        if status == 429 or (status == 403 and self._budget_exhausted(response)):
            wait = retry_after
            if wait is None and self.rate_limit is not None and self.rate_limit.reset_at:
                wait = max(0.0, (self.rate_limit.reset_at - now).total_seconds())
            raise SourceError(
                ErrorKind.RATE_LIMITED,
                f"{self.source}: rate limited by {url} (HTTP {status})",
                source=self.source,
                hint="the engine waits for the reset; lengthen the source's interval if it recurs",
                retry_after_s=wait,
            )
        if status in (401, 403):
            raise SourceError(
                ErrorKind.AUTH,
                f"{self.source}: {url} refused our credentials (HTTP {status})",
                source=self.source,
                hint="check the token reference and the token's scopes/permissions",
            )
        if status == 404:
            raise SourceError(
                ErrorKind.NOT_FOUND,
                f"{self.source}: {url} does not exist (HTTP 404)",
                source=self.source,
                hint="check the repository/project/job name and that the token can see it",
            )
        if status in (301, 302, 303, 307, 308):
            location = response.headers.get("location", "?")
            raise SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{self.source}: {url} redirected to {location}: a login page or wrong base url?",
                source=self.source,
                hint="point url at the API endpoint",
            )
        kind = ErrorKind.UNREACHABLE if status in (502, 503, 504) else ErrorKind.BAD_RESPONSE
        raise SourceError(
            kind,
            f"{self.source}: {url} answered HTTP {status}",
            source=self.source,
            hint="a server-side error; it is retried with backoff",
            retry_after_s=retry_after,
        )

    def _budget_exhausted(self, response: httpx.Response) -> bool:
        rate = parse_rate_limit(response.headers, self.clock.now())
        return (rate is not None and rate.remaining == 0) or "retry-after" in response.headers


def newer_budget(current: RateLimit | None, seen: RateLimit) -> RateLimit:
    """The budget to keep when a response reports `seen`.

    Concurrent requests finish in any order, so the last response processed is not always the
    newest. Within one reset window the remaining budget only goes down; a later reset time
    starts a new window.
    """
    if current is None or current.reset_at is None or seen.reset_at is None:
        return seen
    if seen.reset_at > current.reset_at:
        return seen
    if seen.reset_at == current.reset_at and seen.remaining < current.remaining:
        return seen
    return current


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__
