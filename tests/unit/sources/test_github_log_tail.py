"""GitHub job logs: the 302 is followed, only the tail is kept, and the token stays home."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from cockpit.clock import FakeClock
from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.models import Job, PipelineRun, RunStatus
from cockpit.sources.ci.github import GitHubActionsAdapter, github_headers

LINE = b"2026-11-23T10:00:00.0000000Z some build output that goes on and on\n"
LINES = 300_000  # about 20 MB


async def big_log() -> AsyncIterator[bytes]:
    for _ in range(LINES // 1000):
        yield LINE * 1000
    yield b"##[error]Process completed with exit code 1.\n"


async def test_a_huge_log_is_streamed_and_only_its_tail_kept() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.github.test":
            return httpx.Response(302, headers={"Location": "https://blobs.test/log.txt?sig=x"})
        return httpx.Response(200, content=big_log())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        http = SourceHttp(
            client,
            "gh",
            "https://api.github.test",
            headers=github_headers("s3cret"),
            clock=FakeClock(),
        )
        source = Source(kind="github", url="https://api.github.test")
        target = CiTarget(source="gh", repo="acme/checkout")
        adapter = GitHubActionsAdapter("gh", source, [("checkout", target)], http)
        run = PipelineRun("checkout", "github", "1", "ci", RunStatus.FAILURE)
        text = await adapter.job_log(run, Job("7", "test", RunStatus.FAILURE), max_bytes=4096)

    assert len(text) <= 4096
    assert text.endswith("##[error]Process completed with exit code 1.\n")
    assert text.startswith("2026-11-23T10:00:00")  # cut at a line boundary
    storage = seen[-1]
    assert storage.url.host == "blobs.test"
    assert "authorization" not in storage.headers  # the token is never sent to the storage host
