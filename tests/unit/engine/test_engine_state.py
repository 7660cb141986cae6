"""What the engine publishes: freshness over time, kept data, errors, subscribers, ordering."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.engine.engine import PollEngine, sort_pipelines
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Freshness, RateLimit, RunStatus, Snapshot
from cockpit.sources.base import SourceData

from .fakes import FakeAdapter, Outcome, data, run, settle


@pytest.fixture
async def engines() -> AsyncIterator[list[PollEngine]]:
    started: list[PollEngine] = []
    yield started
    for engine in started:
        await engine.stop()


@pytest.fixture
def make(clock: FakeClock, client: httpx.AsyncClient, engines: list[PollEngine]):
    def factory(
        *scripts: tuple[str, list[Outcome]], **kwargs: object
    ) -> tuple[PollEngine, list[FakeAdapter]]:
        adapters = [
            FakeAdapter(name, script, clock=clock, client=client, interval_s=10.0, timeout_s=5.0)
            for name, script in scripts
        ]
        engine = PollEngine(adapters, clock, rng=random.Random(0), **kwargs)  # type: ignore[arg-type]
        engines.append(engine)
        return engine, adapters

    return factory


TIMEOUT = SourceError(
    ErrorKind.TIMEOUT, "gh: api.github.test did not answer within 5s", source="gh"
)


async def test_unknown_before_the_first_poll(make) -> None:
    engine, _ = make(("gh", [data("checkout")]), ("gl", [data("payments")]))
    snapshot = engine.snapshot()
    assert [s.state for s in snapshot.sources] == [Freshness.UNKNOWN, Freshness.UNKNOWN]
    assert all(s.age_s is None and s.fetched_at is None for s in snapshot.sources)
    assert snapshot.pipelines == ()
    assert engine.last_data("gh") is None


async def test_fresh_then_failing_keeps_last_good_data_then_fresh_again(make, clock) -> None:
    first, second = data("checkout"), data("checkout", "payments")
    engine, _ = make(("gh", [first, TIMEOUT, second]))
    started_at = clock.now()
    await engine.start()
    await settle()
    status = engine.status("gh")
    assert (status.state, status.age_s, status.error) == (Freshness.FRESH, 0.0, None)

    await clock.advance(10.0)
    failing = engine.snapshot()
    status = failing.sources[0]
    assert status.state is Freshness.FAILING
    assert status.error is not None and status.error.kind is ErrorKind.TIMEOUT
    assert status.error.at == clock.now()
    assert status.fetched_at == started_at
    assert status.age_s == 10.0
    assert failing.pipelines == first.pipelines, "last good data is kept while failing"
    assert engine.last_data("gh") is first

    await clock.advance(3.0)
    assert engine.status("gh").age_s == 13.0, "the age keeps growing while failing"

    await clock.advance(7.0)  # the first retry waits exactly the floor (one interval)
    recovered = engine.snapshot()
    assert recovered.sources[0].state is Freshness.FRESH
    assert recovered.sources[0].error is None
    assert recovered.sources[0].age_s == 0.0
    assert len(recovered.pipelines) == 2


async def test_fresh_becomes_stale_while_waiting_for_a_rate_limit_reset(make, clock) -> None:
    def empty_budget(gh: FakeAdapter) -> SourceData:
        gh.http.rate_limit = RateLimit(0, 5000, gh.clock.now() + timedelta(seconds=900))
        return data("checkout")

    engine, _ = make(("gh", [empty_budget]))
    await engine.start()
    await settle()
    await clock.advance(25.0)  # the threshold: 2 x 10 s + 5 s timeout
    assert engine.status("gh").state is Freshness.FRESH
    await clock.advance(1.0)
    status = engine.status("gh")
    assert status.state is Freshness.STALE
    assert status.age_s == 26.0
    assert status.error is None
    assert engine.snapshot().pipelines, "stale data is still shown"


async def test_failing_before_any_success_has_no_age(make) -> None:
    engine, _ = make(("gh", [TIMEOUT]))
    snapshot = await engine.poll_once()
    status = snapshot.sources[0]
    assert status.state is Freshness.FAILING
    assert status.age_s is None and status.fetched_at is None
    assert status.to_json()["error"] == {"kind": "timeout", "message": TIMEOUT.message}


async def test_unexpected_adapter_exception_is_a_failing_bad_response(make, clock, caplog) -> None:
    engine, (gh,) = make(("gh", [KeyError("runs"), data("checkout")]))
    with caplog.at_level(logging.ERROR, logger="cockpit.engine.engine"):
        await engine.start()
        await settle()
    status = engine.status("gh")
    assert status.state is Freshness.FAILING
    assert status.error is not None
    assert status.error.kind is ErrorKind.BAD_RESPONSE
    assert status.error.message == "internal error in adapter gh: KeyError: 'runs'"
    logged = [r for r in caplog.records if "internal error in adapter gh" in r.getMessage()]
    assert logged and logged[0].exc_info is not None, "the traceback is logged"

    await clock.advance(10.0)
    assert gh.calls == 2, "the engine keeps polling"
    assert engine.status("gh").state is Freshness.FRESH


async def test_error_messages_always_name_the_source(make) -> None:
    anonymous = SourceError(ErrorKind.AUTH, "token refused (HTTP 401)")
    engine, _ = make(("gh", [anonymous]))
    snapshot = await engine.poll_once()
    error = snapshot.sources[0].error
    assert error is not None
    assert error.message == "gh: token refused (HTTP 401)"


async def test_a_snapshot_is_published_after_every_poll(make, clock) -> None:
    engine, _ = make(("gh", [data("a"), TIMEOUT, data("a")]))
    seen: list[Snapshot] = []
    engine.subscribe(seen.append)
    await engine.start()
    await settle()
    await clock.advance(20.0)
    assert [s.sources[0].state for s in seen] == [
        Freshness.FRESH,
        Freshness.FAILING,
        Freshness.FRESH,
    ]
    assert [s.taken_at for s in seen] == sorted(s.taken_at for s in seen)
    engine.unsubscribe(seen.append)
    await clock.advance(10.0)
    assert len(seen) == 3


async def test_a_failing_subscriber_does_not_stop_the_engine(make, clock, caplog) -> None:
    engine, (gh,) = make(("gh", [data("a")]))
    good: list[Snapshot] = []

    def broken(snapshot: Snapshot) -> None:
        raise RuntimeError("widget gone")

    engine.subscribe(broken)
    engine.subscribe(good.append)
    with caplog.at_level(logging.ERROR, logger="cockpit.engine.engine"):
        await engine.start()
        await settle()
        await clock.advance(20.0)
    assert gh.calls == 3
    assert len(good) == 3, "later subscribers still get every snapshot"
    assert sum("subscriber" in r.getMessage() for r in caplog.records) == 3


async def test_pipelines_failures_first_then_running_then_by_service(make) -> None:
    gh = SourceData((run("web"), run("api", RunStatus.RUNNING), run("zeta", RunStatus.FAILURE)))
    gl = SourceData((run("billing", RunStatus.QUEUED, "gl"), run("auth", RunStatus.FAILURE, "gl")))
    engine, _ = make(("gh", [gh]), ("gl", [gl]))
    snapshot = await engine.poll_once()
    assert [p.service for p in snapshot.pipelines] == ["auth", "zeta", "api", "billing", "web"]


def test_sort_pipelines_is_stable_for_equal_keys() -> None:
    one, two = run("same", source="gh"), run("same", source="gl")
    assert sort_pipelines([one, two]) == (one, two)
    assert sort_pipelines([two, one]) == (two, one)


async def test_status_exposes_schedule_rate_limit_and_counters(make, clock) -> None:
    engine, (gh,) = make(("gh", [data("a")]))
    gh.http.requests, gh.http.not_modified = 7, 5
    await engine.start()
    await settle()
    status = engine.snapshot().source("gh")
    assert status is not None
    assert status.next_poll_at is not None
    assert (status.next_poll_at - clock.now()).total_seconds() == 10.0
    assert (status.requests, status.not_modified) == (7, 5)
    assert status.rate_limit is None
    await engine.stop()
    assert engine.status("gh").next_poll_at is None, "nothing is scheduled after stop"


async def test_retry_after_from_real_http_reaches_the_schedule(clock, engines) -> None:
    """End to end through SourceHttp: a 429 with Retry-After delays the next poll."""
    answers = [httpx.Response(429, headers={"Retry-After": "90"}), httpx.Response(200, json=[])]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    class HttpAdapter:
        name, kind, interval_s = "gh", "github", 10.0

        def __init__(self, client: httpx.AsyncClient) -> None:
            self.http = SourceHttp(client, "gh", "https://api.github.test", clock=clock)
            self.polls = 0

        async def poll(self) -> SourceData:
            self.polls += 1
            await self.http.get_json("/repos/acme/checkout/actions/runs")
            return SourceData()

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        adapter = HttpAdapter(client)
        engine = PollEngine([adapter], clock, client=client)
        engines.append(engine)
        await engine.start()
        await settle()
        status = engine.status("gh")
        assert status.error is not None and status.error.kind is ErrorKind.RATE_LIMITED
        assert status.requests == 1
        await clock.advance(89.0)
        assert adapter.polls == 1
        await clock.advance(1.0)
        assert adapter.polls == 2
        assert engine.status("gh").state is Freshness.FRESH
        await engine.stop()
        assert not client.is_closed, "a lent client is closed by its owner"


async def test_an_adapter_raising_cancelled_on_its_own_does_not_spin(make, clock, caplog) -> None:
    engine, (gh,) = make(("gh", [asyncio.CancelledError("oops"), data("checkout")]))
    with caplog.at_level(logging.ERROR, logger="cockpit.engine.engine"):
        await engine.start()
        await settle()
    assert gh.calls == 1, "no immediate re-poll"
    status = engine.status("gh")
    assert status.error is not None and status.error.kind is ErrorKind.BAD_RESPONSE
    assert status.error.message.startswith("internal error in adapter gh: CancelledError")
    await clock.advance(10.0)
    assert engine.status("gh").state is Freshness.FRESH


async def test_a_poll_that_brings_the_same_data_hands_out_the_same_objects(make, clock) -> None:
    # Equal, not identical: the adapter builds new objects on every poll.
    engine, _ = make(("gh", [data("checkout"), data("checkout"), data("checkout", "payments")]))
    first = await engine.poll_once()
    kept = engine.last_data("gh")
    await clock.advance(10)
    second = await engine.poll_once()
    assert engine.last_data("gh") is kept
    assert second.pipelines is first.pipelines, "unchanged data is not merged again"
    assert second.taken_at > first.taken_at and second.sources != first.sources
    third = await engine.poll_once()
    assert [p.service for p in third.pipelines] == ["checkout", "payments"]
    assert engine.last_data("gh") is not kept


async def test_the_status_shows_the_counters_of_the_latest_poll(make, clock) -> None:
    engine, (gh,) = make(("gh", [data("checkout")]))
    await engine.poll_once()
    gh.http.requests, gh.http.not_modified = 3, 2
    gh.http.rate_limit = RateLimit(limit=5000, remaining=4990, reset_at=None)
    status = engine.status("gh")
    assert (status.requests, status.not_modified) == (3, 2)
    assert status.rate_limit is not None and status.rate_limit.remaining == 4990
    gh.http.requests = 4
    assert engine.snapshot().sources[0].requests == 4
