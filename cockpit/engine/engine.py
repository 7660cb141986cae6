"""The poll engine: every source on its own schedule, never overlapping, with honest freshness.

One asyncio task per source runs `poll, wait, poll, ...`. The wait is computed when a poll
*completes* (interval after a success, backoff after a failure, longer if the remote asked), so
a slow poll never overlaps the next one. A refresh (a key press, or `poll_once`) joins a poll
that is already running instead of starting a second one; a poll that a refresh started
reschedules the source's loop from its completion.

After every completed poll, successful or not, subscribers receive a new `Snapshot`. A failing
source keeps its last good data; `freshness.compute_status` says how old it is and why.

Time is read and slept only through the injected `Clock`, so tests drive the engine with
`FakeClock.advance` and never sleep for real.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import httpx

from cockpit.clock import Clock
from cockpit.engine.backoff import DEFAULT_CAP_S, BackoffPolicy, remote_wait, retry_delay
from cockpit.engine.feed import SnapshotCallback
from cockpit.engine.freshness import SourceRecord, compute_status
from cockpit.engine.ratelimit import wait_for_budget
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import PipelineRun, RunStatus, Snapshot, SourceFailure, SourceStatus
from cockpit.sources.base import Adapter, SourceData

logger = logging.getLogger(__name__)

# A deadline closer than this counts as reached: real clocks may wake a hair early.
_DUE_EPSILON_S = 1e-3

_STATUS_RANK = {RunStatus.FAILURE: 0, RunStatus.RUNNING: 1}


def sort_pipelines(runs: Iterable[PipelineRun]) -> tuple[PipelineRun, ...]:
    """Failures first, then running runs, then the rest; by service name within each group."""
    return tuple(sorted(runs, key=lambda run: (_STATUS_RANK.get(run.status, 2), run.service)))


def _same_objects(first: Sequence[object], second: Sequence[object]) -> bool:
    return len(first) == len(second) and all(a is b for a, b in zip(first, second, strict=True))


class _Source:
    """One source's mutable state inside the engine."""

    __slots__ = ("adapter", "data", "due", "inflight", "loop", "policy", "record", "wake")

    def __init__(self, adapter: Adapter, policy: BackoffPolicy) -> None:
        self.adapter = adapter
        self.policy = policy
        self.record = SourceRecord(
            name=adapter.name,
            kind=adapter.kind,
            interval_s=adapter.interval_s,
            timeout_s=adapter.http.timeout,
        )
        self.data: SourceData | None = None
        # The running poll, which a refresh joins instead of starting another.
        self.inflight: asyncio.Task[None] | None = None
        # The per-source schedule loop (None until `start`).
        self.loop: asyncio.Task[None] | None = None
        # The next poll's deadline on the clock's monotonic timeline.
        self.due = 0.0
        # Resolved to cut the loop's sleep short when a refresh moved the deadline.
        self.wake: asyncio.Future[None] | None = None


class PollEngine:
    """Polls every adapter on its schedule and publishes snapshots (a `SnapshotFeed`).

    Args:
        adapters: One adapter per configured source; names must be unique.
        clock: The only source of time and sleeping.
        rng: Randomness for the backoff jitter (seed it for reproducible tests).
        client: The shared HTTP client the adapters use. When None, the engine creates one
            (see `client`).
        owns_client: Whether `stop()` closes the client. Default: only a client the engine
            created. Pass True to hand a client over to the engine.
        backoff_cap_s: The ceiling of the exponential backoff.
    """

    def __init__(
        self,
        adapters: Sequence[Adapter],
        clock: Clock,
        *,
        rng: random.Random | None = None,
        client: httpx.AsyncClient | None = None,
        owns_client: bool | None = None,
        backoff_cap_s: float = DEFAULT_CAP_S,
    ) -> None:
        names = [adapter.name for adapter in adapters]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate source names: {', '.join(duplicates)}")
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._client = client if client is not None else httpx.AsyncClient()
        self._owns_client = client is None if owns_client is None else owns_client
        self._sources = {
            adapter.name: _Source(
                adapter, BackoffPolicy.for_interval(adapter.interval_s, cap_s=backoff_cap_s)
            )
            for adapter in adapters
        }
        self._subscribers: list[SnapshotCallback] = []
        self._merged: tuple[tuple[SourceData, ...], Snapshot] | None = None
        self._running = False
        self._stopped = False

    @property
    def client(self) -> httpx.AsyncClient:
        """The shared HTTP client (the one passed in, or the one the engine created)."""
        return self._client

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._running

    @property
    def source_names(self) -> tuple[str, ...]:
        """The configured source names, in configuration order."""
        return tuple(self._sources)

    @property
    def adapters(self) -> tuple[Adapter, ...]:
        """Every adapter, in configuration order (for on-demand actions such as a drill-down)."""
        return tuple(source.adapter for source in self._sources.values())

    def adapter(self, name: str) -> Adapter:
        """The adapter of one source.

        Raises:
            KeyError: when `name` is not a configured source name.
        """
        return self._get(name).adapter

    # -- reading -----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Every source's status (ages computed now) and all last good data, merged."""
        now = self._clock.now()
        statuses = tuple(self._status(source, now) for source in self._sources.values())
        return replace(self._merged_data(), taken_at=now, sources=statuses)

    def _merged_data(self) -> Snapshot:
        """All sources' last good data in one snapshot, merged again only when some changed.

        A poll that brought the same data keeps the same object (`_record_success`), so an
        unchanged world costs no merging and hands subscribers the very same tuples, which
        they compare by identity in no time.
        """
        data = tuple(source.data for source in self._sources.values() if source.data is not None)
        if not self._merged or not _same_objects(self._merged[0], data):
            merged = Snapshot(
                taken_at=self._clock.now(),
                sources=(),
                pipelines=sort_pipelines(run for d in data for run in d.pipelines),
                artifacts=tuple(artifact for d in data for artifact in d.artifacts),
                queries=tuple(query for d in data for query in d.queries),
                alerts=tuple(alert for d in data for alert in d.alerts),
                approvals=tuple(lookup for d in data for lookup in d.approvals),
            )
            self._merged = (data, merged)
        return self._merged[1]

    def status(self, name: str) -> SourceStatus:
        """One source's status, computed now."""
        return self._status(self._get(name), self._clock.now())

    def last_data(self, name: str) -> SourceData | None:
        """The last good data of a source (kept while it fails), or None before any success."""
        return self._get(name).data

    def subscribe(self, callback: SnapshotCallback) -> None:
        """Call `callback(snapshot)` after every completed poll; its exceptions are logged."""
        self._subscribers.append(callback)

    def unsubscribe(self, callback: SnapshotCallback) -> None:
        """Stop calling `callback` (no error if it was not subscribed)."""
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start one schedule loop per source; each polls at once. Returns immediately.

        Raises:
            RuntimeError: when the engine was stopped (an engine is started once).
        """
        if self._stopped:
            raise RuntimeError("a stopped PollEngine cannot be started again")
        if self._running:
            return
        self._running = True
        for name, source in self._sources.items():
            source.loop = asyncio.create_task(self._run(source), name=f"cockpit-poll-loop:{name}")
            source.loop.add_done_callback(self._log_loop_end)

    async def stop(self) -> None:
        """Cancel every loop and running poll, then close the client if the engine owns it.

        Safe to call more than once, and before `start()`.
        """
        if self._stopped:
            return
        self._stopped = True
        self._running = False
        tasks: list[asyncio.Task[None]] = []
        for source in self._sources.values():
            for task in (source.loop, source.inflight):
                if task is not None and not task.done():
                    task.cancel()
                    tasks.append(task)
            source.loop = None
            source.record = replace(source.record, next_poll_at=None)
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._owns_client:
            await self._client.aclose()

    async def refresh(self, source: str | None = None) -> None:
        """Poll one source (or all) now; a poll already running is joined, not duplicated.

        The source's next scheduled poll is then one interval (or backoff) after this poll.

        Raises:
            KeyError: when `source` is not a configured source name.
        """
        targets = [self._get(source)] if source is not None else list(self._sources.values())
        if self._stopped:
            return
        await asyncio.gather(*(self._poll(target) for target in targets))

    async def poll_once(self) -> Snapshot:
        """Poll every source once, concurrently, and return the resulting snapshot."""
        if not self._stopped:
            await asyncio.gather(*(self._poll(source) for source in self._sources.values()))
        return self.snapshot()

    # -- polling -----------------------------------------------------------------------------

    async def _run(self, source: _Source) -> None:
        """The schedule loop of one source: poll when due, then sleep until the next deadline."""
        while True:
            remaining = source.due - self._clock.monotonic()
            if remaining > _DUE_EPSILON_S:
                await self._sleep(source, remaining)
                continue  # woken early by a refresh, or on time: recompute against `due`
            await self._poll(source)

    async def _sleep(self, source: _Source, seconds: float) -> None:
        """Sleep on the clock, or less if a poll started elsewhere completes meanwhile."""
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        source.wake = wake
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait({sleeper, wake}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            source.wake = None
            sleeper.cancel()
            wake.cancel()

    async def _poll(self, source: _Source) -> None:
        """Run a poll of `source`, or wait for the one already running."""
        task = source.inflight
        if task is None or task.done():
            name = source.adapter.name
            task = asyncio.create_task(self._poll_and_record(source), name=f"cockpit-poll:{name}")
            source.inflight = task
        # `wait`, unlike awaiting the task, leaves the poll running when this caller is
        # cancelled: another caller may have joined it.
        await asyncio.wait({task})

    async def _poll_and_record(self, source: _Source) -> None:
        adapter = source.adapter
        try:
            data = await adapter.poll()
        except SourceError as exc:
            budget = wait_for_budget(adapter.http.rate_limit, self._clock.now())
            self._record_failure(
                source,
                exc.kind,
                self._name_message(adapter.name, exc.message),
                exc.hint,
                remote_wait(exc.retry_after_s, budget),
            )
        except asyncio.CancelledError as exc:
            task = asyncio.current_task()
            if task is None or task.cancelling():
                raise  # we are being stopped
            # An adapter that raises CancelledError on its own would otherwise re-poll at once,
            # forever: treat it like any other adapter bug.
            self._record_internal_error(source, exc)
        except Exception as exc:
            self._record_internal_error(source, exc)
        else:
            self._record_success(source, data)
        if source.wake is not None and not source.wake.done():
            source.wake.set_result(None)
        self._publish()

    def _record_internal_error(self, source: _Source, exc: BaseException) -> None:
        """A bug in an adapter must not take the screen down: show it as a failing source."""
        name = source.adapter.name
        logger.error("internal error in adapter %s", name, exc_info=exc)
        self._record_failure(
            source,
            ErrorKind.BAD_RESPONSE,
            f"internal error in adapter {name}: {type(exc).__name__}: {exc}",
            "this is a bug in the cockpit; the log has the traceback",
            None,
        )

    def _record_success(self, source: _Source, data: SourceData) -> None:
        now = self._clock.now()
        if data != source.data:  # equal data keeps its object: see `_merged_data`
            source.data = data
        # An exhausted budget after a success: wait for its reset rather than spend a 403.
        budget = wait_for_budget(source.adapter.http.rate_limit, now)
        source.record = replace(
            source.record,
            last_success_at=now,
            last_attempt_at=now,
            last_error=None,
            consecutive_failures=0,
            next_poll_at=self._schedule(source, 0, budget),
        )

    def _record_failure(
        self,
        source: _Source,
        kind: ErrorKind,
        message: str,
        hint: str,
        remote_wait_s: float | None,
    ) -> None:
        now = self._clock.now()
        failures = source.record.consecutive_failures + 1
        source.record = replace(
            source.record,
            last_attempt_at=now,
            last_error=SourceFailure(kind=kind, message=message, hint=hint, at=now),
            consecutive_failures=failures,
            next_poll_at=self._schedule(source, failures, remote_wait_s),
        )

    def _schedule(
        self, source: _Source, failures: int, remote_wait_s: float | None
    ) -> datetime | None:
        """Set the next deadline; returns the wall time shown as `next_poll_at` (when running)."""
        delay = retry_delay(source.policy, failures, self._rng, remote_wait_s=remote_wait_s)
        source.due = self._clock.monotonic() + delay
        return self._clock.now() + timedelta(seconds=delay) if self._running else None

    # -- helpers -----------------------------------------------------------------------------

    def _status(self, source: _Source, now: datetime) -> SourceStatus:
        http = source.adapter.http
        record = source.record
        # The record mirrors the HTTP counters; it is copied only when they moved (after a poll
        # of this source), not for every source on every snapshot.
        if (
            record.rate_limit is not http.rate_limit
            or record.requests != http.requests
            or record.not_modified != http.not_modified
        ):
            record = source.record = replace(
                record,
                rate_limit=http.rate_limit,
                requests=http.requests,
                not_modified=http.not_modified,
            )
        return compute_status(record, now)

    def _publish(self) -> None:
        if not self._subscribers:
            return
        snapshot = self.snapshot()
        for callback in list(self._subscribers):
            try:
                callback(snapshot)
            except Exception:
                logger.exception("snapshot subscriber %r failed; the engine carries on", callback)

    def _get(self, name: str) -> _Source:
        try:
            return self._sources[name]
        except KeyError:
            known = ", ".join(self._sources) or "none"
            raise KeyError(f"unknown source {name!r} (configured: {known})") from None

    @staticmethod
    def _name_message(name: str, message: str) -> str:
        """Every error message names its source, even if an adapter forgot to."""
        return message if name in message else f"{name}: {message}"

    @staticmethod
    def _log_loop_end(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("poll loop %s ended", task.get_name(), exc_info=task.exception())
