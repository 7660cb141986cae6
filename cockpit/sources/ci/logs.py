"""Live, bounded job logs and re-runs: the optional capabilities of the GitLab and Jenkins adapters.

A CI log can be hundreds of megabytes and keeps growing while its job runs. The adapters read it
incrementally and never hold more than a bounded tail:

- the first read of a log returns at most its last `DEFAULT_TAIL_BYTES` (a `Range` suffix
  request on GitLab, a probe of `X-Text-Size` then `start=size-tail` on Jenkins);
- every later read asks for the new bytes only (`Range: bytes=N-`, `progressiveText?start=N`);
  a server that ignores the range is read through as a stream, skipping what was seen and
  keeping only a bounded tail of the rest;
- chunks end at line boundaries: a partial last line is carried in the cursor until its newline
  arrives (or the log ends), so no escape sequence or UTF-8 character is ever cut in half, and
  every chunk is sanitised (`cockpit.text.sanitize`) before it leaves the adapter.

`fetch_bounded` is the streaming GET both adapters use: `SourceHttp.get` reads whole bodies,
which is right for JSON and wrong for logs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import httpx

from cockpit.engine.http import SourceHttp
from cockpit.models import Job, PipelineRun
from cockpit.text import sanitize

DEFAULT_TAIL_BYTES = 64 * 1024
"""The most of a log one read keeps (and what triage classifies): the last 64 KiB."""

MAX_PENDING_BYTES = 16 * 1024
"""A partial line longer than this is emitted anyway rather than carried forever."""

MAX_ERROR_BODY = 64 * 1024
"""How much of an error answer is read, to recognise a login page or an error message."""


@dataclass(frozen=True, slots=True)
class LogCursor:
    """Where the next incremental read of one job's log starts.

    Attributes:
        job_id: The job (GitLab) or build number (Jenkins) the cursor belongs to.
        offset: Bytes of the remote log consumed so far (Jenkins: the last `X-Text-Size`).
        pending: The partial last line received so far, held back until its newline arrives.
    """

    job_id: str
    offset: int = 0
    pending: bytes = b""


@dataclass(frozen=True, slots=True)
class LogChunk:
    """What one incremental read produced.

    Attributes:
        text: The new complete lines, sanitised (newlines kept); may be empty.
        cursor: Pass it to the next read to get only what follows.
        more: The log may still grow (the job is running, or Jenkins said `X-More-Data`).
        skipped_bytes: Bytes of the log not read, to keep the read bounded (a huge log's head).
    """

    text: str
    cursor: LogCursor
    more: bool
    skipped_bytes: int = 0


@dataclass(frozen=True, slots=True)
class RerunResult:
    """What a re-run request started: the run (and job) to watch and where to see it."""

    run_id: str
    job_id: str = ""
    url: str = ""
    message: str = ""


@runtime_checkable
class SupportsLiveLog(Protocol):
    """A CI adapter whose `SUPPORTS_LIVE_LOG` is True: incremental reads of a job's log."""

    async def read_log(
        self, run: PipelineRun, job: Job, cursor: LogCursor | None = None
    ) -> LogChunk:
        """The log's bounded tail (no cursor), or only what was written since `cursor`."""
        ...


@runtime_checkable
class SupportsRerun(Protocol):
    """A CI adapter whose `SUPPORTS_RERUN` is True: re-run a run (or one job of it)."""

    async def rerun(self, run: PipelineRun, job: Job | None = None) -> RerunResult:
        """Ask the CI system to run `run` (or just `job`) again; raises `SourceError`."""
        ...


def chunk(
    job_id: str,
    previous: LogCursor | None,
    data: bytes,
    *,
    offset: int,
    more: bool,
    skipped: int = 0,
    restart: bool = False,
    clean: Callable[[bytes], bytes] | None = None,
) -> LogChunk:
    """Turn newly read bytes into complete, sanitised lines and the cursor for the next read.

    Args:
        job_id: The job the cursor belongs to.
        previous: The cursor the bytes were read from (None for a first read).
        data: The new bytes (already bounded).
        offset: The remote offset after these bytes.
        more: Whether the log may still grow; when it cannot, the partial last line is emitted.
        skipped: Bytes of the log skipped before `data`; the partial line they cut is dropped.
        restart: The remote log shrank or rolled over: forget the carried partial line.
        clean: A vendor filter applied to the bytes before sanitising (section markers, ...).
    """
    carried = b"" if previous is None or restart or skipped else previous.pending
    if skipped and data:
        newline = data.find(b"\n")
        data = data[newline + 1 :] if newline >= 0 else data
    buffer = carried + data
    cut = buffer.rfind(b"\n") + 1 if more else len(buffer)
    if more and len(buffer) - cut > MAX_PENDING_BYTES:
        cut = len(buffer)
    complete, pending = buffer[:cut], buffer[cut:]
    if clean is not None:
        complete = clean(complete)
    text = sanitize(complete, keep_newlines=True) if complete else ""
    return LogChunk(text, LogCursor(job_id, offset, pending), more, skipped)


@dataclass(frozen=True, slots=True)
class Fetched:
    """A streamed answer, read with bounded memory.

    Attributes:
        response: The response (its body already closed; read `data` instead).
        data: The last `keep` bytes of the body after `skip` (or the head of an error body).
        read: Body bytes received after the skipped ones.
        skipped: Body bytes skipped (fewer than asked when the body was shorter).
        dropped: Body bytes received but not kept (beyond `keep`, from the front).
        aborted: `stop` asked to close the response before its body was read.
    """

    response: httpx.Response
    data: bytes
    read: int = 0
    skipped: int = 0
    dropped: int = 0
    aborted: bool = False

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers


async def fetch_bounded(
    http: SourceHttp,
    path: str,
    *,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
    keep: int = DEFAULT_TAIL_BYTES,
    skip: int | Callable[[httpx.Response], int] = 0,
    stop: Callable[[httpx.Response], bool] | None = None,
    follow_redirects: bool = False,
) -> Fetched:
    """GET `path` as a stream: skip the first `skip` body bytes, keep only the last `keep`.

    `skip` may depend on the answer (a 206 needs no skipping, a 200 that ignored `Range` does).
    `stop` sees the headers first and may close the answer unread (a probe). Error answers
    (4xx/5xx) are returned with the head of their body; transport failures raise typed
    `SourceError`s naming the source, like every other request of the source.
    """
    request = http.client.build_request(
        "GET",
        http.url(path),
        params=params,
        headers={**http.headers, **(headers or {})},
        timeout=http.timeout,
    )
    http.requests += 1
    async with http.slot():
        return await _fetch(http, request, keep, skip, stop, follow_redirects)


async def _fetch(
    http: SourceHttp,
    request: httpx.Request,
    keep: int,
    skip: int | Callable[[httpx.Response], int],
    stop: Callable[[httpx.Response], bool] | None,
    follow_redirects: bool,
) -> Fetched:
    try:
        response = await http.client.send(request, stream=True, follow_redirects=follow_redirects)
    except httpx.HTTPError as exc:
        raise http.transport_error(request, exc) from exc
    try:
        http.observe_rate_limit(response)
        if response.status_code >= 400:
            return Fetched(response, await _head(response, MAX_ERROR_BODY))
        if stop is not None and stop(response):
            return Fetched(response, b"", aborted=True)
        to_skip = skip(response) if callable(skip) else skip
        return await _tail(response, to_skip, keep)
    except httpx.HTTPError as exc:
        raise http.transport_error(request, exc) from exc
    finally:
        await response.aclose()


async def _head(response: httpx.Response, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for part in response.aiter_bytes():
        parts.append(part)
        size += len(part)
        if size >= limit:
            break
    return b"".join(parts)[:limit]


async def _tail(response: httpx.Response, skip: int, keep: int) -> Fetched:
    kept = bytearray()
    read = skipped = dropped = 0
    async for part in response.aiter_bytes():
        if skipped < skip:
            cut = min(skip - skipped, len(part))
            part, skipped = part[cut:], skipped + cut
        read += len(part)
        kept += part
        if len(kept) > keep:
            excess = len(kept) - keep
            del kept[:excess]
            dropped += excess
    return Fetched(response, bytes(kept), read, skipped, dropped)
