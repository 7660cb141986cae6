"""SourceHttp against httpx.MockTransport: conditional requests, rate limits, typed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.engine import http as http_module
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError

Handler = Callable[[httpx.Request], httpx.Response]
BASE = "https://api.github.test"
LOGIN_PAGE = b"<!DOCTYPE html><html><body><form action='/login'>Sign in</form></body></html>"


@pytest.fixture
def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
async def make_http(
    clock: FakeClock, sent: list[httpx.Request]
) -> AsyncIterator[Callable[..., SourceHttp]]:
    clients: list[httpx.AsyncClient] = []

    def factory(*answers: httpx.Response | Handler | Exception, name: str = "gh") -> SourceHttp:
        queue = list(answers)

        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(answer, Exception):
                raise answer
            if callable(answer):
                return answer(request)
            return answer

        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        clients.append(client)
        return SourceHttp(client, name, BASE, clock=clock, timeout=5.0)

    yield factory
    for client in clients:
        await client.aclose()


async def failure(
    http: SourceHttp, path: str = "/repos/acme/checkout", **kwargs: object
) -> SourceError:
    with pytest.raises(SourceError) as caught:
        result = await http.get(path, **kwargs)  # type: ignore[arg-type]
        result.json()
    error = caught.value
    assert error.message.startswith("gh: "), f"message must name the source: {error.message}"
    assert error.source == "gh"
    return error


# -- conditional requests --------------------------------------------------------------------


async def test_etag_is_sent_back_and_a_304_reuses_the_cached_body(make_http, sent) -> None:
    http = make_http(
        httpx.Response(200, json={"runs": [1]}, headers={"ETag": '"v1"'}),
        httpx.Response(304, headers={"ETag": '"v1"'}),
    )
    first = await http.get("/runs")
    second = await http.get("/runs")
    assert "if-none-match" not in sent[0].headers
    assert sent[1].headers["if-none-match"] == '"v1"'
    assert second.from_cache and not first.from_cache
    assert second.status == 200
    assert second.json() == {"runs": [1]} == first.json()
    assert (http.requests, http.not_modified) == (2, 1)


async def test_last_modified_is_sent_back_as_if_modified_since(make_http, sent) -> None:
    stamp = "Mon, 23 Nov 2026 09:00:00 GMT"
    http = make_http(
        httpx.Response(200, json=[1], headers={"Last-Modified": stamp}),
        httpx.Response(304),
    )
    await http.get("/series")
    result = await http.get("/series")
    assert sent[1].headers["if-modified-since"] == stamp
    assert "if-none-match" not in sent[1].headers
    assert result.from_cache and result.json() == [1]
    assert http.not_modified == 1


async def test_a_changed_resource_replaces_the_cache(make_http, sent) -> None:
    http = make_http(
        httpx.Response(200, json=1, headers={"ETag": '"v1"'}),
        httpx.Response(200, json=2, headers={"ETag": '"v2"'}),
        httpx.Response(304),
    )
    await http.get("/x")
    assert (await http.get("/x")).json() == 2
    assert (await http.get("/x")).json() == 2
    assert sent[2].headers["if-none-match"] == '"v2"'
    assert http.not_modified == 1


async def test_an_unchanged_resource_is_parsed_and_derived_once(make_http) -> None:
    http = make_http(
        httpx.Response(200, json={"runs": [1, 2]}, headers={"ETag": '"v1"'}),
        httpx.Response(304, headers={"ETag": '"v1"'}),
    )
    built: list[object] = []

    def count(data: dict[str, list[int]]) -> int:
        built.append(data)
        return sum(data["runs"])

    first = await http.get("/runs")
    second = await http.get("/runs")
    assert second.json() is first.json()  # the 304 shares the parsed body
    assert first.derived("total", count) == 3
    assert second.derived("total", count) == 3
    assert len(built) == 1


async def test_a_changed_resource_is_derived_again(make_http) -> None:
    http = make_http(
        httpx.Response(200, json=[1], headers={"ETag": '"v1"'}),
        httpx.Response(200, json=[5], headers={"ETag": '"v2"'}),
    )
    assert (await http.get("/x")).derived("sum", sum) == 1
    assert (await http.get("/x")).derived("sum", sum) == 5


async def test_a_response_without_validators_is_derived_every_time(make_http) -> None:
    http = make_http(httpx.Response(200, json=[2]))
    calls: list[int] = []

    def total(data: list[int]) -> int:
        calls.append(1)
        return sum(data)

    assert (await http.get("/x")).derived("sum", total) == 2
    assert (await http.get("/x")).derived("sum", total) == 2
    assert len(calls) == 2


async def test_a_url_no_poll_asked_for_lately_is_forgotten(make_http, sent, clock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=request.url.path, headers={"ETag": '"v1"'})

    http = make_http(answer)
    await http.get("/runs/1/jobs")
    await clock.advance(http_module.CACHE_IDLE_S - 1)
    await http.get("/runs/2/jobs")  # still fresh enough: /runs/1/jobs is kept
    await http.get("/runs/1/jobs")
    assert sent[-1].headers["if-none-match"] == '"v1"'
    await clock.advance(http_module.CACHE_IDLE_S + 1)
    await http.get("/runs/3/jobs")  # the others went unasked for too long
    await http.get("/runs/2/jobs")
    assert "if-none-match" not in sent[-1].headers


async def test_the_cache_never_holds_more_than_its_bound(make_http, sent, monkeypatch) -> None:
    monkeypatch.setattr(http_module, "CACHE_MAX_ENTRIES", 2)
    http = make_http(httpx.Response(200, json=1, headers={"ETag": '"v1"'}))
    for run in (1, 2, 3):
        await http.get(f"/runs/{run}")
    await http.get("/runs/1")  # the oldest was dropped for the newest
    assert "if-none-match" not in sent[-1].headers
    await http.get("/runs/3")
    assert sent[-1].headers["if-none-match"] == '"v1"'


async def test_json_the_fast_parser_refuses_is_still_read(make_http) -> None:
    http = make_http(httpx.Response(200, content=b'{"value": NaN, "id": 12}'))
    data = (await http.get("/x")).json()
    assert data["id"] == 12
    assert data["value"] != data["value"]  # NaN, as Python's own parser reads it


async def test_the_cache_is_per_url_including_the_query(make_http, sent) -> None:
    http = make_http(httpx.Response(200, json=1, headers={"ETag": '"v1"'}))
    await http.get("/runs", params={"page": 1})
    await http.get("/runs", params={"page": 2})
    assert "if-none-match" not in sent[1].headers


async def test_unconditional_requests_send_no_validators(make_http, sent) -> None:
    http = make_http(httpx.Response(200, json=1, headers={"ETag": '"v1"'}))
    await http.get("/x")
    await http.get("/x", conditional=False)
    assert "if-none-match" not in sent[1].headers


async def test_auth_headers_are_sent_and_absolute_urls_kept(make_http, sent) -> None:
    http = make_http(httpx.Response(200, json={}))
    http.headers["Authorization"] = "Bearer t0ken"
    await http.get("https://other.test/api/x")
    assert str(sent[0].url) == "https://other.test/api/x"
    assert sent[0].headers["authorization"] == "Bearer t0ken"


# -- rate limits -----------------------------------------------------------------------------


async def test_github_rate_limit_headers_are_parsed(make_http, clock) -> None:
    reset = int((clock.now() + timedelta(minutes=30)).timestamp())
    headers = {
        "x-ratelimit-remaining": "4812",
        "x-ratelimit-limit": "5000",
        "x-ratelimit-reset": str(reset),
    }
    http = make_http(httpx.Response(200, json={}, headers=headers))
    await http.get("/x")
    assert http.rate_limit is not None
    assert (http.rate_limit.remaining, http.rate_limit.limit) == (4812, 5000)
    assert http.rate_limit.reset_at == datetime.fromtimestamp(reset, UTC)


async def test_gitlab_rate_limit_headers_are_parsed(make_http, clock) -> None:
    reset = int((clock.now() + timedelta(seconds=60)).timestamp())
    headers = {
        "RateLimit-Remaining": "1999",
        "RateLimit-Limit": "2000",
        "RateLimit-Reset": str(reset),
    }
    http = make_http(httpx.Response(200, json={}, headers=headers))
    await http.get("/x")
    assert http.rate_limit is not None
    assert (http.rate_limit.remaining, http.rate_limit.limit) == (1999, 2000)
    assert http.rate_limit.reset_at == clock.now() + timedelta(seconds=60)


async def test_rate_limit_is_updated_by_a_304(make_http) -> None:
    http = make_http(
        httpx.Response(
            200,
            json={},
            headers={"ETag": "a", "x-ratelimit-remaining": "10", "x-ratelimit-limit": "60"},
        ),
        httpx.Response(304, headers={"x-ratelimit-remaining": "10", "x-ratelimit-limit": "60"}),
    )
    await http.get("/x")
    http.rate_limit = None
    await http.get("/x")
    assert http.rate_limit is not None and http.rate_limit.remaining == 10


async def test_a_garbage_reset_header_does_not_crash_the_poll(make_http) -> None:
    headers = {
        "x-ratelimit-remaining": "1",
        "x-ratelimit-limit": "60",
        "x-ratelimit-reset": "1795000000000",
    }
    http = make_http(httpx.Response(200, json={}, headers=headers))
    await http.get("/x")
    assert http.rate_limit is not None and http.rate_limit.reset_at is None


# -- typed errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (401, ErrorKind.AUTH, "refused our credentials (HTTP 401)"),
        (403, ErrorKind.AUTH, "refused our credentials (HTTP 403)"),
        (404, ErrorKind.NOT_FOUND, "does not exist (HTTP 404)"),
        (500, ErrorKind.BAD_RESPONSE, "HTTP 500"),
        (502, ErrorKind.UNREACHABLE, "HTTP 502"),
        (503, ErrorKind.UNREACHABLE, "HTTP 503"),
    ],
)
async def test_http_errors_are_typed(make_http, status, kind, words) -> None:
    error = await failure(make_http(httpx.Response(status, text="nope")), params={"per_page": 5})
    assert error.kind is kind
    assert words in error.message
    assert f"{BASE}/repos/acme/checkout" in error.message
    assert "per_page" not in error.message, "the query string is not shown"
    assert error.hint


async def test_403_with_an_exhausted_budget_is_rate_limited_until_the_reset(
    make_http, clock
) -> None:
    reset = int((clock.now() + timedelta(seconds=300)).timestamp())
    headers = {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-limit": "5000",
        "x-ratelimit-reset": str(reset),
    }
    http = make_http(
        httpx.Response(403, json={"message": "API rate limit exceeded"}, headers=headers)
    )
    error = await failure(http)
    assert error.kind is ErrorKind.RATE_LIMITED
    assert "rate limited" in error.message and "HTTP 403" in error.message
    assert error.retry_after_s == 300.0
    assert http.rate_limit is not None and http.rate_limit.remaining == 0


async def test_403_with_retry_after_is_a_secondary_rate_limit(make_http) -> None:
    error = await failure(make_http(httpx.Response(403, headers={"Retry-After": "60"})))
    assert error.kind is ErrorKind.RATE_LIMITED
    assert error.retry_after_s == 60.0


async def test_429_with_retry_after_seconds(make_http) -> None:
    error = await failure(make_http(httpx.Response(429, headers={"Retry-After": "30"})))
    assert error.kind is ErrorKind.RATE_LIMITED
    assert "HTTP 429" in error.message
    assert error.retry_after_s == 30.0


async def test_429_with_retry_after_http_date(make_http, clock) -> None:
    when = format_datetime(clock.now() + timedelta(seconds=120), usegmt=True)
    error = await failure(make_http(httpx.Response(429, headers={"Retry-After": when})))
    assert error.kind is ErrorKind.RATE_LIMITED
    assert error.retry_after_s == 120.0


async def test_503_passes_retry_after_on(make_http) -> None:
    error = await failure(make_http(httpx.Response(503, headers={"Retry-After": "45"})))
    assert error.kind is ErrorKind.UNREACHABLE
    assert error.retry_after_s == 45.0


async def test_an_html_login_page_where_json_was_expected(make_http) -> None:
    page = httpx.Response(200, content=LOGIN_PAGE, headers={"Content-Type": "text/html"})
    error = await failure(make_http(page))
    assert error.kind is ErrorKind.BAD_RESPONSE
    assert "HTML" in error.message and "not JSON" in error.message
    assert "points at the API" in error.hint


async def test_html_is_recognised_without_a_content_type(make_http) -> None:
    error = await failure(make_http(httpx.Response(200, content=LOGIN_PAGE)))
    assert "HTML" in error.message


async def test_an_empty_body_where_json_was_expected(make_http) -> None:
    error = await failure(make_http(httpx.Response(200, content=b"")))
    assert error.kind is ErrorKind.BAD_RESPONSE
    assert "empty body" in error.message


async def test_an_oversized_body_is_refused(make_http, monkeypatch) -> None:
    monkeypatch.setattr(http_module, "MAX_JSON_BYTES", 10)
    error = await failure(make_http(httpx.Response(200, json=list(range(100)))))
    assert error.kind is ErrorKind.BAD_RESPONSE
    assert "more than the 10 bytes" in error.message


async def test_a_redirect_to_a_login_page_is_not_followed(make_http) -> None:
    redirect = httpx.Response(302, headers={"Location": "https://sso.example.test/login"})
    error = await failure(make_http(redirect))
    assert error.kind is ErrorKind.BAD_RESPONSE
    assert "redirected to https://sso.example.test/login" in error.message
    assert "login page" in error.message


async def test_a_followed_redirect_that_lands_on_a_login_page(make_http, sent) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login":
            return httpx.Response(200, content=LOGIN_PAGE, headers={"Content-Type": "text/html"})
        return httpx.Response(302, headers={"Location": f"{BASE}/login"})

    error = await failure(make_http(answer), follow_redirects=True)
    assert [r.url.path for r in sent] == ["/repos/acme/checkout", "/login"]
    assert error.kind is ErrorKind.BAD_RESPONSE
    assert "HTML" in error.message


@pytest.mark.parametrize(
    ("exception", "kind", "words"),
    [
        (httpx.ReadTimeout("timed out"), ErrorKind.TIMEOUT, "did not answer within 5s"),
        (httpx.ConnectTimeout("timed out"), ErrorKind.TIMEOUT, "did not answer within 5s"),
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            ErrorKind.UNREACHABLE,
            "Connection refused",
        ),
        (httpx.ReadError("connection reset"), ErrorKind.UNREACHABLE, "cannot connect"),
        (
            httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            ),
            ErrorKind.BAD_RESPONSE,
            "broke the connection mid-response",
        ),
    ],
)
async def test_transport_failures_are_typed(make_http, exception, kind, words) -> None:
    http = make_http(exception)
    error = await failure(http)
    assert error.kind is kind
    assert words in error.message
    assert BASE in error.message
    assert http.requests == 1


async def test_non_get_requests_are_typed_and_never_cached(make_http, sent) -> None:
    http = make_http(
        httpx.Response(201, json={"ok": True}, headers={"ETag": "x"}),
        httpx.Response(404),
    )
    result = await http.request("POST", "/rerun", json_body={"a": 1})
    assert result.status == 201 and result.json() == {"ok": True}
    assert sent[0].method == "POST" and sent[0].content == b'{"a":1}'
    with pytest.raises(SourceError) as caught:
        await http.request("POST", "/rerun")
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert "if-none-match" not in sent[1].headers


def test_an_older_response_never_raises_the_remaining_budget() -> None:
    from datetime import UTC, datetime

    from cockpit.engine.http import newer_budget
    from cockpit.models import RateLimit

    reset = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    newest = RateLimit(remaining=4990, limit=5000, reset_at=reset)
    older = RateLimit(remaining=4995, limit=5000, reset_at=reset)
    assert newer_budget(newest, older) is newest
    assert newer_budget(older, newest) is newest
    next_window = RateLimit(remaining=5000, limit=5000, reset_at=reset.replace(hour=12))
    assert newer_budget(newest, next_window) is next_window


async def test_a_shared_limiter_bounds_requests_in_flight() -> None:
    import asyncio

    from cockpit.clock import FakeClock
    from cockpit.engine.http import SourceHttp

    in_flight = peak = 0
    release = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await release.wait()
        in_flight -= 1
        return httpx.Response(200, json={})

    limiter = asyncio.Semaphore(3)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        sources = [
            SourceHttp(client, f"s{i}", "http://x.test", clock=FakeClock(), limiter=limiter)
            for i in range(4)
        ]
        tasks = [asyncio.create_task(s.get(f"/{n}")) for s in sources for n in range(5)]
        for _ in range(50):
            await asyncio.sleep(0)
        assert peak == 3
        release.set()
        await asyncio.gather(*tasks)
    assert peak == 3
