"""CiActions: jobs, bounded log tails, live follow in batches, re-run only where supported.

Fakes stand in for GitLab/Jenkins-style adapters (incremental `read_log`, `rerun(run, job)`);
the real GitHub Actions adapter runs against the GitHub simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pytest

from cockpit.ci_actions import (
    DEFAULT_TAIL_BYTES,
    CiActions,
    CiActionUnavailable,
    LogBatch,
    split_lines,
)
from cockpit.clock import FakeClock
from cockpit.config.models import CiTarget, Source
from cockpit.engine.engine import PollEngine
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus, Step
from cockpit.present.run_actions import error_text
from cockpit.present.run_detail import initial_row, log_lines
from cockpit.present.tone import NO_PALETTE
from cockpit.sim import GitHubSim, Scenario
from cockpit.sources.ci.github import GitHubActionsAdapter, github_headers
from cockpit.sources.ci.logs import LogChunk, LogCursor, RerunResult, chunk

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MB = 1024 * 1024
FIRST_READ = 64 * 1024  # what a GitLab-style adapter returns for a first read


def run_of(source: str = "gl", provider: str = "gitlab") -> PipelineRun:
    return PipelineRun(
        "payments", provider, "5531", "build", RunStatus.FAILURE, commit="a" * 40, source=source
    )


def job_of(status: RunStatus = RunStatus.RUNNING, job_id: str = "88") -> Job:
    return Job(job_id, "integration", status, START, steps=(Step("tests", status, 1),))


@dataclass
class Log:
    """A log of fixed-width numbered lines (`size` may be 100 MB: bytes are computed) plus
    bytes appended later; counts every byte it hands out."""

    lines: int = 0
    width: int = 100
    tail: bytearray | None = None
    returned: int = 0
    largest_read: int = 0

    @property
    def size(self) -> int:
        return self.lines * self.width + len(self.tail or b"")

    def _line(self, index: int) -> bytes:
        head = f"line {index:09d} "
        return (head + "x" * (self.width - len(head) - 1) + "\n").encode()

    def read(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        fixed = self.lines * self.width
        parts = []
        if start < fixed:
            first, last = start // self.width, (min(end, fixed) - 1) // self.width
            block = b"".join(self._line(i) for i in range(first, last + 1))
            parts.append(block[start - first * self.width : min(end, fixed) - first * self.width])
        if end > fixed and self.tail:
            parts.append(bytes(self.tail[max(0, start - fixed) : end - fixed]))
        data = b"".join(parts)
        self.returned += len(data)
        self.largest_read = max(self.largest_read, len(data))
        return data

    def write(self, text: str) -> None:
        self.tail = (self.tail or bytearray()) + text.encode()


class LiveAdapter:
    """GitLab-style: bounded `read_log` with a cursor, `rerun(run, job)`; counts calls."""

    SUPPORTS_RERUN: ClassVar[bool] = True
    SUPPORTS_LIVE_LOG: ClassVar[bool] = True
    SUPPORTS_JOB_LOG: ClassVar[bool] = True

    def __init__(self, log: Log, job: Job, name: str = "gl") -> None:
        self.name = name
        self.log = log
        self.job = job
        self.job_calls = 0
        self.job_log_calls = 0
        self.cursors: list[LogCursor | None] = []
        self.reruns: list[tuple[str, Job | None]] = []

    async def jobs(self, run: PipelineRun) -> tuple[Job, ...]:
        self.job_calls += 1
        return (self.job,)

    async def job_log(self, run: PipelineRun, job: Job) -> str:
        self.job_log_calls += 1
        return self.log.read(0, self.log.size).decode()

    async def read_log(
        self, run: PipelineRun, job: Job, cursor: LogCursor | None = None
    ) -> LogChunk:
        self.cursors.append(cursor)
        more = job.status in (RunStatus.RUNNING, RunStatus.QUEUED)
        size = self.log.size
        if cursor is None:
            start = max(0, size - FIRST_READ)
            return chunk(
                job.job_id, None, self.log.read(start, size), offset=size, more=more, skipped=start
            )
        return chunk(job.job_id, cursor, self.log.read(cursor.offset, size), offset=size, more=more)

    async def rerun(self, run: PipelineRun, job: Job | None = None) -> RerunResult:
        self.reruns.append((run.run_id, job))
        return RerunResult(run.run_id, "", "https://gl/p/5531", "retrying the failed jobs of 5531")


class TextAdapter:
    """GitHub-style: whole-text `job_log`, no live log, `rerun_failed`."""

    SUPPORTS_RERUN: ClassVar[bool] = True
    SUPPORTS_LIVE_LOG: ClassVar[bool] = False
    SUPPORTS_JOB_LOG: ClassVar[bool] = True

    def __init__(self, text: str, job: Job, name: str = "gh") -> None:
        self.name = name
        self.text = text
        self.job = job
        self.reruns = 0
        self.job_calls = 0
        self.error: Exception | None = None

    async def jobs(self, run: PipelineRun) -> tuple[Job, ...]:
        self.job_calls += 1
        if self.error is not None:
            raise self.error
        return (self.job,)

    async def job_log(self, run: PipelineRun, job: Job) -> str:
        return self.text

    async def rerun_failed(self, run: PipelineRun) -> None:
        self.reruns += 1


class NoRerunAdapter(TextAdapter):
    SUPPORTS_RERUN: ClassVar[bool] = False


class NotCI:
    name = "prom"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def settle(clock: FakeClock, task: asyncio.Task[Any], seconds: float) -> None:
    """Advance the clock, then let the woken task do its (fake) I/O until it sleeps again."""
    await clock.advance(seconds)
    for _ in range(500):
        if task.done() or clock.pending_sleepers():
            return
        await asyncio.sleep(0.01)


async def collect(agen: AsyncIterator[LogBatch], into: list[LogBatch]) -> None:
    async for batch in agen:
        into.append(batch)


# -- capabilities and errors -----------------------------------------------------------------


def test_capabilities_follow_the_flags_and_only_ci_adapters_are_kept(clock: FakeClock) -> None:
    live = LiveAdapter(Log(3), job_of())
    text = TextAdapter("", job_of(), name="gh")
    frozen = NoRerunAdapter("", job_of(), name="jk")
    actions = CiActions.from_adapters([live, text, frozen, NotCI()], clock)
    assert actions.sources == ("gl", "gh", "jk")
    gl = actions.capabilities(run_of("gl"))
    assert (gl.rerun, gl.live_log, gl.job_log) == (True, True, True)
    gh = actions.capabilities(run_of("gh", "github"))
    assert (gh.rerun, gh.live_log, gh.job_log) == (True, False, True)
    assert not actions.capabilities(run_of("jk", "jenkins")).rerun
    assert actions.capabilities(run_of("prom")) == actions.capabilities(run_of("prom"))
    assert not actions.capabilities(run_of("prom")).job_log


async def test_an_unknown_source_is_a_typed_error(clock: FakeClock) -> None:
    actions = CiActions({}, clock)
    with pytest.raises(CiActionUnavailable) as caught:
        await actions.jobs(run_of("nowhere"))
    assert isinstance(caught.value, SourceError) and caught.value.kind is ErrorKind.CONFIG
    assert "nowhere" in caught.value.message


async def test_adapter_errors_stay_typed_and_bugs_become_source_errors(clock: FakeClock) -> None:
    adapter = TextAdapter("", job_of(), name="gh")
    actions = CiActions({"gh": adapter}, clock)
    run = run_of("gh", "github")
    adapter.error = SourceError(
        ErrorKind.RATE_LIMITED, "gh: limited", source="gh", retry_after_s=60
    )
    with pytest.raises(SourceError) as limited:
        await actions.jobs(run)
    assert limited.value.retry_after_s == 60
    adapter.error = KeyError("steps")
    with pytest.raises(SourceError) as bug:
        await actions.jobs(run)
    assert bug.value.kind is ErrorKind.BAD_RESPONSE and "gh: could not list the jobs" in str(
        bug.value
    )


async def test_the_engine_hands_its_adapters_to_ci_actions(clock: FakeClock) -> None:
    async with httpx.AsyncClient() as client:
        live = LiveAdapter(Log(1), job_of())
        text = TextAdapter("", job_of(), name="gh")
        for adapter in (live, text):
            adapter.kind = "fake"  # type: ignore[attr-defined]
            adapter.interval_s = 10.0  # type: ignore[attr-defined]
            adapter.http = SourceHttp(client, adapter.name, "http://ci.invalid", clock=clock)  # type: ignore[attr-defined]
        engine = PollEngine([live, text], clock, client=client)  # type: ignore[list-item]
        assert engine.adapters == (live, text)
        assert engine.adapter("gh") is text
        with pytest.raises(KeyError, match="unknown source"):
            engine.adapter("nope")
        actions = CiActions.from_adapters(engine.adapters, clock)
        assert actions.sources == ("gl", "gh")


# -- log tails -------------------------------------------------------------------------------


async def test_a_100_mb_log_is_never_read_whole(clock: FakeClock) -> None:
    log = Log(lines=MB)  # 100 MiB of numbered lines, none of it in memory
    assert log.size == 100 * MB
    adapter = LiveAdapter(log, job_of(RunStatus.FAILURE))
    actions = CiActions({"gl": adapter}, clock)
    tail = await actions.log_tail(run_of(), adapter.job)
    assert adapter.job_log_calls == 0, "the bounded incremental read is preferred"
    assert log.returned <= FIRST_READ and log.largest_read <= DEFAULT_TAIL_BYTES
    assert tail.truncated and not tail.more
    assert tail.lines[-1].startswith(f"line {MB - 1:09d}")
    assert tail.lines[0].startswith("line ")  # a whole line: the cut one was dropped


async def test_a_long_text_log_is_clipped_to_its_tail(clock: FakeClock) -> None:
    text = "".join(f"line {i:07d}\n" for i in range(300_000))  # ~3.6 MB
    actions = CiActions({"gh": TextAdapter(text, job_of(RunStatus.FAILURE))}, clock)
    tail = await actions.log_tail(run_of("gh", "github"), job_of(RunStatus.FAILURE))
    assert tail.truncated and tail.cursor is None
    assert sum(len(line) + 1 for line in tail.lines) <= DEFAULT_TAIL_BYTES
    assert tail.lines[-1] == "line 0299999"
    assert all(len(line) == len("line 0299999") for line in tail.lines)


async def test_escape_sequences_and_binary_are_stripped_from_log_lines(clock: FakeClock) -> None:
    text = "ok\n\x1b[31mred\x1b[0m\n\x1b]0;owned\x07title\n\x00\x01\x9b2Jbin \udcff\n"
    actions = CiActions({"gh": TextAdapter(text, job_of(RunStatus.FAILURE))}, clock)
    tail = await actions.log_tail(run_of("gh", "github"), job_of(RunStatus.FAILURE))
    assert tail.lines == ("ok", "red", "title", "bin \ufffd")


def test_split_lines_starts_a_cut_tail_at_a_line_boundary() -> None:
    assert split_lines("aaa\nbbb\nccc\n", 6) == (("ccc",), True)
    assert split_lines("a\r\nb", 100) == (("a", "b"), False)
    assert split_lines("", 100) == ((), False)
    assert split_lines("x" * 20, 5) == (("xxxxx",), True)  # one huge line: its end


# -- live follow -----------------------------------------------------------------------------


async def test_live_follow_yields_only_new_lines_one_batch_per_read(clock: FakeClock) -> None:
    log = Log(lines=3)
    adapter = LiveAdapter(log, job_of(RunStatus.RUNNING))
    actions = CiActions({"gl": adapter}, clock, status_every_s=60)
    tail = await actions.log_tail(run_of(), adapter.job)
    assert len(tail.lines) == 3 and tail.more
    batches: list[LogBatch] = []
    task = asyncio.create_task(collect(actions.follow(run_of(), adapter.job, tail), batches))
    await settle(clock, task, 0)
    log.write("one\ntwo\nthr")  # "thr" is not a whole line yet
    await settle(clock, task, 2)
    assert [b.lines for b in batches] == [("one", "two")]
    await settle(clock, task, 2)
    assert len(batches) == 1, "nothing new: no batch"
    log.write("ee\nfour\n")
    await settle(clock, task, 2)
    assert [b.lines for b in batches] == [("one", "two"), ("three", "four")]
    assert all(c is not None for c in adapter.cursors[1:]), "every later read is incremental"
    assert log.returned - FIRST_READ < 100
    task.cancel()


async def test_live_follow_ends_when_the_job_finishes(clock: FakeClock) -> None:
    log = Log(lines=1)
    adapter = LiveAdapter(log, job_of(RunStatus.RUNNING))
    actions = CiActions({"gl": adapter}, clock, follow_interval_s=2, status_every_s=4)
    tail = await actions.log_tail(run_of(), adapter.job)
    batches: list[LogBatch] = []
    task = asyncio.create_task(collect(actions.follow(run_of(), adapter.job, tail), batches))
    await settle(clock, task, 0)
    await settle(clock, task, 2)
    log.write("done, no newline")
    adapter.job = replace(adapter.job, status=RunStatus.FAILURE)
    await settle(clock, task, 2)  # 4 s: the status is read again and the job is over
    await asyncio.wait_for(task, 1)
    assert batches[-1].done and batches[-1].job.status is RunStatus.FAILURE
    assert batches[-1].lines == ("done, no newline",), "the final partial line is flushed"


async def test_without_a_live_log_the_tail_comes_once_the_job_completes(clock: FakeClock) -> None:
    adapter = TextAdapter("step 1\nstep 2 failed\n", job_of(RunStatus.RUNNING))
    actions = CiActions({"gh": adapter}, clock, status_every_s=10)
    run = run_of("gh", "github")
    batches: list[LogBatch] = []
    task = asyncio.create_task(collect(actions.follow(run, adapter.job, tail=_empty()), batches))
    await settle(clock, task, 0)
    await settle(clock, task, 10)
    assert batches == [] and adapter.job_calls == 1
    adapter.job = replace(adapter.job, status=RunStatus.FAILURE)
    await settle(clock, task, 10)
    await asyncio.wait_for(task, 1)
    (batch,) = batches
    assert batch.done and batch.replace and batch.lines == ("step 1", "step 2 failed")


async def test_a_follow_ends_when_its_job_is_replaced_by_a_retry(clock: FakeClock) -> None:
    adapter = TextAdapter("", job_of(RunStatus.RUNNING, job_id="1"))
    actions = CiActions({"gh": adapter}, clock, status_every_s=10)
    batches: list[LogBatch] = []
    task = asyncio.create_task(
        collect(actions.follow(run_of("gh"), adapter.job, _empty()), batches)
    )
    await settle(clock, task, 0)
    adapter.job = job_of(RunStatus.QUEUED, job_id="2")  # the new attempt is another job
    await settle(clock, task, 10)
    await asyncio.wait_for(task, 1)
    assert [(b.done, b.job.job_id) for b in batches] == [(True, "1")]


def _empty() -> Any:
    from cockpit.ci_actions import LogTail

    return LogTail(())


# -- re-run ----------------------------------------------------------------------------------


async def test_rerun_uses_each_systems_own_call_once(clock: FakeClock) -> None:
    live = LiveAdapter(Log(1), job_of())
    text = TextAdapter("", job_of(), name="gh")
    actions = CiActions({"gl": live, "gh": text}, clock)
    outcome = await actions.rerun(run_of("gl"))
    assert live.reruns == [("5531", None)] and outcome.message == "retrying the failed jobs of 5531"
    await actions.rerun(run_of("gh", "github"))
    assert text.reruns == 1


async def test_rerun_is_refused_where_not_supported(clock: FakeClock) -> None:
    frozen = NoRerunAdapter("", job_of(), name="jk")
    actions = CiActions({"jk": frozen}, clock)
    with pytest.raises(CiActionUnavailable):
        await actions.rerun(run_of("jk", "jenkins"))
    assert frozen.reruns == 0


# -- against the GitHub simulator ------------------------------------------------------------


@pytest.fixture
def sim_clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sim(sim_clock: FakeClock) -> Iterator[GitHubSim]:
    with GitHubSim(Scenario(sim_clock), token="t") as running:
        yield running


def github(client: httpx.AsyncClient, clock: FakeClock, url: str, *services: str) -> Any:
    http = SourceHttp(client, "gh", url, headers=github_headers("t"), clock=clock)
    targets = [(s, CiTarget(source="gh", repo=f"acme/{s}", branch="main")) for s in services]
    return GitHubActionsAdapter("gh", Source(kind="github", url=url), targets, http)


async def test_github_sim_drill_down_of_a_failed_run(sim: GitHubSim, sim_clock: FakeClock) -> None:
    await sim_clock.advance(200)  # payments failed in `test` at T+2m36s
    async with httpx.AsyncClient() as client:
        adapter = github(client, sim_clock, sim.api_url, "payments")
        (run,) = (await adapter.poll()).pipelines
        actions = CiActions.from_adapters([adapter], sim_clock)
        assert run.status is RunStatus.FAILURE
        jobs = await actions.jobs(run)
        key = initial_row(jobs)
        assert key is not None and key.startswith("step:")
        job = next(j for j in jobs if j.job_id == key.split(":")[1])
        failed_step = job.steps[int(key.split(":")[2])]
        assert failed_step.name == "test" and failed_step.status is RunStatus.FAILURE
        tail = await actions.log_tail(run, job)
        assert any("AssertionError" in line for line in tail.lines)
        shown = [t.plain for t in log_lines(tail.lines, frozenset(), NO_PALETTE)]
        assert any(line.startswith("! ") and "AssertionError" in line for line in shown)
        outcome = await actions.rerun(run)
        assert "re-run" in outcome.message
        (rerun_job,) = await actions.jobs(run)
        assert rerun_job.status is RunStatus.QUEUED and rerun_job.job_id != job.job_id


async def test_github_sim_running_job_log_appears_when_it_completes(
    sim: GitHubSim, sim_clock: FakeClock
) -> None:
    await sim_clock.advance(100)  # checkout is running (it succeeds at T+4m)
    async with httpx.AsyncClient() as client:
        adapter = github(client, sim_clock, sim.api_url, "checkout")
        (run,) = (await adapter.poll()).pipelines
        actions = CiActions({"gh": adapter}, sim_clock, status_every_s=30)
        assert run.status is RunStatus.RUNNING and not actions.capabilities(run).live_log
        (job,) = await actions.jobs(run)
        batches: list[LogBatch] = []
        task = asyncio.create_task(collect(actions.follow(run, job, _empty()), batches))
        await settle(sim_clock, task, 0)
        for _ in range(6):
            await settle(sim_clock, task, 30)
        await asyncio.wait_for(task, 5)
        assert batches[-1].done and batches[-1].replace
        assert batches[-1].job.status is RunStatus.SUCCESS
        assert any("Published image digest" in line for line in batches[-1].lines)


async def test_github_sim_rate_limit_says_until_when(sim_clock: FakeClock) -> None:
    await sim_clock.advance(200)
    with GitHubSim(Scenario(sim_clock), token="t", rate_limit=2) as limited:
        async with httpx.AsyncClient() as client:
            adapter = github(client, sim_clock, limited.api_url, "payments")
            (run,) = (await adapter.poll()).pipelines
            actions = CiActions({"gh": adapter}, sim_clock)
            with pytest.raises(SourceError) as caught:
                for _ in range(3):
                    await actions.jobs(run)
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert caught.value.retry_after_s is not None
    line = error_text(caught.value, sim_clock.now(), NO_PALETTE).plain
    reset = sim_clock.now() + timedelta(seconds=caught.value.retry_after_s)
    assert line.startswith(f"✖ gh: rate limited until {reset:%H:%M}")


async def test_gitlab_sim_live_follow_reads_only_new_bytes_until_the_job_ends(
    sim_clock: FakeClock,
) -> None:
    from cockpit.sim.gitlab import GitLabSim
    from cockpit.sources.ci.gitlab import GitLabCIAdapter, gitlab_headers

    scenario = Scenario(sim_clock)
    await sim_clock.advance(110)  # ledger is in its `test` job, which fails at T+2m52s
    with GitLabSim(scenario, token="t", trace_ranges=True) as gitlab:
        async with httpx.AsyncClient() as client:
            http = SourceHttp(
                client, "gl", gitlab.url, headers=gitlab_headers("t"), clock=sim_clock
            )
            target = ("ledger", CiTarget(source="gl", project="acme/ledger", branch="main"))
            source = Source(kind="gitlab", url=gitlab.url)
            adapter = GitLabCIAdapter("gl", source, [target], http)
            (run,) = (await adapter.poll()).pipelines
            actions = CiActions({"gl": adapter}, sim_clock, status_every_s=10)
            assert run.status is RunStatus.RUNNING and actions.capabilities(run).live_log
            job = next(j for j in await actions.jobs(run) if j.status is RunStatus.RUNNING)
            tail = await actions.log_tail(run, job)
            assert tail.more and tail.cursor is not None
            batches: list[LogBatch] = []
            task = asyncio.create_task(collect(actions.follow(run, job, tail), batches))
            await settle(sim_clock, task, 0)
            for _ in range(60):
                if task.done():
                    break
                await settle(sim_clock, task, 2)
            await asyncio.wait_for(task, 5)
    new_lines = [line for batch in batches for line in batch.lines]
    assert batches[-1].done and batches[-1].job.status is RunStatus.FAILURE
    assert not set(tail.lines) & set(new_lines) - {""}, "no line is delivered twice"
    assert any("TimeoutError" in line for line in new_lines)
