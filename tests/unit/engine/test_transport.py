"""The aiohttp transport under httpx, against a raw HTTP/1.1 server on loopback.

The server writes bytes exactly as scripted, so each test controls the wire: bodies, encodings,
truncation, silence. What httpx sees must be what its own transport would have given it.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.engine.http import SourceHttp
from cockpit.engine.transport import AiohttpTransport
from cockpit.errors import ErrorKind, SourceError
from cockpit.sources.ci.logs import fetch_bounded


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Script = Callable[[Seen, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawServer:
    """Answers every request with `script`; records requests and connections."""

    script: Script
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    url: str = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while request := await _read_request(reader):
                self.seen.append(request)
                await self.script(request, writer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Seen | None:
    head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
    if not head:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Seen(method, path, headers, body)


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    reason = {200: "OK", 302: "Found", 304: "Not Modified"}.get(status, "X")
    lines = [f"HTTP/1.1 {status} {reason}"]
    all_headers = {"Content-Length": str(len(body)), **(headers or {})}
    lines += [f"{name}: {value}" for name, value in all_headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Script], Awaitable[RawServer]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> RawServer:
        raw = RawServer(script)
        server = await asyncio.start_server(raw.serve, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        raw.url = f"http://127.0.0.1:{port}"
        return raw

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=AiohttpTransport(max_connections=4)) as shared:
        yield shared


def source(client: httpx.AsyncClient, url: str, timeout: float = 5.0) -> SourceHttp:
    return SourceHttp(client, "gh", url, clock=FakeClock(), timeout=timeout)


async def test_a_body_headers_and_status_arrive_as_sent(serve, client) -> None:
    async def script(seen: Seen, writer: asyncio.StreamWriter) -> None:
        body = json.dumps({"path": seen.path}).encode()
        writer.write(answer(200, body, {"ETag": '"v1"', "Link": "<a>", "X-Multi": "one"}))

    server = await serve(script)
    response = await client.get(f"{server.url}/runs", params={"page": 2}, headers={"X-Mine": "1"})
    assert response.status_code == 200
    assert response.json() == {"path": "/runs?page=2"}
    assert response.headers["etag"] == '"v1"'
    assert server.seen[0].headers["x-mine"] == "1"
    assert response.reason_phrase == "OK"


async def test_a_304_round_trip_through_source_http(serve, client) -> None:
    async def script(seen: Seen, writer: asyncio.StreamWriter) -> None:
        if seen.headers.get("if-none-match") == '"v1"':
            writer.write(answer(304, headers={"ETag": '"v1"'}))
        else:
            writer.write(answer(200, b"[1, 2]", {"ETag": '"v1"'}))

    server = await serve(script)
    http = source(client, server.url)
    first = await http.get("/x")
    second = await http.get("/x")
    assert second.from_cache and second.json() == [1, 2] == first.json()
    assert server.connections == 1, "the connection is kept alive and reused"


async def test_a_compressed_body_is_decoded_by_httpx(serve, client) -> None:
    async def script(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(200, gzip.compress(b'{"ok": true}'), {"Content-Encoding": "gzip"}))

    server = await serve(script)
    response = await client.get(server.url + "/x")
    assert "gzip" in server.seen[0].headers["accept-encoding"]
    assert response.json() == {"ok": True}


async def test_a_posted_body_and_its_headers_reach_the_server(serve, client) -> None:
    async def script(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(201))

    server = await serve(script)
    response = await client.post(server.url + "/rerun", json={"enable_debug_logging": False})
    assert response.status_code == 201
    assert json.loads(server.seen[0].body) == {"enable_debug_logging": False}
    assert server.seen[0].headers["content-type"] == "application/json"


async def test_redirects_are_httpxs_to_follow_and_cookies_its_to_keep(serve, client) -> None:
    async def script(seen: Seen, writer: asyncio.StreamWriter) -> None:
        if seen.path == "/start":
            writer.write(answer(302, headers={"Location": "/end", "Set-Cookie": "JSESSIONID=s1"}))
        else:
            writer.write(answer(200, b"end"))

    server = await serve(script)
    unfollowed = await client.get(server.url + "/start")
    assert unfollowed.status_code == 302
    followed = await client.get(server.url + "/start", follow_redirects=True)
    assert followed.text == "end"
    assert server.seen[-1].headers["cookie"] == "JSESSIONID=s1"


async def test_a_refused_connection_is_unreachable(client) -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(SourceError) as caught:
        await source(client, f"http://127.0.0.1:{port}").get("/x")
    assert caught.value.kind is ErrorKind.UNREACHABLE
    assert caught.value.message.startswith(f"gh: cannot connect to http://127.0.0.1:{port}")


async def test_a_silent_server_times_out(serve, client) -> None:
    async def script(seen: Seen, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    server = await serve(script)
    with pytest.raises(SourceError) as caught:
        await source(client, server.url, timeout=0.2).get("/x")
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert "did not answer within 0.2s" in caught.value.message


async def test_a_body_cut_short_is_a_broken_response(serve, client) -> None:
    async def script(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"runs": [')
        await writer.drain()
        writer.close()

    server = await serve(script)
    with pytest.raises(SourceError) as caught:
        await source(client, server.url).get("/x")
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "broke the connection mid-response" in caught.value.message


async def test_a_stream_left_half_read_does_not_spoil_the_next_request(serve, client) -> None:
    log = b"".join(b"line %d\n" % n for n in range(20_000))

    async def script(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(answer(200, log if seen.path == "/log" else b"[]"))

    server = await serve(script)
    http = source(client, server.url)
    fetched = await fetch_bounded(http, "/log", keep=1000)
    assert fetched.data.endswith(b"line 19999\n")
    assert len(fetched.data) <= 1000
    probe = await fetch_bounded(http, "/log", stop=lambda response: True)  # closed unread
    assert probe.data == b""
    assert (await http.get("/after")).json() == []
