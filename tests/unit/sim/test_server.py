"""The loopback server framework: routing, validators, silence, and a clean stop."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx
import pytest

from cockpit.sim.server import (
    Request,
    Response,
    Router,
    SimServer,
    conditional,
    http_date,
    strong_etag,
)

from .conftest import TLS


def _sim_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sim-") and t.is_alive()]


def _request(**headers: str) -> Request:
    return Request("GET", "/x", {}, {k.replace("_", "-"): v for k, v in headers.items()})


@pytest.fixture
def router() -> Router:
    router = Router()
    router.get(r"/hello/(?P<name>\w+)", lambda r: Response.json({"hi": r.params["name"]}))
    router.add("POST", r"/echo", lambda r: Response(201, {"X-Len": str(len(r.body))}, r.body))
    router.get(r"/boom", lambda r: 1 / 0)  # type: ignore[arg-type,return-value]
    router.get(r"/query", lambda r: Response.json(dict(r.query)))
    return router


def test_serves_routes_on_loopback_with_an_ephemeral_port(router: Router) -> None:
    with SimServer(router, name="t") as server:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        with httpx.Client(base_url=server.url, verify=TLS) as client:
            assert client.get("/hello/ada").json() == {"hi": "ada"}
            posted = client.post("/echo", content=b"abc")
            assert (posted.status_code, posted.headers["x-len"], posted.content) == (
                201,
                "3",
                b"abc",
            )
            assert client.get("/query", params={"a": "1", "b": ""}).json() == {"a": "1", "b": ""}
            missing = client.get("/nope")
            assert missing.status_code == 404


def test_head_uses_a_head_route_or_the_get_route_without_body(router: Router) -> None:
    router.add("HEAD", r"/only-head", lambda r: Response(204, {"X-Head": "1"}))
    with SimServer(router) as server, httpx.Client(base_url=server.url, verify=TLS) as client:
        via_get = client.head("/hello/ada")
        assert (via_get.status_code, via_get.content) == (200, b"")
        assert int(via_get.headers["content-length"]) == len(b'{"hi":"ada"}')
        assert client.head("/only-head").headers["x-head"] == "1"


def test_a_failing_handler_answers_500_and_keeps_serving(router: Router) -> None:
    with SimServer(router) as server, httpx.Client(base_url=server.url, verify=TLS) as client:
        response = client.get("/boom")
        assert response.status_code == 500 and "ZeroDivisionError" in response.json()["message"]
        assert client.get("/hello/again").status_code == 200


def test_nothing_is_written_to_stderr_or_stdout(
    router: Router, capfd: pytest.CaptureFixture[str]
) -> None:
    with SimServer(router) as server, httpx.Client(base_url=server.url, verify=TLS) as client:
        client.get("/hello/x")
        client.get("/nope")
        client.get("/boom")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_stop_leaves_no_thread_even_with_an_open_keep_alive_client(router: Router) -> None:
    before = _sim_threads()
    server = SimServer(router, name="stoptest").start()
    client = httpx.Client(base_url=server.url, verify=TLS)
    assert client.get("/hello/x").status_code == 200  # the connection stays open (keep-alive)
    assert any(t.name == "sim-stoptest-conn" for t in _sim_threads())
    server.stop()
    assert _sim_threads() == before
    assert not server.running
    server.stop()  # twice is fine
    with pytest.raises(httpx.TransportError):
        client.get("/hello/x")
    client.close()


def test_url_needs_a_started_server() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = SimServer().url


def test_strong_etag_is_a_quoted_hash() -> None:
    tag = strong_etag(b"body")
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert tag == strong_etag(b"body") != strong_etag(b"other")


@pytest.mark.parametrize(
    "if_none_match",
    ["{tag}", "W/{tag}", '"nope", {tag}', "*"],
    ids=["exact", "weak-form", "in-list", "star"],
)
def test_matching_if_none_match_answers_304_without_body(if_none_match: str) -> None:
    tag = strong_etag(b'{"a":1}')
    request = _request(if_none_match=if_none_match.format(tag=tag))
    answer = conditional(request, Response(200, {"X-Keep": "1"}, b'{"a":1}'))
    assert (answer.status, answer.body, answer.headers["ETag"]) == (304, b"", tag)
    assert answer.headers["X-Keep"] == "1"


def test_a_stale_etag_gets_the_full_body() -> None:
    answer = conditional(_request(if_none_match='"old"'), Response(200, {}, b"new"))
    assert (answer.status, answer.body) == (200, b"new")
    assert answer.headers["ETag"] == strong_etag(b"new")


def test_if_modified_since() -> None:
    modified = datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC)
    same = conditional(
        _request(if_modified_since=http_date(modified)),
        Response(200, {}, b"x"),
        last_modified=modified,
    )
    older = conditional(
        _request(if_modified_since="Mon, 23 Nov 2026 10:00:00 GMT"),
        Response(200, {}, b"x"),
        last_modified=modified,
    )
    assert same.status == 304 and same.headers["Last-Modified"] == "Mon, 23 Nov 2026 10:00:30 GMT"
    assert older.status == 200


def test_if_none_match_wins_over_if_modified_since() -> None:
    """RFC 9110 13.2.2: with If-None-Match present, If-Modified-Since is ignored."""
    modified = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    request = _request(if_none_match='"stale"', if_modified_since=http_date(modified))
    answer = conditional(request, Response(200, {}, b"x"), last_modified=modified)
    assert answer.status == 200


def test_errors_are_never_made_conditional() -> None:
    answer = conditional(_request(if_none_match="*"), Response(404, {}, b"nope"))
    assert (answer.status, "ETag" in answer.headers) == (404, False)
