"""Drill-down and re-run for CI runs, headless: what the run screen asks of the CI adapters.

`CiActions` is built from the CI adapters by source name (`CiActions.from_adapters(engine.
adapters, clock)`) and answers, for a `PipelineRun` the engine published:

- `capabilities(run)`: what its system can do (re-run, live log, job log), read from the
  adapter's capability flags, so the UI never offers a control the adapter lacks;
- `jobs(run)`: its jobs and steps;
- `log_tail(run, job)`: the end of a job's log, never more than `tail_bytes` (256 KiB), split
  into display-safe lines. Adapters with incremental reads (`read_log`: GitLab traces, Jenkins
  progressive text) are asked for their bounded tail and never for the whole log; a plain
  `job_log` text is clipped to the tail;
- `follow(run, job, tail)`: an async iterator of `LogBatch`es while the job runs. With a live
  log it reads only the new bytes every `follow_interval_s` (2 s) and yields them as one batch
  per read; without one (GitHub Actions has no live log API) it re-reads the job's status every
  `status_every_s` and yields the log's tail once, when the job completes;
- `rerun(run)`: re-run the failed jobs, only where `SUPPORTS_RERUN`.

Every failure is a `SourceError` naming the source (an adapter bug too), so the screen can show
it as state; `CiActionUnavailable` says a capability is missing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from cockpit.clock import Clock
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus
from cockpit.sources.ci.base import SupportsJobLog
from cockpit.sources.ci.logs import LogCursor, SupportsLiveLog, SupportsRerun
from cockpit.text import sanitize
from cockpit.triage.tail import MAX_LINE_CHARS

DEFAULT_TAIL_BYTES = 256 * 1024
"""The most of a job's log the run screen holds: its last 256 KiB."""

FOLLOW_INTERVAL_S = 2.0
"""How often a live log is read for new lines."""

STATUS_EVERY_S = 10.0
"""How often a follow re-reads the job's status (to notice it finished)."""

_T = TypeVar("_T")
_SURROGATES = re.compile("[\ud800-\udfff]")

logger = logging.getLogger(__name__)


class CiActionUnavailable(SourceError):
    """The run's source cannot do this (no such source, or a capability it lacks)."""

    title = "Not available"


@runtime_checkable
class SupportsJobs(Protocol):
    """A CI adapter: capability flags and `jobs(run)` (see `cockpit.sources.ci.base`)."""

    name: str
    SUPPORTS_RERUN: bool
    SUPPORTS_LIVE_LOG: bool
    SUPPORTS_JOB_LOG: bool

    async def jobs(self, run: PipelineRun) -> tuple[Job, ...]: ...


@runtime_checkable
class SupportsRerunFailed(Protocol):
    """GitHub's re-run: the failed jobs of a run, as a new attempt."""

    async def rerun_failed(self, run: PipelineRun) -> None: ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a run's CI system lets the cockpit do.

    Attributes:
        provider: github | gitlab | jenkins.
        rerun: Re-run failed jobs.
        live_log: Stream a running job's log.
        job_log: Fetch a job's log.
    """

    provider: str
    rerun: bool = False
    live_log: bool = False
    job_log: bool = False


@dataclass(frozen=True, slots=True)
class LogTail:
    """The end of one job's log.

    Attributes:
        lines: Display-safe lines (sanitised, each cut to `MAX_LINE_CHARS`), oldest first.
        cursor: Where a live follow continues (None when the system has no live log).
        more: The log may still grow.
        truncated: The log's head was left unread: only its tail is here.
    """

    lines: tuple[str, ...]
    cursor: LogCursor | None = None
    more: bool = False
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class LogBatch:
    """What one step of a follow produced.

    Attributes:
        lines: New lines, display-safe (may be empty when only the job's status changed).
        job: The job as last read (its status and steps).
        done: The job finished; no batch follows.
        replace: `lines` are the whole tail (shown instead of what is there), not an append.
    """

    lines: tuple[str, ...]
    job: Job
    done: bool = False
    replace: bool = False


@dataclass(frozen=True, slots=True)
class RerunOutcome:
    """What a re-run request started: a sentence for the operator and where to watch it."""

    message: str
    url: str = ""


def split_lines(text: str, max_chars: int = DEFAULT_TAIL_BYTES) -> tuple[tuple[str, ...], bool]:
    """`text`'s last `max_chars` as display-safe lines, and whether anything was cut.

    A cut tail starts at a line boundary (the partial first line is dropped); a final newline
    ends the last line rather than starting an empty one.
    """
    truncated = len(text) > max_chars
    if truncated:
        text = text[-max_chars:]
        newline = text.find("\n")
        if 0 <= newline < len(text) - 1:
            text = text[newline + 1 :]
    if text.endswith("\n"):
        text = text[:-1]
    if not text:
        return (), truncated
    lines = text.replace("\r\n", "\n").split("\n")
    return tuple(display_safe(line) for line in lines), truncated


def display_safe(line: str) -> str:
    """One remote line, safe to show: sanitised, cut to `MAX_LINE_CHARS`, and without lone
    surrogates (JSON may carry `\\udcff`; a terminal cannot encode it), which become U+FFFD."""
    return _SURROGATES.sub("\ufffd", sanitize(line[: MAX_LINE_CHARS * 2])[:MAX_LINE_CHARS])


class CiActions:
    """The CI adapters, by source name, as the run screen uses them.

    Args:
        adapters: Source name -> CI adapter (an object with `jobs` and the capability flags;
            anything else is ignored).
        clock: Paces follows (a `FakeClock` in tests).
        tail_bytes: The most of a log held at once.
        follow_interval_s: How often a live log is read.
        status_every_s: How often a follow re-reads the job's status.
    """

    def __init__(
        self,
        adapters: Mapping[str, object],
        clock: Clock,
        *,
        tail_bytes: int = DEFAULT_TAIL_BYTES,
        follow_interval_s: float = FOLLOW_INTERVAL_S,
        status_every_s: float = STATUS_EVERY_S,
    ) -> None:
        if tail_bytes <= 0 or follow_interval_s <= 0 or status_every_s <= 0:
            raise ValueError("tail_bytes, follow_interval_s and status_every_s must be positive")
        self._adapters = {
            name: adapter for name, adapter in adapters.items() if isinstance(adapter, SupportsJobs)
        }
        self.clock = clock
        self.tail_bytes = tail_bytes
        self.follow_interval_s = follow_interval_s
        self.status_every_s = status_every_s

    @classmethod
    def from_adapters(cls, adapters: Iterable[Any], clock: Clock, **options: Any) -> CiActions:
        """From the engine's adapters (`PollEngine.adapters`): the CI ones, by their name."""
        return cls({adapter.name: adapter for adapter in adapters}, clock, **options)

    @property
    def sources(self) -> tuple[str, ...]:
        """The CI sources available for drill-down."""
        return tuple(self._adapters)

    def capabilities(self, run: PipelineRun) -> Capabilities:
        """What the run's system can do (nothing, for a source without a CI adapter)."""
        adapter = self._adapters.get(run.source)
        if adapter is None:
            return Capabilities(run.provider)
        return Capabilities(
            run.provider,
            rerun=bool(adapter.SUPPORTS_RERUN)
            and isinstance(adapter, (SupportsRerunFailed, SupportsRerun)),
            live_log=bool(adapter.SUPPORTS_LIVE_LOG) and isinstance(adapter, SupportsLiveLog),
            job_log=bool(adapter.SUPPORTS_JOB_LOG)
            and isinstance(adapter, (SupportsJobLog, SupportsLiveLog)),
        )

    async def jobs(self, run: PipelineRun) -> tuple[Job, ...]:
        """The run's jobs and their steps.

        Raises:
            SourceError: the request failed; `CiActionUnavailable` for an unknown source.
        """
        adapter = self._adapter(run)
        return await self._call(run, "list the jobs", adapter.jobs(run))

    async def log_tail(self, run: PipelineRun, job: Job) -> LogTail:
        """The end of `job`'s log: at most `tail_bytes`, as display-safe lines.

        Raises:
            SourceError: the request failed; `CiActionUnavailable` without a job log.
        """
        adapter = self._adapter(run)
        caps = self.capabilities(run)
        if caps.live_log and isinstance(adapter, SupportsLiveLog):
            chunk = await self._call(run, "read the log", adapter.read_log(run, job, None))
            text = chunk.text
            if not chunk.more and chunk.cursor.pending:
                text += sanitize(chunk.cursor.pending, keep_newlines=True)
            lines, clipped = split_lines(text, self.tail_bytes)
            truncated = clipped or chunk.skipped_bytes > 0
            return LogTail(lines, chunk.cursor, chunk.more, truncated)
        if caps.job_log and isinstance(adapter, SupportsJobLog):
            text = await self._call(run, "read the log", adapter.job_log(run, job))
            lines, truncated = split_lines(text, self.tail_bytes)
            return LogTail(lines, None, False, truncated)
        raise self._unavailable(run, "cannot show job logs")

    async def follow(self, run: PipelineRun, job: Job, tail: LogTail) -> AsyncIterator[LogBatch]:
        """Batches of `job`'s new log lines until it finishes (see the module docstring).

        Stops by itself when the job is done; the caller cancels it to stop earlier. A failed
        read raises `SourceError` (the caller shows it and may follow again).
        """
        if self.capabilities(run).live_log and tail.cursor is not None:
            async for batch in self._follow_live(run, job, tail.cursor):
                yield batch
            return
        async for batch in self._await_completion(run, job):
            yield batch

    async def rerun(self, run: PipelineRun) -> RerunOutcome:
        """Re-run the failed jobs of `run`.

        Raises:
            CiActionUnavailable: the source cannot re-run (never called by the UI then).
            SourceError: the system refused or failed (auth, not re-runnable, rate limited...).
        """
        adapter = self._adapter(run)
        if not self.capabilities(run).rerun:
            raise self._unavailable(run, "cannot re-run jobs")
        if isinstance(adapter, SupportsRerunFailed):
            await self._call(run, "re-run the failed jobs", adapter.rerun_failed(run))
            message = f"re-run of the failed jobs of run {sanitize(run.run_id)} requested"
            return RerunOutcome(message, sanitize(run.url))
        assert isinstance(adapter, SupportsRerun)  # capabilities() checked it
        result = await self._call(run, "re-run the failed jobs", adapter.rerun(run, None))
        message = sanitize(result.message) or f"re-run of {sanitize(run.run_id)} requested"
        return RerunOutcome(message, sanitize(result.url) or sanitize(run.url))

    # -- follows ---------------------------------------------------------------------------

    async def _follow_live(
        self, run: PipelineRun, job: Job, cursor: LogCursor
    ) -> AsyncIterator[LogBatch]:
        adapter = self._adapter(run)
        assert isinstance(adapter, SupportsLiveLog)
        since_status = 0.0
        while True:
            await self.clock.sleep(self.follow_interval_s)
            since_status += self.follow_interval_s
            chunk = await self._call(run, "follow the log", adapter.read_log(run, job, cursor))
            cursor = chunk.cursor
            text, done, changed = chunk.text, not chunk.more, False
            if done or since_status >= self.status_every_s:
                since_status = 0.0
                fresh = await self._job(run, job)
                if fresh is None:  # replaced (a retry is a new job): this log is over
                    fresh, done = job, True
                changed = fresh != job
                job = fresh
                if not done and not _live(job.status):
                    # The system says the job is over: one last read flushes its final line.
                    last = await self._call(
                        run, "follow the log", adapter.read_log(run, job, cursor)
                    )
                    cursor, text, done = last.cursor, text + last.text, True
            if done and cursor.pending:
                text += sanitize(cursor.pending, keep_newlines=True)
            lines, _ = split_lines(text, self.tail_bytes)
            if lines or done or changed:
                yield LogBatch(lines, job, done)
            if done:
                return

    async def _await_completion(self, run: PipelineRun, job: Job) -> AsyncIterator[LogBatch]:
        while _live(job.status):
            await self.clock.sleep(self.status_every_s)
            fresh = await self._job(run, job)
            if fresh is None:  # replaced by a new attempt: nothing more will come of this one
                yield LogBatch((), job, done=True)
                return
            if fresh != job and _live(fresh.status):
                yield LogBatch((), fresh)
            job = fresh
        tail = await self.log_tail(run, job)
        yield LogBatch(tail.lines, job, done=True, replace=True)

    async def _job(self, run: PipelineRun, job: Job) -> Job | None:
        """`job` as the system sees it now; None once it is no longer listed (retried)."""
        jobs = await self.jobs(run)
        return next((j for j in jobs if j.job_id == job.job_id), None)

    # -- helpers ---------------------------------------------------------------------------

    def _adapter(self, run: PipelineRun) -> SupportsJobs:
        adapter = self._adapters.get(run.source)
        if adapter is None:
            known = ", ".join(self._adapters) or "none"
            raise CiActionUnavailable(
                ErrorKind.CONFIG,
                f"{run.source or '?'}: not a CI source the cockpit can drill into",
                source=run.source,
                hint=f"CI sources: {known}",
            )
        return adapter

    def _unavailable(self, run: PipelineRun, what: str) -> CiActionUnavailable:
        return CiActionUnavailable(
            ErrorKind.CONFIG,
            f"{run.source}: {run.provider} source {what}",
            source=run.source,
        )

    async def _call(self, run: PipelineRun, what: str, call: Awaitable[_T]) -> _T:
        """Await an adapter call; anything but a `SourceError` becomes one naming the source."""
        try:
            return await call
        except (SourceError, asyncio.CancelledError):
            raise
        except Exception as exc:
            logger.exception("%s: could not %s", run.source, what)
            raise SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{run.source}: could not {what}: {type(exc).__name__}: {sanitize(str(exc))[:160]}",
                source=run.source,
                hint="an internal error in the adapter; the log has the details",
            ) from exc


def _live(status: RunStatus) -> bool:
    return status in (RunStatus.RUNNING, RunStatus.QUEUED)
