"""The Readiness pane live: the verdict follows the feed, ticks, waivers, commands, read-only."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Static

from cockpit.models.readiness import GateVerdict, Verdict
from screens.app import CockpitApp
from screens.confirm_command import ConfirmCommand
from screens.help import HelpScreen
from screens.waive_modal import REASON_REQUIRED, WaiveModal
from tests.pilot.fakes import fake_clock
from tests.pilot.readiness_world import (
    ALERTS,
    BUDGET,
    CI,
    DIGEST,
    MANUAL,
    SIGNED,
    SMOKE,
    no_go_snapshot,
    passing_snapshot,
    readiness_app,
    readiness_config,
    signed_snapshot,
    tracker,
)
from widgets.gate_evidence import GateEvidence
from widgets.readiness_pane import ReadinessPane

WIDE = (120, 40)


class Calls:
    """Counts `App.bell` and records `App.notify` while still showing the toast."""

    def __init__(self, app: CockpitApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bells = 0
        self.notes: list[tuple[str, dict[str, Any]]] = []
        real_notify = app.notify

        def bell() -> None:
            self.bells += 1

        def notify(message: str, **kwargs: Any) -> None:
            self.notes.append((message, kwargs))
            real_notify(message, **kwargs)

        monkeypatch.setattr(app, "bell", bell)
        monkeypatch.setattr(app, "notify", notify)

    def titled(self, title: str) -> list[str]:
        return [message for message, kw in self.notes if kw.get("title") == title]


def pane(app: CockpitApp) -> ReadinessPane:
    return app.dashboard.query_one(ReadinessPane)


def banner(app: CockpitApp) -> str:
    return str(pane(app).query_one("#headline", Static).render())


def row(app: CockpitApp, index: int) -> str:
    """The gate row with config index `index`, as plain text."""
    table = pane(app).table
    cells = table.get_row(str(index))
    return "  ".join(str(cell) for cell in cells)


def plain(renderable: object) -> str:
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


def screen_text(app: CockpitApp) -> str:
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def evidence(app: CockpitApp) -> str:
    return pane(app).query_one(GateEvidence).plain


async def select(pilot: Pilot[None], app: CockpitApp, index: int) -> None:
    """Zoom the Readiness pane (focusing its rows) and put the cursor on gate `index`."""
    if app.dashboard.zoomed is None:
        await pilot.press("2")
    table = pane(app).table
    table.move_cursor(row=index, animate=False)
    await pilot.pause()
    assert pane(app).selected_index() == index


async def settle(pilot: Pilot[None], app: CockpitApp) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_verdict_follows_the_feed_and_rings_once_per_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = fake_clock()
    tracked = tracker(readiness_config(), clock, tmp_path)
    tracked.tick(MANUAL)
    assert (await tracked.run_command(SMOKE)).verdict is GateVerdict.PASS
    app, feed, _ = readiness_app(tmp_path, clock=clock, readiness=tracked)
    calls = Calls(app, monkeypatch)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        assert "✖ NO-GO: 2 blockers" in banner(app)
        assert calls.bells == 0  # the first answer at start-up is not news
        feed.publish(signed_snapshot())
        await pilot.pause()
        assert "✖ NO-GO: 1 blocker" in banner(app)
        assert calls.bells == 0  # still NO-GO: no change, no bell
        feed.publish(passing_snapshot())
        await pilot.pause()
        assert "✔ GO" in banner(app)
        assert pane(app).verdict is Verdict.GO
        assert calls.bells == 1
        assert calls.titled("Readiness verdict changed") == ["GO (was NO-GO). 7 passed"]
        assert app._notifications  # the toast is on screen
        feed.publish(passing_snapshot())  # the same again: nothing new
        await pilot.pause()
        assert calls.bells == 1
        feed.publish(no_go_snapshot())
        await pilot.pause()
        assert calls.bells == 2
        [_, back] = calls.titled("Readiness verdict changed")
        assert back.startswith("NO-GO: 2 blockers (was GO)")


async def test_space_ticks_a_manual_gate_and_the_verdict_updates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = fake_clock()
    tracked = tracker(readiness_config(), clock, tmp_path)
    await tracked.run_command(SMOKE)
    app, _, _ = readiness_app(tmp_path, passing_snapshot(), clock=clock, readiness=tracked)
    calls = Calls(app, monkeypatch)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        assert "? UNKNOWN: 1 gate unknown" in banner(app)
        assert row(app, MANUAL).startswith("? unknown  Support team informed  not ticked yet")
        await select(pilot, app, MANUAL)
        await pilot.press("space")
        await pilot.pause()
        assert row(app, MANUAL).startswith("✔ pass  Support team informed  ticked by alice")
        assert "✔ GO" in banner(app)
        assert calls.bells == 1
        assert "ticked by alice" in evidence(app)
        await pilot.press("space")  # space again withdraws the tick
        await pilot.pause()
        assert row(app, MANUAL).startswith("? unknown")
        assert calls.bells == 2
    ops = [json.loads(line)["op"] for line in tracked.state_path.read_text().splitlines()]
    assert ops == ["tick", "untick"]


async def test_space_on_a_gate_that_is_not_manual_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, tracked = readiness_app(tmp_path)
    calls = Calls(app, monkeypatch)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        await select(pilot, app, CI)
        await pilot.press("space")
        await pilot.pause()
    [refusal] = calls.titled("Gate action refused")
    assert "only manual gates can be ticked" in refusal
    assert not tracked.state_path.exists()


async def test_w_asks_for_a_reason_refuses_an_empty_one_and_records_the_waiver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, tracked = readiness_app(tmp_path)
    calls = Calls(app, monkeypatch)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        await select(pilot, app, SIGNED)
        await pilot.press("w")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, WaiveModal)
        facts = plain(modal.facts)
        assert "Image signed: checkout" in facts and "alice" in facts
        assert "no signature for" in facts
        await pilot.press("enter")  # no reason
        await pilot.pause()
        assert app.screen is modal
        assert str(modal.query_one("#error", Static).render()) == REASON_REQUIRED
        assert tracked.waiver(SIGNED) is None
        await pilot.press(*"cosign outage; digest checked by hand", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, WaiveModal)
        waiver = tracked.waiver(SIGNED)
        assert waiver is not None and waiver.by == "alice"
        assert waiver.reason == "cosign outage; digest checked by hand"
        waived, passed = row(app, SIGNED), row(app, CI)
        assert waived.startswith("≈ WAIVED  Image signed: checkout  by alice: cosign outage")
        assert passed.startswith("✔ pass")
        table = pane(app).table
        waived_style = table.get_row(str(SIGNED))[0].style  # type: ignore[union-attr]
        passed_style = table.get_row(str(CI))[0].style  # type: ignore[union-attr]
        assert waived_style != passed_style
        assert "✖ NO-GO: 1 blocker" in banner(app)  # the alert still blocks
        shown = evidence(app)
        assert "waived by:" in shown and "cosign outage; digest checked by hand" in shown
        assert "failure:" in shown
    assert calls.titled("Waived; recorded")
    [record] = [json.loads(line) for line in tracked.state_path.read_text().splitlines()]
    assert record["op"] == "waive" and record["by"] == "alice"


async def test_escape_cancels_a_waiver(tmp_path: Path) -> None:
    app, _, tracked = readiness_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        await select(pilot, app, ALERTS)
        await pilot.press("w", *"never mind", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, WaiveModal)
    assert tracked.waiver(ALERTS) is None and not tracked.state_path.exists()


async def test_w_refuses_a_gate_that_is_not_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, _ = readiness_app(tmp_path)
    calls = Calls(app, monkeypatch)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        await select(pilot, app, BUDGET)
        await pilot.press("w")
        await pilot.pause()
        assert not isinstance(app.screen, WaiveModal)
        await select(pilot, app, MANUAL)
        await pilot.press("w")
        await pilot.pause()
        assert not isinstance(app.screen, WaiveModal)
    refusals = calls.titled("Gate action refused")
    assert "'Checkout error budget' is passing" in refusals[0]
    assert "'Support team informed' is unknown" in refusals[1]
    assert "unknown is never a pass" in refusals[1]


async def test_the_evidence_shows_digest_value_and_alert_names(tmp_path: Path) -> None:
    app, _, _ = readiness_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        await select(pilot, app, SIGNED)
        shown = evidence(app)
        assert shown.startswith("why:")
        assert "✖ FAIL  no signature for sha256:4e1f0c2a9b7d…" in shown
        assert "digest:       sha256:4e1f0c2a9b7d…" in shown
        assert "source:       registry, fetched <1m ago" in shown
        assert DIGEST not in shown
        await pilot.press("e")  # full values
        await pilot.pause()
        assert DIGEST in evidence(app)
        await pilot.press("e")
        await select(pilot, app, BUDGET)
        assert "value:" in evidence(app) and "0.42" in evidence(app)
        await select(pilot, app, ALERTS)
        assert "firing:" in evidence(app)
        assert "CheckoutLatencyHigh (critical)" in evidence(app)
        assert "1 alert firing: CheckoutLatencyHigh" in evidence(app)


async def test_x_shows_the_command_and_runs_it_only_when_confirmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, tracked = readiness_app(tmp_path)
    calls = Calls(app, monkeypatch)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        await select(pilot, app, SMOKE)
        await pilot.press("x")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmCommand)
        facts = plain(modal.facts)
        assert "./scripts/smoke.sh staging" in facts
        assert "argv[0]" in facts and "argv[1]" in facts
        assert str(tracked.base_dir) in facts
        assert "2m, then its whole process group is killed" in facts
        assert modal.focused is not None and modal.focused.id == "cancel"
        await pilot.press("enter")  # enter on Cancel: nothing runs
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmCommand)
        assert row(app, SMOKE).startswith("? unknown  Smoke test  not run yet")
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("tab", "enter")  # Run
        await settle(pilot, app)
        assert row(app, SMOKE).startswith("✔ pass  Smoke test  exit status 0")
        assert "smoke test passed on staging" in evidence(app)
    assert calls.titled("Smoke test") == ["✔ pass: exit status 0"]
    assert not tracked.running(SMOKE)


async def test_read_only_binds_none_of_the_gate_keys(tmp_path: Path) -> None:
    app, _, tracked = readiness_app(tmp_path, read_only=True)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        await select(pilot, app, SIGNED)
        bound = app.screen.active_bindings
        for key in ("space", "w", "x"):
            assert key not in bound, key
        assert "e" in bound  # reading stays allowed
        await pilot.press("w", "x", "space")
        await pilot.pause()
        assert app.screen is app.dashboard
        assert tracked.waiver(SIGNED) is None and tracked.ticked(MANUAL) is None
        assert [key for key, _ in app.pane_keys()] == ["e"]
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        assert "Keys" in shown and "Readiness: Full evidence" in shown
        assert "Readiness: Waive" not in shown and "Readiness: Tick" not in shown
    assert not tracked.state_path.exists()


async def test_the_help_lists_the_gate_keys(tmp_path: Path) -> None:
    app, _, _ = readiness_app(tmp_path)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        keys = dict(app.pane_keys())
        assert keys == {
            "space": "Readiness: Tick",
            "w": "Readiness: Waive",
            "x": "Readiness: Run check",
            "e": "Readiness: Full evidence",
        }
        await pilot.press("question_mark")
        await pilot.pause()
        shown = screen_text(app)
        assert "Keys in a pane" in shown and "Readiness: Waive" in shown


async def test_the_waive_dialog_has_no_blinking_cursor(tmp_path: Path) -> None:
    app, _, _ = readiness_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        await select(pilot, app, SIGNED)
        await pilot.press("w")
        await pilot.pause()
        assert app.screen.query_one(Input).cursor_blink is False


async def test_gates_go_stale_with_their_sources_without_a_new_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed stalls: on the next age tick the polled gates turn unknown, and that is news."""
    clock = fake_clock()
    tracked = tracker(readiness_config(), clock, tmp_path)
    tracked.tick(MANUAL)
    await tracked.run_command(SMOKE)
    app, _, _ = readiness_app(tmp_path, passing_snapshot(), clock=clock, readiness=tracked)
    calls = Calls(app, monkeypatch)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
        assert "✔ GO" in banner(app)
        await clock.advance(60)  # prom and am: stale after 30s; gh and registry after 40s
        app.tick_ages()
        await pilot.pause()
        assert "? UNKNOWN: 5 gates unknown" in banner(app)
        assert row(app, BUDGET).startswith("? unknown  Checkout error budget  source prom is")
        assert pane(app).results[BUDGET].reason == "source prom is stale (1m8s old)"
        assert calls.bells == 1
        assert calls.titled("Readiness verdict changed")[0].startswith("UNKNOWN: 5 gates unknown")


async def test_a_damaged_state_file_is_reported_once_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state" / "v2.14.0.jsonl"
    state.parent.mkdir(parents=True)
    state.write_bytes(b'{"v":1,"op":"tick","gate":5,"kind":"man')
    app, _, tracked = readiness_app(tmp_path)
    calls = Calls(app, monkeypatch)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot, app)
    [warning] = calls.titled("Readiness state file")
    assert "ignored a torn last line" in warning
    assert tracked.ticked(MANUAL) is None
