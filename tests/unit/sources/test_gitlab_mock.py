"""The GitLab CI adapter against httpx.MockTransport with recorded-shape bodies.

Bodies start from the GitLab sim's builders (which follow GitLab's documented fields) for the
scenario's ledger pipeline and are edited per test, so every fixture has GitLab's shape.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus
from cockpit.sim import gitlab_payloads as payloads
from cockpit.sim.scenario import Scenario
from cockpit.sources.ci.gitlab import GitLabCIAdapter, gitlab_headers, map_status

from .conftest import START

BASE = "https://gitlab.example.com"
API = f"{BASE}/api/v4/projects/acme%2Fledger"
SHA = "a" * 40
Handler = Callable[[httpx.Request], httpx.Response]


def _recorded() -> tuple[dict[str, Any], dict[str, Any]]:
    scenario = Scenario(FakeClock(START))
    plan = scenario.ci_runs("ledger", scenario.at(200))[0].plan
    view = payloads.pipeline_view(scenario, plan, scenario.at(200))
    item = payloads.pipeline_item(view, 4204, "acme/ledger", BASE)
    job = payloads.job(view.jobs[3], view, 4204, "acme/ledger", BASE, scenario.at(200))
    return item, job


_PIPELINE, _JOB = _recorded()


def pipeline(
    pid: int, status: str = "success", sha: str = SHA, seconds: int = 300
) -> dict[str, Any]:
    body = copy.deepcopy(_PIPELINE)
    created = START - timedelta(hours=1) + timedelta(minutes=pid)
    body.update(
        id=pid, iid=pid, status=status, sha=sha, web_url=f"{BASE}/acme/ledger/-/pipelines/{pid}"
    )
    body.update(
        created_at=payloads.ts(created),
        updated_at=payloads.ts(created + timedelta(seconds=seconds)),
    )
    return body


def job(jid: int, name: str, status: str, **overrides: Any) -> dict[str, Any]:
    body = copy.deepcopy(_JOB)
    body.update(id=jid, name=name, status=status, web_url=f"{BASE}/acme/ledger/-/jobs/{jid}")
    if status != "failed":
        body.pop("failure_reason", None)
    body.update(overrides)
    return body


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        json=body,
        headers={"RateLimit-Limit": "2000", "RateLimit-Remaining": "1990", **(headers or {})},
    )


@dataclass
class Mock:
    adapter: GitLabCIAdapter
    seen: list[httpx.Request] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [r.url.raw_path.decode() for r in self.seen]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def mock(clock: FakeClock) -> Iterator[Callable[..., Mock]]:
    def factory(handler: Handler, *, target: CiTarget | None = None, **kwargs: Any) -> Mock:
        made = Mock(adapter=None)  # type: ignore[arg-type]

        def recording(request: httpx.Request) -> httpx.Response:
            made.seen.append(request)
            return handler(request)

        client = httpx.AsyncClient(transport=httpx.MockTransport(recording))
        http = SourceHttp(client, "gl", BASE, headers=gitlab_headers("t0ken"), clock=clock)
        target = target or CiTarget(source="gl", project="acme/ledger", branch="main")
        made.adapter = GitLabCIAdapter(
            "gl", Source(kind="gitlab", url=BASE), [("ledger", target)], http, **kwargs
        )
        return made

    yield factory


def _run(**overrides: Any) -> PipelineRun:
    values: dict[str, Any] = {
        "service": "ledger",
        "provider": "gitlab",
        "run_id": "7",
        "name": "pipeline",
        "status": RunStatus.RUNNING,
    }
    values.update(overrides)
    return PipelineRun(**values)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("created", RunStatus.QUEUED),
        ("waiting_for_resource", RunStatus.QUEUED),
        ("preparing", RunStatus.QUEUED),
        ("pending", RunStatus.QUEUED),
        ("scheduled", RunStatus.QUEUED),
        ("manual", RunStatus.QUEUED),
        ("running", RunStatus.RUNNING),
        ("success", RunStatus.SUCCESS),
        ("failed", RunStatus.FAILURE),
        ("canceled", RunStatus.CANCELLED),
        ("canceling", RunStatus.CANCELLED),
        ("skipped", RunStatus.CANCELLED),
        ("frobnicated", RunStatus.UNKNOWN),
        (None, RunStatus.UNKNOWN),
    ],
)
async def test_status_mapping(
    status: str | None, expected: RunStatus, mock: Callable[..., Mock]
) -> None:
    assert map_status(status) is expected
    listed = pipeline(9, status="success")
    listed["status"] = status
    m = mock(
        lambda request: (
            respond([listed]) if request.url.path.endswith("/pipelines") else respond([])
        )
    )
    (run,) = (await m.adapter.poll()).pipelines
    assert run.status is expected


async def test_the_listing_request_follows_the_docs(mock: Callable[..., Mock]) -> None:
    m = mock(lambda request: respond([pipeline(1)]))
    await m.adapter.poll()
    (request,) = m.seen
    assert request.url.raw_path.decode().startswith("/api/v4/projects/acme%2Fledger/pipelines?")
    assert dict(request.url.params) == {
        "per_page": "20",
        "order_by": "id",
        "sort": "desc",
        "ref": "main",
    }
    assert request.headers["PRIVATE-TOKEN"] == "t0ken"


async def test_x_next_page_is_followed_for_three_pages(mock: Callable[..., Mock]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        items = [pipeline(100 - (page - 1) * 20 - i) for i in range(20 if page < 3 else 10)]
        return respond(
            items, headers={"X-Page": str(page), "X-Next-Page": str(page + 1) if page < 3 else ""}
        )

    m = mock(handler, history=50)
    (run,) = (await m.adapter.poll()).pipelines
    assert [r.url.params.get("page") for r in m.seen] == [None, "2", "3"]
    assert run.run_id == "100" and len(run.recent_outcomes) == 49


async def test_a_link_header_wins_and_is_kept_on_our_origin(mock: Callable[..., Mock]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return respond([pipeline(1)])
        url = "https://evil.example.net/api/v4/projects/acme%2Fledger/pipelines?page=2&per_page=1"
        link = f'<{url}>; rel="next"'
        return respond([pipeline(2)], headers={"Link": link, "X-Next-Page": "9"})

    m = mock(handler, history=2)
    await m.adapter.poll()
    assert [r.url.host for r in m.seen] == ["gitlab.example.com", "gitlab.example.com"]
    assert m.seen[1].url.params["page"] == "2"


async def test_an_unchanged_listing_is_a_304_reusing_the_cached_body(
    mock: Callable[..., Mock],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == 'W/"v1"':
            return httpx.Response(304, headers={"ETag": 'W/"v1"'})
        return respond([pipeline(5)], headers={"ETag": 'W/"v1"'})

    m = mock(handler)
    first = await m.adapter.poll()
    second = await m.adapter.poll()
    assert second == first and m.adapter.http.not_modified == 1
    assert m.seen[1].headers["If-None-Match"] == 'W/"v1"'


async def test_remote_text_is_sanitised(mock: Callable[..., Mock]) -> None:
    listed = pipeline(3, status="running")
    listed["ref"] = "main\x1b]0;pwned\x07"
    jobs = [job(31, "build \x1b[31mred\x1b[0m\u009b2J", "running")]

    def handler(request: httpx.Request) -> httpx.Response:
        return respond(jobs if request.url.path.endswith("/jobs") else [listed])

    m = mock(handler)
    (run,) = (await m.adapter.poll()).pipelines
    assert run.branch == "main" and run.running_step == "build red"
    assert all("\x1b" not in j.name and "\x9b" not in j.name for j in run.jobs)


# Logs -----------------------------------------------------------------------------------


def _trace_server(log: bytearray, *, ranges: bool) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        data = bytes(log)
        wanted = request.headers.get("range", "")
        if not ranges or not wanted:
            return httpx.Response(200, content=data)
        first, _, last = wanted.removeprefix("bytes=").partition("-")
        start = max(0, len(data) - int(last)) if first == "" else int(first)
        if start >= len(data):
            return httpx.Response(416, headers={"Content-Range": f"bytes */{len(data)}"})
        return httpx.Response(
            206,
            content=data[start:],
            headers={"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"},
        )

    return handler


@pytest.mark.parametrize("ranges", [True, False], ids=["range", "sliced"])
async def test_incremental_reads_fetch_and_return_only_new_bytes(
    mock: Callable[..., Mock], ranges: bool
) -> None:
    log = bytearray(
        b"$ make test\nsection_start:1:step_script\r\x1b[0Kcompiling\n\x1b[32mok\x1b[0m par"
    )
    m = mock(_trace_server(log, ranges=ranges))
    running = Job("31", "test", RunStatus.RUNNING)
    first = await m.adapter.read_log(_run(), running)
    assert (
        first.text == "$ make test\ncompiling\n"
        and first.cursor.pending == b"\x1b[32mok\x1b[0m par"
    )
    assert m.seen[-1].headers["range"] == f"bytes=-{m.adapter.tail_bytes}"
    seen_before = len(log)
    log += b"tial line\nnext \xff\xfe line\n"
    second = await m.adapter.read_log(_run(), running, first.cursor)
    assert first.cursor.offset == seen_before
    assert m.seen[-1].headers["range"] == f"bytes={seen_before}-"
    assert second.text == "ok partial line\nnext \ufffd\ufffd line\n"
    assert second.cursor.offset == len(log) and second.cursor.pending == b""
    third = await m.adapter.read_log(_run(), running, second.cursor)
    assert third.text == "" and third.cursor.offset == len(log)
    done = await m.adapter.read_log(_run(), Job("31", "test", RunStatus.SUCCESS), third.cursor)
    assert not done.more


async def test_a_log_that_shrank_is_read_again_from_its_tail(mock: Callable[..., Mock]) -> None:
    log = bytearray(b"old line one\nold line two\n")
    m = mock(_trace_server(log, ranges=True))
    running = Job("31", "test", RunStatus.RUNNING)
    first = await m.adapter.read_log(_run(), running)
    log[:] = b"fresh\n"  # erased and restarted
    again = await m.adapter.read_log(_run(), running, first.cursor)
    assert again.text == "fresh\n" and again.cursor.offset == 6


async def test_a_100_mb_trace_is_streamed_and_only_its_tail_kept(mock: Callable[..., Mock]) -> None:
    chunk = (b"x" * 1023 + b"\n") * 1024  # 1 MiB of lines

    async def body() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield chunk
        yield b"ERROR: Job failed: exit code 137\n"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body())  # ignores Range: the whole trace

    m = mock(handler, tail_bytes=64 * 1024)
    read = await m.adapter.read_log(_run(), Job("31", "test", RunStatus.FAILURE))
    assert read.text.endswith("ERROR: Job failed: exit code 137\n")
    assert len(read.text) <= 64 * 1024 and read.skipped_bytes > 99 * 1024 * 1024
    assert read.cursor.offset == 100 * len(chunk) + 33


async def test_a_queued_job_has_no_log_yet(mock: Callable[..., Mock]) -> None:
    m = mock(lambda request: respond({"message": "404 Not Found"}, 404))
    read = await m.adapter.read_log(_run(), Job("31", "test", RunStatus.QUEUED))
    assert (read.text, read.more) == ("", True)
    with pytest.raises(SourceError) as caught:
        await m.adapter.job_log(_run(), Job("31", "test", RunStatus.SUCCESS))
    assert caught.value.kind is ErrorKind.NOT_FOUND


# Triage ---------------------------------------------------------------------------------


def _failed_world(
    history: list[dict[str, Any]], jobs: list[dict[str, Any]], trace: bytes
) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/trace"):
            return httpx.Response(200, content=trace)
        if request.url.path.endswith("/jobs"):
            return respond(jobs)
        return respond([pipeline(12, "failed"), *history])

    return handler


async def test_a_failure_whose_same_sha_rerun_passed_is_flaky(mock: Callable[..., Mock]) -> None:
    trace = b"$ pytest\nFAILED tests/test_api.py::test_sync - AssertionError: assert 1 == 2\n"
    world = _failed_world(
        [pipeline(11, "success"), pipeline(10, "success", sha="b" * 40)],
        [job(121, "test", "failed")],
        trace,
    )
    m = mock(world)
    (run,) = (await m.adapter.poll()).pipelines
    assert run.triage is not None and run.triage.failure_class == "flaky"
    assert (
        run.triage.evidence[0]
        == f"history: the job passed on attempt 1 of the same commit {SHA[:7]}"
    )
    assert any("AssertionError" in line for line in run.triage.evidence)
    traces = [r for r in m.seen if r.url.path.endswith("/trace")]
    assert [r.url.raw_path for r in traces] == [b"/api/v4/projects/acme%2Fledger/jobs/121/trace"]
    await m.adapter.poll()
    assert len([r for r in m.seen if r.url.path.endswith("/trace")]) == 1, "triaged once"


async def test_a_code_failure_names_the_author(mock: Callable[..., Mock]) -> None:
    trace = b"FAILED tests/test_api.py::test_sync - AssertionError: assert 1 == 2\n"
    m = mock(
        _failed_world([pipeline(11, "success", sha="c" * 40)], [job(121, "test", "failed")], trace)
    )
    (run,) = (await m.adapter.poll()).pipelines
    assert run.triage is not None and run.triage.failure_class == "code"
    assert _JOB["commit"]["author_name"] in run.triage.action


async def test_a_silent_runner_failure_is_infra_from_failure_reason(
    mock: Callable[..., Mock],
) -> None:
    failed = job(121, "test", "failed", failure_reason="runner_system_failure")
    m = mock(_failed_world([], [failed], b"Preparing environment\n"))
    (run,) = (await m.adapter.poll()).pipelines
    assert run.triage is not None and run.triage.failure_class == "infra"
    assert run.triage.evidence[0] == "GitLab failure_reason: runner_system_failure"


async def test_an_allowed_failure_is_not_the_cause(mock: Callable[..., Mock]) -> None:
    jobs = [job(120, "lint", "failed", allow_failure=True), job(121, "test", "failed")]
    m = mock(_failed_world([], jobs, b"ERROR: Job failed: exit code 137\n"))
    (run,) = (await m.adapter.poll()).pipelines
    assert run.triage is not None and run.triage.failure_class == "infra"
    assert [r.url.path.rsplit("/", 2)[-2] for r in m.seen if r.url.path.endswith("/trace")] == [
        "121"
    ]


async def test_a_missing_trace_leaves_the_run_untriaged(mock: Callable[..., Mock]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/trace"):
            return respond({"message": "404 Not Found"}, 404)
        return _failed_world([], [job(121, "test", "failed")], b"")(request)

    (run,) = (await mock(handler).adapter.poll()).pipelines
    assert run.status is RunStatus.FAILURE and run.triage is None


# Errors and actions ---------------------------------------------------------------------


async def test_401_is_an_auth_error_naming_the_source(mock: Callable[..., Mock]) -> None:
    m = mock(lambda request: respond({"message": "401 Unauthorized"}, 401))
    with pytest.raises(SourceError) as caught:
        await m.adapter.poll()
    assert caught.value.kind is ErrorKind.AUTH and caught.value.message.startswith("gl: ")


async def test_a_deleted_project_is_not_found_naming_it(mock: Callable[..., Mock]) -> None:
    m = mock(lambda request: respond({"message": "404 Project Not Found"}, 404))
    with pytest.raises(SourceError) as caught:
        await m.adapter.poll()
    assert caught.value.kind is ErrorKind.NOT_FOUND and "acme/ledger" in caught.value.message


async def test_an_empty_project_has_no_runs(mock: Callable[..., Mock]) -> None:
    assert (await mock(lambda request: respond([])).adapter.poll()).pipelines == ()


async def test_a_retry_posts_to_the_documented_endpoints(mock: Callable[..., Mock]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/jobs/31/retry"):
            return respond(job(32, "test", "pending"), 201)
        return respond(pipeline(7, "running"), 201)

    m = mock(handler)
    retried = await m.adapter.rerun(_run(), Job("31", "test", RunStatus.FAILURE))
    assert (retried.job_id, retried.url) == ("32", f"{BASE}/acme/ledger/-/jobs/32")
    await m.adapter.rerun(_run())
    assert [(r.method, r.url.raw_path) for r in m.seen] == [
        ("POST", b"/api/v4/projects/acme%2Fledger/jobs/31/retry"),
        ("POST", b"/api/v4/projects/acme%2Fledger/pipelines/7/retry"),
    ]
    assert all(r.headers["PRIVATE-TOKEN"] == "t0ken" for r in m.seen)


async def test_a_token_without_the_api_scope_says_so(mock: Callable[..., Mock]) -> None:
    m = mock(
        lambda request: respond({"error": "insufficient_scope", "error_description": "..."}, 403)
    )
    with pytest.raises(SourceError) as caught:
        await m.adapter.rerun(_run())
    assert caught.value.kind is ErrorKind.AUTH and "insufficient_scope" in caught.value.message


async def test_bearer_tokens_and_an_api_base_url() -> None:
    assert gitlab_headers("oauth", bearer=True)["Authorization"] == "Bearer oauth"
    assert "PRIVATE-TOKEN" not in gitlab_headers(None)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return respond([])

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    http = SourceHttp(client, "gl", f"{BASE}/api/v4/", clock=FakeClock(START))
    target = CiTarget(source="gl", project="4204")
    await GitLabCIAdapter("gl", Source(kind="gitlab", url=BASE), [("ledger", target)], http).poll()
    assert seen[0].startswith("/api/v4/projects/4204/pipelines?")
