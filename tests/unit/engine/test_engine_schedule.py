"""The engine's schedule: no overlap, reschedule after completion, backoff, remote waits, stop.

Time only moves through `FakeClock.advance`; `settle()` lets ready tasks run without time passing.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.engine.backoff import BackoffPolicy, retry_delay
from cockpit.engine.engine import PollEngine
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Freshness, RateLimit
from cockpit.sources.base import SourceData

from .fakes import FakeAdapter, Outcome, data, seconds_between, settle

EngineFactory = Callable[..., PollEngine]


@pytest.fixture
async def make_engine(clock: FakeClock) -> AsyncIterator[EngineFactory]:
    engines: list[PollEngine] = []

    def factory(*adapters: FakeAdapter, **kwargs: object) -> PollEngine:
        engine = PollEngine(list(adapters), clock, **kwargs)  # type: ignore[arg-type]
        engines.append(engine)
        return engine

    yield factory
    for engine in engines:
        await engine.stop()


@pytest.fixture
def adapter(clock: FakeClock, client: httpx.AsyncClient) -> Callable[..., FakeAdapter]:
    def factory(
        script: list[Outcome] | None = None, name: str = "gh", **kwargs: object
    ) -> FakeAdapter:
        return FakeAdapter(name, script or [data("checkout")], clock=clock, client=client, **kwargs)  # type: ignore[arg-type]

    return factory


def unreachable(retry_after_s: float | None = None) -> SourceError:
    return SourceError(
        ErrorKind.UNREACHABLE, "gh: cannot connect", source="gh", retry_after_s=retry_after_s
    )


async def test_refresh_during_a_running_poll_joins_it(make_engine, adapter, clock) -> None:
    gh = adapter()
    gh.gate = asyncio.Event()
    engine = make_engine(gh)
    await engine.start()
    await settle()
    assert (gh.calls, gh.active) == (1, 1)

    refreshes = [asyncio.create_task(engine.refresh("gh")) for _ in range(3)]
    refresh_all = asyncio.create_task(engine.refresh())
    await settle()
    assert gh.calls == 1, "a refresh must not start a second poll while one runs"
    assert not any(r.done() for r in [*refreshes, refresh_all]), "refresh waits for the poll"

    gh.gate.set()
    await asyncio.gather(*refreshes, refresh_all)
    assert gh.calls == 1
    assert gh.max_active == 1
    assert engine.status("gh").state is Freshness.FRESH


async def test_polls_never_overlap_even_when_a_poll_outlasts_the_interval(
    make_engine, adapter, clock
) -> None:
    gh = adapter(interval_s=10.0, duration_s=25.0)
    engine = make_engine(gh)
    await engine.start()
    await settle()
    refreshes = []
    for _ in range(12):  # a refresh every 7 s while each poll takes 25 s
        refreshes.append(asyncio.create_task(engine.refresh("gh")))
        await settle()
        await clock.advance(7.0)
    await clock.advance(25.0)
    await asyncio.gather(*refreshes)
    assert gh.max_active == 1
    assert gh.calls >= 3
    for finished, next_start in zip(gh.finished_at, gh.started_at[1:], strict=False):
        assert next_start >= finished


async def test_next_poll_is_one_interval_after_completion_not_start(
    make_engine, adapter, clock
) -> None:
    gh = adapter(interval_s=10.0, duration_s=5.0)
    engine = make_engine(gh)
    await engine.start()
    await settle()
    await clock.advance(51.0)
    assert gh.started_at == [0.0, 15.0, 30.0, 45.0]
    assert gh.finished_at == [5.0, 20.0, 35.0, 50.0]
    status = engine.status("gh")
    assert seconds_between(status.next_poll_at, clock.now()) == pytest.approx(9.0)


async def test_refresh_while_idle_polls_now_and_restarts_the_interval(
    make_engine, adapter, clock
) -> None:
    gh = adapter(interval_s=10.0)
    engine = make_engine(gh)
    await engine.start()
    await settle()
    await clock.advance(4.0)
    await engine.refresh("gh")
    assert gh.started_at == [0.0, 4.0]
    await clock.advance(6.0)  # t=10: the old deadline passes without a poll
    assert gh.calls == 2
    await clock.advance(4.0)  # t=14: one interval after the refresh
    assert gh.started_at == [0.0, 4.0, 14.0]


async def test_a_successful_refresh_cuts_a_long_backoff_short(make_engine, adapter, clock) -> None:
    gh = adapter([unreachable(retry_after_s=600.0), data("checkout")], interval_s=10.0)
    engine = make_engine(gh)
    await engine.start()
    await settle()
    assert engine.status("gh").state is Freshness.FAILING
    await clock.advance(5.0)
    await engine.refresh("gh")
    assert engine.status("gh").state is Freshness.FRESH
    await clock.advance(10.0)  # t=15: back on the healthy schedule, not at t=600
    assert gh.started_at == [0.0, 5.0, 15.0]


async def test_backoff_grows_with_seeded_full_jitter(make_engine, adapter, clock) -> None:
    gh = adapter([unreachable()], interval_s=10.0)
    engine = make_engine(gh, rng=random.Random(2024), backoff_cap_s=300.0)
    await engine.start()
    await settle()
    await clock.advance(5000.0)

    gaps = [b - a for a, b in zip(gh.started_at, gh.started_at[1:], strict=False)]
    assert len(gaps) >= 8
    mirror = random.Random(2024)
    policy = BackoffPolicy.for_interval(10.0, cap_s=300.0)
    expected = [retry_delay(policy, n, mirror) for n in range(1, len(gaps) + 1)]
    assert gaps == pytest.approx(expected)
    for n, gap in enumerate(gaps, start=1):
        assert 10.0 <= gap <= min(300.0, 10.0 * 2 ** (n - 1))  # floor .. full-jitter ceiling
    assert max(gaps[4:]) > 60.0, "the waits must grow"
    assert engine.status("gh").state is Freshness.FAILING


async def test_success_resets_the_failure_count(make_engine, adapter, clock) -> None:
    gh = adapter([unreachable(), unreachable(), unreachable(), data("a"), unreachable(), data("a")])
    engine = make_engine(gh, rng=random.Random(1))
    await engine.start()
    await settle()
    await clock.advance(2000.0)
    gaps = [b - a for a, b in zip(gh.started_at, gh.started_at[1:], strict=False)]
    # After the success (4th poll) the next failure retries after exactly the floor: attempt 0.
    assert gaps[3] == pytest.approx(10.0)
    assert gaps[4] == pytest.approx(10.0)


async def test_retry_after_is_honoured(make_engine, adapter, clock) -> None:
    limited = SourceError(ErrorKind.RATE_LIMITED, "gh: rate limited", retry_after_s=120.0)
    gh = adapter([limited, data("checkout")], interval_s=10.0)
    engine = make_engine(gh)
    await engine.start()
    await settle()
    status = engine.status("gh")
    assert status.error is not None and status.error.kind is ErrorKind.RATE_LIMITED
    assert seconds_between(status.next_poll_at, clock.now()) == 120.0
    await clock.advance(119.0)
    assert gh.calls == 1
    await clock.advance(1.0)
    assert gh.calls == 2


def exhaust_budget(reset_in_s: float) -> Callable[[FakeAdapter], SourceData]:
    def outcome(gh: FakeAdapter) -> SourceData:
        reset_at = gh.clock.now() + timedelta(seconds=reset_in_s)
        gh.http.rate_limit = RateLimit(remaining=0, limit=5000, reset_at=reset_at)
        return data("checkout")

    return outcome


async def test_exhausted_budget_after_success_waits_until_reset(
    make_engine, adapter, clock
) -> None:
    gh = adapter([exhaust_budget(600.0), data("checkout")], interval_s=10.0)
    engine = make_engine(gh)
    await engine.start()
    await settle()
    status = engine.status("gh")
    assert status.state is Freshness.FRESH
    assert status.rate_limit is not None and status.rate_limit.remaining == 0
    assert seconds_between(status.next_poll_at, clock.now()) == 600.0
    await clock.advance(599.0)
    assert gh.calls == 1
    await clock.advance(1.0)
    assert gh.calls == 2


async def test_exhausted_budget_after_failure_waits_until_reset(
    make_engine, adapter, clock
) -> None:
    def fail_with_empty_budget(gh: FakeAdapter) -> SourceData:
        exhaust_budget(300.0)(gh)
        raise SourceError(ErrorKind.BAD_RESPONSE, "gh: HTTP 500")

    gh = adapter([fail_with_empty_budget, data("checkout")], interval_s=10.0)
    engine = make_engine(gh, rng=random.Random(0))
    await engine.start()
    await settle()
    await clock.advance(299.0)
    assert gh.calls == 1
    await clock.advance(1.0)
    assert gh.calls == 2


async def test_poll_once_polls_every_source_concurrently(make_engine, adapter, clock) -> None:
    slow_a = adapter(name="a", duration_s=5.0, interval_s=10.0)
    slow_b = adapter(name="b", duration_s=5.0, interval_s=10.0)
    engine = make_engine(slow_a, slow_b)
    polling = asyncio.create_task(engine.poll_once())
    await settle()
    assert (slow_a.active, slow_b.active) == (1, 1)
    await clock.advance(5.0)
    snapshot = await polling
    assert clock.monotonic() == 5.0, "two 5 s polls take 5 s together, not 10"
    assert [s.state for s in snapshot.sources] == [Freshness.FRESH, Freshness.FRESH]
    assert (slow_a.calls, slow_b.calls) == (1, 1)
    assert all(s.next_poll_at is None for s in snapshot.sources), "nothing is scheduled"
    assert clock.pending_sleepers() == 0


async def test_refresh_all_polls_every_source(make_engine, adapter) -> None:
    a, b = adapter(name="a"), adapter(name="b")
    engine = make_engine(a, b)
    await engine.refresh()
    assert (a.calls, b.calls) == (1, 1)


async def test_refresh_of_an_unknown_source_says_which_exist(make_engine, adapter) -> None:
    engine = make_engine(adapter(name="gh"))
    with pytest.raises(KeyError, match=r"gl.*gh"):
        await engine.refresh("gl")


async def test_stop_is_idempotent_and_cancels_a_running_poll(make_engine, adapter, clock) -> None:
    gh = adapter()
    gh.gate = asyncio.Event()
    engine = make_engine(gh)
    await engine.start()
    await settle()
    assert gh.active == 1
    await engine.stop()
    await engine.stop()
    assert gh.active == 0 and gh.cancelled == 1
    assert not engine.running
    await clock.advance(1000.0)
    assert gh.calls == 1, "no poll after stop"
    await engine.refresh()
    assert gh.calls == 1, "refresh after stop does nothing"
    with pytest.raises(RuntimeError, match="stopped"):
        await engine.start()


async def test_stop_before_start_is_fine(make_engine, adapter) -> None:
    engine = make_engine(adapter())
    await engine.stop()
    await engine.stop()


async def test_start_twice_runs_one_loop_per_source(make_engine, adapter, clock) -> None:
    gh = adapter(interval_s=10.0)
    engine = make_engine(gh)
    await engine.start()
    await engine.start()
    await settle()
    await clock.advance(10.0)
    assert gh.started_at == [0.0, 10.0]


async def test_stop_closes_only_a_client_the_engine_owns(adapter, client, clock) -> None:
    created = PollEngine([adapter()], clock)
    await created.stop()
    assert created.client.is_closed

    lent = PollEngine([adapter()], clock, client=client)
    await lent.stop()
    assert not client.is_closed

    async with httpx.AsyncClient() as handed_over:
        owned = PollEngine([adapter()], clock, client=handed_over, owns_client=True)
        await owned.stop()
        assert handed_over.is_closed


def test_duplicate_source_names_are_refused(adapter, clock) -> None:
    with pytest.raises(ValueError, match="duplicate source names: gh"):
        PollEngine([adapter(name="gh"), adapter(name="gh")], clock)
