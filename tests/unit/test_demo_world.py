"""The demo's release story, end to end: real simulators, real adapters, the verdict flips.

Time is a FakeClock: the scenario, the simulators' answers and the query times all follow it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cockpit.clock import FakeClock
from cockpit.demo import demo_config
from cockpit.models.readiness import GateVerdict, Verdict
from cockpit.readiness import TickBook, evaluate
from cockpit.sim.world import CHECKOUT_ALERT, DemoWorld
from cockpit.sources.factory import build_engine


@pytest.fixture
async def world() -> AsyncIterator[DemoWorld]:
    world = DemoWorld(FakeClock()).start()
    yield world
    world.stop()


async def verdict_at(world: DemoWorld, seconds: float, ticks: TickBook | None = None):  # type: ignore[no-untyped-def]
    clock = world.clock
    assert isinstance(clock, FakeClock)
    await clock.advance(seconds - world.scenario.elapsed())
    world.advance()
    config = demo_config(world.urls)
    engine = build_engine(config, clock, {})
    try:
        snapshot = await engine.poll_once()
    finally:
        await engine.stop()
    results, final = evaluate(config, snapshot, ticks=ticks, now=clock.now())
    return {r.title: r for r in results}, final, snapshot


async def test_every_demo_source_is_fresh(world: DemoWorld) -> None:
    _, _, snapshot = await verdict_at(world, 5)
    assert {s.name: s.state.value for s in snapshot.sources} == {
        name: "fresh" for name in ("gh", "gl", "jk", "registry", "prom", "am")
    }
    assert {p.provider for p in snapshot.pipelines} == {"github", "gitlab", "jenkins"}


async def test_the_verdict_follows_the_release_story(world: DemoWorld) -> None:
    gates, final, _ = await verdict_at(world, 60)
    assert final is Verdict.NO_GO
    assert gates["Image signed: checkout"].verdict is GateVerdict.FAIL
    assert gates["Image present: checkout"].evidence["index_digest"].startswith("sha256:")
    assert gates["CI green: checkout"].verdict is GateVerdict.UNKNOWN  # still running

    gates, final, _ = await verdict_at(world, 150)
    alerts = gates["Alerts quiet (am)"]
    assert alerts.verdict is GateVerdict.FAIL
    assert CHECKOUT_ALERT in alerts.reason

    ticks = TickBook()
    manual = next(i for i, g in enumerate(demo_config(world.urls).gates) if g.kind == "manual")
    gates, final, _ = await verdict_at(world, 330)
    assert final is Verdict.UNKNOWN  # everything passes but nobody ticked the manual gate
    assert gates["Image signed: checkout"].verdict is GateVerdict.PASS
    assert gates["CI green: checkout"].verdict is GateVerdict.PASS
    assert gates["Alerts quiet (am)"].verdict is GateVerdict.PASS

    ticks.tick(manual, "ada", world.clock.now())
    _, final, _ = await verdict_at(world, 331, ticks)
    assert final is Verdict.GO


async def test_failed_runs_on_all_three_systems_carry_triage(world: DemoWorld) -> None:
    _, _, snapshot = await verdict_at(world, 330)
    failed = {p.service: p for p in snapshot.pipelines if p.status.value == "failure"}
    assert {s: failed[s].provider for s in ("payments", "ledger", "reports")} == {
        "payments": "github",
        "ledger": "gitlab",
        "reports": "jenkins",
    }
    classes = {s: run.triage.failure_class for s, run in failed.items() if run.triage}
    assert classes == {"payments": "code", "ledger": "flaky", "reports": "infra"}
    payments = failed["payments"].triage
    assert payments is not None and payments.evidence
    assert payments.action.startswith("code: route to")
    assert failed["payments"].commit[:7] in payments.action
