"""The live readiness tracker: decisions recorded and persisted, local gates, staleness, changes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import textwrap
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import Config
from cockpit.models import Freshness
from cockpit.models.readiness import GateVerdict, Verdict
from cockpit.models.release_data import Alert, ArtifactStatus, QueryResult
from cockpit.models.snapshot import Snapshot
from cockpit.readiness import GateActionError
from cockpit.readiness import live as live_module
from cockpit.readiness.live import LOCAL_STALE_S, NOT_RUN, ReadinessTracker
from cockpit.readiness.state_file import default_state_path, load_records

from .helpers import NOW, all_fresh, fresh, make_config

QUERY = "slo:burn_rate1h"
DIGEST = "sha256:" + "ab" * 32
SECRET = "s3cr3t-token-value"

GATES: list[dict[str, Any]] = [
    {"kind": "artifact_signed", "service": "checkout"},
    {"kind": "error_budget", "source": "prom", "query": QUERY, "max": 1},
    {"kind": "manual", "title": "Support team informed"},
    {"kind": "command", "title": "Smoke test", "run": ["./smoke.sh", "staging"], "timeout": 30},
]
SIGNED, BUDGET, MANUAL, SMOKE = range(4)


def image(signed: bool) -> ArtifactStatus:
    return ArtifactStatus(
        service="checkout",
        image="acme/checkout",
        tag="v2.14.0",
        present=True,
        digest=DIGEST,
        signed=signed,
        source="registry",
        fetched_at=NOW,
    )


def budget(value: float) -> QueryResult:
    return QueryResult(query=QUERY, value=value, result_type="vector", series=1, source="prom")


def snap(*, signed: bool = False, burn: float = 0.2, **fields: Any) -> Snapshot:
    fields.setdefault("sources", all_fresh())
    return Snapshot(
        taken_at=NOW,
        artifacts=(image(signed),),
        queries=(budget(burn),),
        **fields,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def config() -> Config:
    return make_config(GATES, environment="staging")


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "v2.14.0.jsonl"


def tracker(
    config: Config, clock: FakeClock, state: Path, operator: str = "alice", **kw: Any
) -> ReadinessTracker:
    kw.setdefault("base_dir", state.parent.parent)
    kw.setdefault("environ", {"PATH": "/usr/bin:/bin", "DEPLOY_TOKEN": SECRET})
    return ReadinessTracker(config, clock, operator=operator, state_path=state, **kw)


def lines(state: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in state.read_text().splitlines() if line.strip()]


# -- ticks ------------------------------------------------------------------------------------


def test_a_tick_is_recorded_with_who_and_when_and_persisted(
    config: Config, clock: FakeClock, state: Path
) -> None:
    live = tracker(config, clock, state)
    live.evaluate(snap())
    assert live.results[MANUAL].verdict is GateVerdict.UNKNOWN
    tick = live.tick(MANUAL, note="told #support")
    assert (tick.by, tick.at, tick.note) == ("alice", NOW, "told #support")
    results, _ = live.evaluate(snap())
    assert results[MANUAL].verdict is GateVerdict.PASS
    assert results[MANUAL].reason == "ticked by alice at 2026-11-23 10:00 UTC"
    [record] = lines(state)
    assert record["op"] == "tick" and record["gate"] == MANUAL
    assert record["by"] == "alice" and record["at"] == NOW.isoformat()
    assert record["title"] == "Support team informed" and record["text"] == "told #support"


def test_ticks_and_waivers_survive_a_crash(config: Config, clock: FakeClock, state: Path) -> None:
    """A new tracker on the same file (the cockpit restarted after a crash) sees every decision."""
    first = tracker(config, clock, state)
    first.evaluate(snap())
    first.tick(MANUAL)
    first.clock = FakeClock(NOW + timedelta(seconds=10))
    first.waive(SIGNED, "signing service down; digest verified by hand")
    del first  # no close, no flush: every line was fsynced when it was written

    second = tracker(config, FakeClock(NOW + timedelta(seconds=20)), state, operator="bob")
    assert second.load_warnings == []
    tick = second.ticked(MANUAL)
    assert tick is not None and (tick.by, tick.at) == ("alice", NOW)
    waiver = second.waiver(SIGNED)
    assert waiver is not None
    assert waiver.by == "alice" and waiver.at == NOW + timedelta(seconds=10)
    assert waiver.reason == "signing service down; digest verified by hand"
    results, final = second.evaluate(snap())
    assert results[SIGNED].verdict is GateVerdict.WAIVED
    assert results[MANUAL].verdict is GateVerdict.PASS
    assert final is Verdict.UNKNOWN  # the smoke test has not run: unknown is never a pass


def test_untick_is_recorded_and_replayed(config: Config, clock: FakeClock, state: Path) -> None:
    live = tracker(config, clock, state)
    live.tick(MANUAL)
    live.untick(MANUAL)
    assert live.ticked(MANUAL) is None
    assert [r["op"] for r in lines(state)] == ["tick", "untick"]
    assert tracker(config, clock, state).ticked(MANUAL) is None
    live.untick(MANUAL)  # nothing to withdraw: nothing written
    assert len(lines(state)) == 2


def test_only_manual_gates_are_ticked(config: Config, clock: FakeClock, state: Path) -> None:
    live = tracker(config, clock, state)
    with pytest.raises(GateActionError, match="only manual gates can be ticked"):
        live.tick(SIGNED)
    with pytest.raises(GateActionError, match="no gate number 10"):
        live.tick(9)
    assert not state.exists()


# -- waivers ----------------------------------------------------------------------------------


def test_a_waiver_is_recorded_with_who_when_and_why(
    config: Config, clock: FakeClock, state: Path
) -> None:
    live = tracker(config, clock, state)
    _, final = live.evaluate(snap())
    assert final is Verdict.NO_GO
    waiver = live.waive(SIGNED, "  verified by hand  ")
    assert (waiver.by, waiver.at, waiver.reason) == ("alice", NOW, "verified by hand")
    result = live.results[SIGNED]
    assert result.verdict is GateVerdict.WAIVED and result.waiver == waiver
    assert result.reason.startswith("waived by alice: verified by hand (was: no signature for")
    [record] = lines(state)
    assert record["op"] == "waive" and record["text"] == "verified by hand"
    assert record["failure"] == f"no signature for {DIGEST}"


def test_only_a_failing_gate_can_be_waived(config: Config, clock: FakeClock, state: Path) -> None:
    live = tracker(config, clock, state)
    live.evaluate(snap(signed=True))
    with pytest.raises(GateActionError, match="is passing"):
        live.waive(SIGNED, "why not")
    with pytest.raises(GateActionError, match="is unknown") as unknown:
        live.waive(MANUAL, "not ticked")
    assert "unknown is never a pass" in unknown.value.hint
    live.evaluate(snap(signed=False))
    with pytest.raises(GateActionError, match="needs a reason"):
        live.waive(SIGNED, "   ")
    assert not state.exists()
    live.waive(SIGNED, "verified by hand")
    with pytest.raises(GateActionError, match="waived already, by alice"):
        live.waive(SIGNED, "again")
    assert len(lines(state)) == 1


def test_a_waiver_is_judged_against_the_gate_as_of_now(
    config: Config, clock: FakeClock, state: Path
) -> None:
    """The image was signed while the operator typed the reason: nothing left to waive."""
    live = tracker(config, clock, state)
    live.evaluate(snap(signed=False))
    assert live.check_waivable(SIGNED).verdict is GateVerdict.FAIL
    live.evaluate(snap(signed=True))
    with pytest.raises(GateActionError, match="is passing"):
        live.waive(SIGNED, "typed too slowly")


def test_no_secret_reaches_the_state_file(config: Config, clock: FakeClock, state: Path) -> None:
    live = tracker(config, clock, state)
    live.evaluate(snap())
    live.tick(MANUAL)
    live.waive(SIGNED, "verified by hand")
    text = state.read_text()
    assert SECRET not in text and "DEPLOY_TOKEN" not in text and "PATH" not in text
    assert oct(state.stat().st_mode & 0o777) == oct(0o600)


# -- the state file -----------------------------------------------------------------------------


def test_a_torn_last_line_is_ignored_with_a_warning(
    config: Config, clock: FakeClock, state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = tracker(config, clock, state)
    live.tick(MANUAL)
    with state.open("ab") as file:  # the crash cut the next line short
        file.write(b'{"v":1,"op":"waive","gate":0,"kind":"artifact_si')
    with caplog.at_level(logging.WARNING):
        reloaded = tracker(config, clock, state)
    assert reloaded.ticked(MANUAL) is not None
    assert reloaded.waiver(SIGNED) is None
    assert len(reloaded.load_warnings) == 1
    assert "ignored a torn last line" in reloaded.load_warnings[0]
    assert "torn last line" in caplog.text
    # The next decision starts on a line of its own: nothing glues onto the torn bytes.
    reloaded.untick(MANUAL)
    again = tracker(config, clock, state)
    assert again.ticked(MANUAL) is None
    assert [r.op for r in load_records(state).records] == ["tick", "untick"]


def test_each_decision_is_fsynced(
    config: Config, clock: FakeClock, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    live = tracker(config, clock, state)
    live.tick(MANUAL)
    first = len(synced)
    assert first >= 1  # the line (and the new file's directory)
    live.untick(MANUAL)
    assert len(synced) == first + 1


def test_a_decision_that_cannot_be_written_does_not_count(
    config: Config, clock: FakeClock, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the directory should be")
    live = tracker(config, clock, blocked / "v2.14.0.jsonl", base_dir=tmp_path)
    with pytest.raises(GateActionError, match="could not record the tick") as refused:
        live.tick(MANUAL)
    assert refused.value.title == "Not recorded"
    assert live.ticked(MANUAL) is None


def test_decisions_for_another_environment_or_a_changed_gate_are_not_applied(
    config: Config, clock: FakeClock, state: Path
) -> None:
    tracker(config, clock, state).tick(MANUAL)
    demo = make_config(GATES, environment="demo")
    assert tracker(demo, clock, state).ticked(MANUAL) is None
    renamed = [*GATES[:MANUAL], {"kind": "manual", "title": "Status page updated"}, GATES[SMOKE]]
    moved = tracker(make_config(renamed, environment="staging"), clock, state)
    assert moved.ticked(MANUAL) is None
    assert "no longer matches the config" in moved.load_warnings[0]


def test_the_default_state_path_follows_xdg(tmp_path: Path) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path), "HOME": "/home/alice"}
    assert default_state_path("v2.14.0", environ) == (
        tmp_path / "cockpit" / "readiness" / "v2.14.0.jsonl"
    )
    relative = {"XDG_STATE_HOME": "state", "HOME": "/home/alice"}
    assert default_state_path("release/2.14", relative) == Path(
        "/home/alice/.local/state/cockpit/readiness/release_2.14.jsonl"
    )


# -- staleness and local gates ------------------------------------------------------------------


async def test_a_stale_source_turns_a_gate_unknown(
    config: Config, clock: FakeClock, state: Path
) -> None:
    live = tracker(config, clock, state)
    assert live.evaluate(snap(signed=True))[0][BUDGET].verdict is GateVerdict.PASS
    await clock.advance(60)  # prom: 10s interval + 10s timeout -> stale after 30s
    result = live.reevaluate()[0][BUDGET]
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == "source prom is stale (1m2s old)"
    assert result.evidence["last_result"]["verdict"] == "pass"


FREEZE = """
timezone: UTC
windows:
  - name: Release freeze
    start: 2026-11-23 10:30
    end: 2026-11-23 12:00
"""


async def test_the_freeze_window_is_judged_against_the_clock_on_each_refresh(
    clock: FakeClock, state: Path
) -> None:
    base = state.parent.parent
    (base / "freeze.yaml").write_text(textwrap.dedent(FREEZE), encoding="utf-8")
    config = make_config(
        [{"kind": "freeze_window", "calendar": "freeze.yaml"}], environment="staging"
    )
    live = tracker(config, clock, state, base_dir=base)
    assert live.evaluate(snap())[0][0].reason == "not evaluated yet"
    await live.refresh_local()
    assert live.reevaluate()[0][0].verdict is GateVerdict.PASS
    await clock.advance(45 * 60)
    await live.refresh_local()
    frozen = live.reevaluate()[0][0]
    assert frozen.verdict is GateVerdict.FAIL and "Release freeze" in frozen.reason


async def test_local_results_go_unknown_when_refreshes_stop(clock: FakeClock, state: Path) -> None:
    base = state.parent.parent
    (base / "freeze.yaml").write_text(textwrap.dedent(FREEZE), encoding="utf-8")
    config = make_config([{"kind": "freeze_window", "calendar": "freeze.yaml"}])
    live = tracker(config, clock, state, base_dir=base)
    await live.refresh_local()
    assert live.reevaluate()[0][0].verdict is GateVerdict.PASS
    await clock.advance(LOCAL_STALE_S + 1)
    stale = live.reevaluate()[0][0]
    assert stale.verdict is GateVerdict.UNKNOWN
    assert stale.reason.startswith("last checked 3m1s ago")


async def test_refreshes_never_overlap_and_never_run_commands(
    config: Config, clock: FakeClock, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[frozenset[str]] = []
    release = asyncio.Event()

    async def slow(*args: Any, kinds: frozenset[str], **kw: Any) -> dict[int, Any]:
        calls.append(kinds)
        await release.wait()
        return {}

    monkeypatch.setattr(live_module, "evaluate_local_gates", slow)
    live = tracker(config, clock, state)
    first = asyncio.ensure_future(live.refresh_local())
    await asyncio.sleep(0)
    await live.refresh_local()  # dropped: one is running
    release.set()
    await first
    assert len(calls) == 1 and "command" not in calls[0]
    assert live.local_refreshed_at == NOW
    assert live.reevaluate()[0][SMOKE].reason == NOT_RUN


# -- command gates ------------------------------------------------------------------------------


async def test_a_command_gate_runs_only_when_asked_and_keeps_its_result(
    config: Config, clock: FakeClock, state: Path
) -> None:
    base = state.parent.parent
    script = base / "smoke.sh"
    script.write_text('#!/bin/sh\necho "smoke ok on $1"\n')
    script.chmod(0o755)
    live = tracker(config, clock, state, base_dir=base)
    plan = live.command_plan(SMOKE)
    assert plan.argv == ("./smoke.sh", "staging")
    assert plan.cwd == base.resolve() and plan.timeout_s == 30
    pending = live.run_command(SMOKE)
    running = live.reevaluate()[0][SMOKE]
    assert running.verdict is GateVerdict.UNKNOWN and running.reason.startswith("running since")
    with pytest.raises(GateActionError, match="running already"):
        live.command_plan(SMOKE)
    outcome = await pending
    assert outcome.verdict is GateVerdict.PASS
    assert outcome.evidence["output_tail"] == "smoke ok on staging"
    kept = live.reevaluate()[0][SMOKE]
    assert kept.verdict is GateVerdict.PASS and not live.running(SMOKE)
    with pytest.raises(GateActionError, match="only command gates can be run"):
        live.command_plan(MANUAL)


def test_a_shell_command_is_shown_as_the_shell_runs_it(clock: FakeClock, state: Path) -> None:
    config = make_config(
        [
            {
                "kind": "command",
                "title": "Smoke",
                "run": ["make", "smoke", "&&", "echo ok"],
                "shell": True,
            }
        ]
    )
    plan = tracker(config, clock, state).command_plan(0)
    assert plan.argv == ("/bin/sh", "-c", "make smoke && echo ok")


# -- verdict changes ----------------------------------------------------------------------------


def test_the_first_settled_verdict_is_not_a_change_later_ones_are_once(
    config: Config, clock: FakeClock, state: Path
) -> None:
    live = tracker(config, clock, state)
    nothing_yet = Snapshot(taken_at=NOW)
    assert live.evaluate(nothing_yet)[1] is Verdict.UNKNOWN
    assert live.take_change() is None  # nothing polled yet: not a baseline
    live.evaluate(snap(burn=2.0))
    assert live.take_change() is None  # the first real answer is the baseline (NO-GO)
    live.tick(MANUAL)
    live.evaluate(snap(burn=2.0))
    assert live.take_change() is None  # still NO-GO
    config_passing = replace(snap(signed=True), queries=(budget(0.1),))
    assert live.evaluate(config_passing)[1] is Verdict.UNKNOWN  # smoke test not run
    assert live.take_change() == (Verdict.NO_GO, Verdict.UNKNOWN)
    assert live.take_change() is None  # announced once
    live.evaluate(config_passing)
    assert live.take_change() is None


def test_a_change_and_back_before_anyone_looked_is_no_change(
    config: Config, clock: FakeClock, state: Path
) -> None:
    live = tracker(config, clock, state)
    live.evaluate(snap())
    live.evaluate(snap(signed=True, burn=0.1))
    live.evaluate(snap())
    assert live.take_change() is None


async def test_a_source_that_never_reports_settles_after_its_stale_threshold(
    config: Config, clock: FakeClock, state: Path
) -> None:
    live = tracker(config, clock, state)
    silent = tuple(s for s in all_fresh() if s.name != "prom")  # prom never answers
    assert not live.settled(snap(sources=silent), clock.now())
    await clock.advance(39)  # the slowest source read, registry: 2 x 15s + 10s timeout = 40s
    assert not live.settled(snap(sources=silent), clock.now())
    await clock.advance(1)
    assert live.settled(snap(sources=silent), clock.now())
    failing_only = (*silent, replace(fresh("prom", "prometheus"), state=Freshness.FAILING))
    assert tracker(config, FakeClock(NOW), state).settled(snap(sources=failing_only), NOW)


def test_alerts_in_evidence_name_the_alert(config: Config, clock: FakeClock, state: Path) -> None:
    gates = [{"kind": "alerts_quiet", "source": "am", "matchers": ['service="checkout"']}]
    live = tracker(make_config(gates), clock, state)
    alert = Alert(name="CheckoutLatencyHigh", labels={"service": "checkout"}, source="am")
    result = live.evaluate(snap(alerts=(alert,)))[0][0]
    assert result.verdict is GateVerdict.FAIL
    assert result.evidence["firing"][0]["name"] == "CheckoutLatencyHigh"
