"""Fake adapters for the engine tests: scripted results, optional blocking, concurrency counts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

import httpx

from cockpit.clock import FakeClock
from cockpit.engine.http import SourceHttp
from cockpit.models import PipelineRun, RunStatus
from cockpit.sources.base import SourceData

# One scripted poll outcome: data to return, an exception to raise, or a function of the adapter
# (to change its http.rate_limit before returning data, for instance).
Outcome = SourceData | BaseException | Callable[["FakeAdapter"], SourceData]


def run(service: str, status: RunStatus = RunStatus.SUCCESS, source: str = "gh") -> PipelineRun:
    return PipelineRun(
        service=service, provider="github", run_id="1", name="ci", status=status, source=source
    )


def data(*services: str) -> SourceData:
    return SourceData(pipelines=tuple(run(s) for s in services))


def unused_client() -> httpx.AsyncClient:
    """A client whose every request fails loudly: the fakes never send one."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request to {request.url}")

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


class FakeAdapter:
    """An adapter whose polls follow a script; the last outcome repeats forever.

    Attributes:
        calls: Polls started.
        started_at: The clock's monotonic time at the start of each poll.
        finished_at: The clock's monotonic time at the end of each poll.
        active / max_active: Polls running now / at most at once.
        gate: When set, each poll waits for this event before producing its outcome.
        duration_s: Clock seconds each poll takes (slept through the fake clock).
    """

    def __init__(
        self,
        name: str,
        script: Sequence[Outcome],
        *,
        clock: FakeClock,
        client: httpx.AsyncClient,
        interval_s: float = 10.0,
        timeout_s: float = 10.0,
        duration_s: float = 0.0,
        kind: str = "github",
    ) -> None:
        assert script, "a script needs at least one outcome"
        self.name = name
        self.kind = kind
        self.interval_s = interval_s
        self.http = SourceHttp(
            client, name, "https://ci.example.test", clock=clock, timeout=timeout_s
        )
        self.clock = clock
        self.script = list(script)
        self.duration_s = duration_s
        self.gate: asyncio.Event | None = None
        self.calls = 0
        self.started_at: list[float] = []
        self.finished_at: list[float] = []
        self.active = 0
        self.max_active = 0
        self.cancelled = 0

    async def poll(self) -> SourceData:
        self.calls += 1
        self.started_at.append(self.clock.monotonic())
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.duration_s:
                await self.clock.sleep(self.duration_s)
            outcome = self.script.pop(0) if len(self.script) > 1 else self.script[0]
            if isinstance(outcome, BaseException):
                raise outcome
            if callable(outcome):
                return outcome(self)
            return outcome
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.active -= 1
            self.finished_at.append(self.clock.monotonic())


def seconds_between(later: datetime | None, earlier: datetime) -> float:
    assert later is not None
    return (later - earlier).total_seconds()


async def settle(rounds: int = 50) -> None:
    """Let every ready task run (no time passes: this is not a sleep)."""
    for _ in range(rounds):
        await asyncio.sleep(0)
