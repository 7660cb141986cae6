"""Injectable clocks so every timing decision is testable without sleeping.

The engine, freshness and "ago" labels read time only through a `Clock`. Production uses
`SystemClock`; the demo uses `ScaledClock` (scenario time runs `speed` times faster); tests use
`FakeClock`, whose `sleep` returns only when the test advances it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Wall time, a monotonic timeline and sleeping, all on the same timeline."""

    def now(self) -> datetime:
        """The current UTC time (timezone-aware)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic timeline; only differences are meaningful."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Time that runs `speed` times faster than real time from `start` (the demo's clock)."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._start = start or datetime.now(UTC)
        self._t0 = time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._t0) * self.speed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class FakeClock:
    """A clock that only moves when told to; `sleep` waits for `advance`."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
        self._elapsed = 0.0
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._elapsed + seconds, future))
        await future

    def pending_sleepers(self) -> int:
        """How many coroutines are waiting on this clock (for tests)."""
        return sum(1 for _, f in self._waiters if not f.done())

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose deadline has passed, in order."""
        target = self._elapsed + seconds
        while True:
            due = sorted(
                (w for w in self._waiters if w[0] <= target and not w[1].done()),
                key=lambda w: w[0],
            )
            if not due:
                break
            deadline, future = due[0]
            self._elapsed = max(self._elapsed, deadline)
            future.set_result(None)
            self._waiters = [w for w in self._waiters if not w[1].done()]
            # Let the woken coroutine run until it sleeps again or finishes.
            for _ in range(20):
                await asyncio.sleep(0)
        self._elapsed = target
