"""The dashboard over a scripted feed: data, freshness, errors as pane state, header badges."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from rich.text import Text
from textual.geometry import Region
from textual.widgets import DataTable, Static

from cockpit.clock import FakeClock
from cockpit.config.models import Config
from cockpit.models import Freshness
from screens.app import CockpitApp, make_app, theme_for_terminal
from tests.pilot.conftest import Notes
from tests.pilot.fakes import (
    START,
    FakeFeed,
    fresh_snapshot,
    make_config,
    troubled_snapshot,
)
from widgets.header_bar import ClockFace, HeaderBar
from widgets.pane_status import PaneStatus
from widgets.pipelines_pane import PipelinesPane


def status_of(app: CockpitApp, pane_id: str) -> PaneStatus:
    return app.dashboard.pane(pane_id).query_one(PaneStatus)


def status_text(app: CockpitApp, pane_id: str) -> str:
    shown = status_of(app, pane_id)._shown
    assert shown is not None
    return shown[1].plain


def table_of(app: CockpitApp) -> DataTable[object]:
    return app.dashboard.query_one("#runs", DataTable)


def first_column(app: CockpitApp) -> list[str]:
    table = table_of(app)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_feed_is_started_on_mount_and_stopped_on_exit(
    app: CockpitApp, feed: FakeFeed
) -> None:
    async with app.run_test() as pilot:
        await pilot.pause()
        assert (feed.starts, feed.stops) == (1, 0)
        assert len(feed.subscribers) == 1
    assert (feed.starts, feed.stops) == (1, 1)


async def test_pipelines_are_listed_failing_first(app: CockpitApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = table_of(app)
        statuses = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert statuses == ["✖ failure", "● running", "◌ queued", "✔ success"]
        assert first_column(app) == ["checkout", "payments", "checkout", "billing"]


async def test_panes_have_titles_in_focus_order(app: CockpitApp) -> None:
    async with app.run_test() as pilot:
        await pilot.pause()
        titles = [str(pane.border_title) for pane in app.dashboard.panes]
        assert titles == ["1 Pipelines", "2 Readiness", "3 Rollout", "4 Logs"]


async def test_failing_source_is_pane_state_not_a_toast(
    app: CockpitApp, feed: FakeFeed, notes: Notes
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        feed.publish(troubled_snapshot())
        await pilot.pause()
        line = status_text(app, "pipelines")
        assert "gh ✖ FAILING: auth (401 Bad credentials)" in line
        assert status_of(app, "pipelines").has_class("-failing")
        assert "k8s ✖ FAILING: unreachable (connection refused)" in status_text(app, "rollout")
        # The last good data is kept while the source fails.
        assert table_of(app).row_count == 4
    assert notes.calls == []


async def test_stale_fresh_and_unknown_panes_are_styled_differently(
    app: CockpitApp, feed: FakeFeed
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert status_of(app, "pipelines").has_class("-fresh")
        assert status_of(app, "rollout").has_class("-unknown")
        stale_only = replace(
            troubled_snapshot(),
            sources=tuple(
                s if s.name != "gh" else replace(s, state=Freshness.FRESH, error=None)
                for s in troubled_snapshot().sources
                if s.name != "k8s"
            ),
        )
        feed.publish(stale_only)
        await pilot.pause()
        stale = status_of(app, "pipelines")
        assert stale.has_class("-stale") and not stale.has_class("-fresh")
        assert "jk ! STALE 4m" in status_text(app, "pipelines")
        assert status_of(app, "logs").has_class("-unknown")
        assert not status_of(app, "logs").has_class("-fresh")


async def test_unknown_before_any_data(clock: FakeClock) -> None:
    app = make_app(make_config(), FakeFeed(), clock, show_clock=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "gh gl jk ? unknown: no data yet" in status_text(app, "pipelines")
        assert "no pipeline runs yet" in str(app.dashboard.query_one("#empty", Static).render())
        lines = str(app.dashboard.pane("readiness").query_one("#headline", Static).render())
        assert "? UNKNOWN: 9 gates unknown" in lines


async def test_ages_re_render_on_the_coarse_tick(app: CockpitApp, clock: FakeClock) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "gh gl jk ✓ fresh <1m" in status_text(app, "pipelines")
        await clock.advance(60)
        app.tick_ages()
        await pilot.pause()
        assert "gh gl jk ✓ fresh 1m" in status_text(app, "pipelines")


async def test_an_unchanged_screen_is_not_repainted(
    app: CockpitApp, feed: FakeFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        status = status_of(app, "pipelines")
        table = table_of(app)
        updates: list[object] = []
        cells: list[tuple[object, object]] = []
        clears: list[bool] = []
        original_set_cell = table.set_cell
        original_clear = table.clear

        def spy_update(content: object = "") -> None:
            updates.append(content)

        def spy_set_cell(row: str, column: str, value: Text) -> None:
            cells.append((row, column))
            original_set_cell(row, column, value)

        def spy_clear(columns: bool = False) -> object:
            clears.append(columns)
            return original_clear(columns)

        monkeypatch.setattr(status, "update", spy_update)
        monkeypatch.setattr(table, "set_cell", spy_set_cell)
        monkeypatch.setattr(table, "clear", spy_clear)

        # A newer poll whose ages round to the same labels: nothing on screen changes.
        later = replace(fresh_snapshot(), taken_at=START + timedelta(seconds=1))
        feed.publish(later)
        await pilot.pause()
        assert updates == [] and cells == [] and clears == []

        # One run moved on: only its changed cells are updated, the table is not rebuilt.
        runs = list(later.pipelines)
        runs[1] = replace(runs[1], running_step="deploy to staging")
        feed.publish(replace(later, pipelines=tuple(runs)))
        await pilot.pause()
        assert clears == []
        assert cells == [("gl/payments/build-and-test/main", "step")]
        shown = table.get_cell("gl/payments/build-and-test/main", "step")
        assert "deploy" in shown.plain, "the table shows the cell's new value"


async def test_snapshots_coalesce(app: CockpitApp, feed: FakeFeed) -> None:
    seen: list[object] = []
    async with app.run_test(message_hook=seen.append) as pilot:
        await pilot.pause()
        before = sum(isinstance(m, CockpitApp.SnapshotUpdated) for m in seen)
        for _ in range(5):
            feed.publish(troubled_snapshot())
        feed.publish(fresh_snapshot())
        await pilot.pause()
        handled = sum(isinstance(m, CockpitApp.SnapshotUpdated) for m in seen) - before
        assert handled == 1
        assert status_of(app, "pipelines").has_class("-fresh")
    message = CockpitApp.SnapshotUpdated(fresh_snapshot())
    assert message.can_replace(CockpitApp.SnapshotUpdated(troubled_snapshot()))


async def test_read_only_badge(clock: FakeClock) -> None:
    app = make_app(make_config(read_only=True), FakeFeed(), clock, show_clock=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.read_only
        badge = app.dashboard.query_one("#read-only", Static)
        assert str(badge.render()) == "READ-ONLY"
    writable = make_app(make_config(read_only=True), FakeFeed(), clock, read_only=False)
    async with writable.run_test() as pilot:
        await pilot.pause()
        assert not writable.dashboard.query("#read-only")


async def test_production_header_is_unmistakable(clock: FakeClock) -> None:
    app = make_app(make_config(environment="production"), FakeFeed(), clock, show_clock=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        header = app.dashboard.query_one(HeaderBar)
        assert header.has_class("-production")
        assert str(header.query_one("#environment", Static).render()) == "PRODUCTION"
    staging = make_app(make_config(), FakeFeed(), clock)
    async with staging.run_test() as pilot:
        await pilot.pause()
        header = staging.dashboard.query_one(HeaderBar)
        assert not header.has_class("-production")
        assert str(header.query_one("#environment", Static).render()) == "staging"


async def test_header_clock_can_be_turned_off(feed: FakeFeed, clock: FakeClock) -> None:
    app = make_app(make_config(), feed, clock, title="Cockpit DEMO")
    async with app.run_test() as pilot:
        await pilot.pause()
        header = app.dashboard.query_one(HeaderBar)
        shown = header.query_one("#clock", ClockFace)
        assert shown.display and str(shown.render()) == "10:00:00 UTC"
        assert str(header.query_one("#title", Static).render()) == "Cockpit DEMO"
        app.show_clock = False
        await pilot.pause()
        assert not shown.display
        assert header._timer is None


async def test_narrow_and_wide_layouts(app: CockpitApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.dashboard.has_class("-narrow")
        pipelines = app.dashboard.query_one(PipelinesPane)
        assert pipelines.compact
        assert [c.key for c in pipelines._columns] == [
            "service", "status", "name", "age", "trend", "pass", "step",
        ]  # fmt: skip
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        assert app.dashboard.has_class("-wide")
        regions = [pane.region for pane in app.dashboard.panes]
        assert regions[0].y == regions[1].y and regions[0].x < regions[1].x
        # A 97-cell quarter is too narrow for all ten columns plus a readable step / triage
        # column, so it keeps the compact set; zoomed, every column shows.
        await pilot.press("1")
        await pilot.pause()
        assert len(pipelines._columns) == 10


def test_a_sixteen_colour_terminal_gets_the_ansi_theme() -> None:
    assert theme_for_terminal("standard") == "ansi-dark"
    assert theme_for_terminal("windows") == "ansi-dark"
    assert theme_for_terminal("256") is None
    assert theme_for_terminal("truecolor") is None
    assert theme_for_terminal(None) is None


async def test_headless_runs_keep_the_default_theme(
    feed: FakeFeed, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Snapshots must not depend on the CI runner's $TERM."""
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    app = make_app(make_config(), feed, clock, show_clock=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.console.color_system == "standard"
        assert app.theme == "textual-dark"


async def test_a_theme_change_recolours_the_panes(app: CockpitApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.dashboard.pane("pipelines")
        before = pane.palette
        cell_before = table_of(app).get_row_at(0)[1]
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        assert pane.palette != before
        cell_after = table_of(app).get_row_at(0)[1]
        assert str(cell_after) == str(cell_before) == "✖ failure"
        assert cell_after.style != cell_before.style  # type: ignore[attr-defined]


async def test_the_clock_can_be_turned_off_before_the_app_runs(
    feed: FakeFeed, clock: FakeClock
) -> None:
    """How the benchmark does it: build with the factory, then `app.show_clock = False`."""
    app = make_app(make_config(), feed, clock)
    app.show_clock = False
    async with app.run_test() as pilot:
        await pilot.pause()
        header = app.dashboard.query_one(HeaderBar)
        assert not header.query_one("#clock", ClockFace).display
        assert header._timer is None


async def test_empty_states(clock: FakeClock) -> None:
    app = make_app(Config(), FakeFeed(), clock, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()

        def lines(pane_id: str) -> str:
            return str(app.dashboard.pane(pane_id).query_one("#lines", Static).render())

        assert "no CI configured" in str(app.dashboard.query_one("#empty", Static).render())
        readiness = app.dashboard.pane("readiness")
        assert str(readiness.query_one("#no-gates", Static).render()) == "no gates configured"
        assert "UNKNOWN: no gates configured" in str(readiness.query_one("#headline").render())
        assert lines("rollout") == "no rollout configured"
        assert lines("logs") == "no log sources configured"
        assert status_text(app, "rollout") == "no sources configured"
        # Nothing to go on is not "healthy": the empty panes are unknown, never fresh.
        assert all(status_of(app, p).has_class("-unknown") for p in ("pipelines", "rollout"))


async def test_the_header_clock_repaints_only_the_characters_that_changed(
    feed: FakeFeed, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1 Hz clock over SSH: the last digit or two each second, not the header line."""
    app = make_app(make_config(), feed, clock)
    async with app.run_test() as pilot:
        await pilot.pause()
        face = app.dashboard.query_one(ClockFace)
        assert face.text == "10:00:00 UTC"
        dirty: list[tuple[Region, ...]] = []
        original = face.refresh

        def spy(*regions: Region, **options: bool) -> ClockFace:
            dirty.append(regions)
            return original(*regions, **options)

        monkeypatch.setattr(face, "refresh", spy)
        face.show("10:00:01 UTC")
        face.show("10:00:01 UTC")  # unchanged: nothing to repaint
        face.show("10:01:00 UTC")
        assert dirty == [(Region(7, 0, 5, 1),), (Region(4, 0, 8, 1),)]


async def test_a_changed_cell_repaints_its_row_not_the_table(
    app: CockpitApp, feed: FakeFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = table_of(app)
        whole: list[bool] = []
        original_refresh = table.refresh

        def spy_refresh(*regions: object, **kwargs: object) -> object:
            whole.append(not regions)
            return original_refresh(*regions, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(table, "refresh", spy_refresh)
        later = replace(fresh_snapshot(), taken_at=START + timedelta(seconds=1))
        runs = list(later.pipelines)
        runs[1] = replace(runs[1], running_step="deploy to staging")
        feed.publish(replace(later, pipelines=tuple(runs)))
        await pilot.pause()
        assert whole and not any(whole), f"whole-table repaints: {whole}"
