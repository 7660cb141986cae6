"""Engine figures: a 500-service poll cycle, and the rate-limit cost of 10 minutes of polling.

Both run the production code path (`Config.model_validate` -> `build_engine` -> `PollEngine`)
against the frozen GitHub simulator in its own process (`bench.sim_server`).

- Poll cycle: `PollEngine.poll_once()` over 500 services (50 sources x 10) with 50 ms injected
  latency per request, on the real clock: wall time and this process's CPU, requests the
  simulator saw, how many were in flight at once, and how many were answered 304. The first
  cycle of a fresh engine is cold (empty cache: every answer a 200); the second is warm
  (unchanged data: every answer should be a 304). The simulator answers repeats from memory
  (`--memo`), so its own cost stays out of the figure (it reports its CPU seconds anyway).
- Rate limit: the engine on a `FakeClock` (time is advanced, not waited for: 10 simulated
  minutes take seconds), its real per-source schedules, against the simulator's own rate-limit
  accounting (GitHub's rules: a 304 is free). Charged requests after the first cycle should be 0.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.frozen_world import world_config
from bench.sim_server import SimProcess

FROZEN_AT_S = 60.0
"""Freeze the scenario here: some runs are in progress, so their jobs are fetched too."""


@dataclass
class Cycle:
    wall_s: float
    cpu_s: float
    requests: int
    not_modified: int
    charged: int
    rate_limited: int
    max_in_flight: int
    pipelines: int
    failing_sources: int
    sim_cpu_s: float
    first_error: str = ""
    endpoints: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def _cycles(url: str, sim: SimProcess, *, sources: int, per_source: int) -> list[Cycle]:
    from cockpit.clock import SystemClock
    from cockpit.sources.factory import build_engine

    config = world_config(url, sources=sources, services_per_source=per_source)
    engine = build_engine(config, SystemClock(), {})
    cycles = []
    try:
        for _ in range(2):  # cold, then warm
            sim.reset()
            wall, cpu = time.monotonic(), time.process_time()
            snapshot = await engine.poll_once()
            wall, cpu = time.monotonic() - wall, time.process_time() - cpu
            stats = sim.stats()
            failing = [s for s in snapshot.sources if s.error is not None]
            cycles.append(
                Cycle(
                    wall_s=wall,
                    cpu_s=cpu,
                    requests=stats["requests"],
                    not_modified=stats["not_modified"],
                    charged=stats["charged"],
                    rate_limited=stats["rate_limited"],
                    max_in_flight=stats["max_in_flight"],
                    pipelines=len(snapshot.pipelines),
                    failing_sources=len(failing),
                    sim_cpu_s=stats["cpu_s"],
                    first_error=failing[0].error.message if failing and failing[0].error else "",
                    endpoints=stats["endpoints"],
                )
            )
    finally:
        await engine.stop()
    return cycles


def poll_cycles(
    runs: int, *, latency_ms: float = 50.0, sources: int = 50, per_source: int = 10
) -> list[tuple[Cycle, Cycle]]:
    """`runs` fresh engines, each: (cold cycle, warm cycle)."""
    results = []
    with SimProcess(at_s=FROZEN_AT_S, latency_ms=latency_ms, memo=True) as sim:
        for _ in range(runs):
            cold, warm = asyncio.run(_cycles(sim.url, sim, sources=sources, per_source=per_source))
            results.append((cold, warm))
    return results


@dataclass
class RateLimitSoak:
    simulated_s: float
    sources: int
    interval: str
    polls: int
    warmup_requests: int
    warmup_charged: int
    requests: int
    not_modified: int
    charged: int
    rate_limited: int
    remaining: int
    rate_limit: int
    real_s: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


SETTLE_TIMEOUT_S = 60.0


async def _settle(clock: Any, sleepers: int) -> None:
    """Wait (real time) until every source loop sleeps on the fake clock again."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while clock.pending_sleepers() < sleepers:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {clock.pending_sleepers()} of {sleepers} loops went idle")
        await asyncio.sleep(0.002)


async def _rate_limit(
    url: str, sim: SimProcess, *, seconds: float, sources: int, interval: str
) -> RateLimitSoak:
    from cockpit.clock import FakeClock
    from cockpit.sources.factory import build_engine

    started = time.monotonic()
    config = world_config(url, sources=sources, interval=interval)
    clock = FakeClock()
    engine = build_engine(config, clock, {})
    polls = 0

    def count(_snapshot: object) -> None:
        nonlocal polls
        polls += 1

    engine.subscribe(count)
    try:
        await engine.start()
        await _settle(clock, sources)  # the first (cold) cycle: fills the caches
        warmup = sim.stats()
        sim.reset()
        polls = 0
        elapsed = 0.0
        while elapsed < seconds:
            await clock.advance(1.0)
            elapsed += 1.0
            await _settle(clock, sources)
        stats = sim.stats()
    finally:
        await engine.stop()
    return RateLimitSoak(
        simulated_s=seconds,
        sources=sources,
        interval=interval,
        polls=polls,
        warmup_requests=warmup["requests"],
        warmup_charged=warmup["charged"],
        requests=stats["requests"],
        not_modified=stats["not_modified"],
        charged=stats["charged"],
        rate_limited=stats["rate_limited"],
        remaining=stats["remaining"],
        rate_limit=stats["rate_limit"],
        real_s=time.monotonic() - started,
    )


def rate_limit_soak(
    *, seconds: float = 600.0, sources: int = 50, interval: str = "10s"
) -> RateLimitSoak:
    """Simulated `seconds` of polling unchanged data: what the rate limit is charged."""
    with SimProcess(at_s=FROZEN_AT_S) as sim:
        return asyncio.run(
            _rate_limit(sim.url, sim, seconds=seconds, sources=sources, interval=interval)
        )
