"""Keys: zoom, focus, filter, help, refresh, quit; the palette; exit on signals."""

from __future__ import annotations

import html
import signal

from textual.widgets import DataTable

from screens.app import CockpitApp
from screens.help import HelpScreen
from tests.pilot.conftest import Notes
from tests.pilot.fakes import FakeFeed
from widgets.filter_input import FilterInput
from widgets.pane import Pane


def zoomed_id(app: CockpitApp) -> str | None:
    zoomed = app.dashboard.zoomed
    return zoomed.id if zoomed is not None else None


def focused_pane_id(app: CockpitApp) -> str | None:
    return app.dashboard.focused_pane().id if app.focused is not None else None


def visible_services(app: CockpitApp) -> list[str]:
    table = app.dashboard.query_one("#runs", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_number_keys_zoom_and_the_same_key_or_escape_returns(app: CockpitApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for key, pane_id in (
            ("1", "pipelines"),
            ("2", "readiness"),
            ("3", "rollout"),
            ("4", "logs"),
        ):
            await pilot.press(key)
            assert zoomed_id(app) == pane_id
            assert focused_pane_id(app) == pane_id
            others = [p for p in app.dashboard.panes if p.id != pane_id]
            assert all(p.region.area == 0 for p in others), "other panes must be hidden"
            await pilot.press(key)
            assert zoomed_id(app) is None
        await pilot.press("3", "escape")
        assert zoomed_id(app) is None
        await pilot.press("2", "4")
        assert zoomed_id(app) == "logs", "another number switches the zoom"


async def test_header_and_footer_stay_visible_when_zoomed(app: CockpitApp) -> None:
    async with app.run_test() as pilot:
        await pilot.pause()  # the panes are attached after the first frame
        await pilot.press("3")
        await pilot.pause()
        header = app.dashboard.query_one("HeaderBar")
        footer = app.dashboard.query_one("Footer")
        assert header.region.area > 0 and footer.region.area > 0
        assert "escape" in app.dashboard.active_bindings


async def test_tab_moves_focus_between_panes_in_order(app: CockpitApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert focused_pane_id(app) == "pipelines"
        order = []
        for _ in range(4):
            await pilot.press("tab")
            order.append(focused_pane_id(app))
        assert order == ["readiness", "rollout", "logs", "pipelines"]
        await pilot.press("shift+tab")
        assert focused_pane_id(app) == "logs"


async def test_slash_filters_pipeline_rows_and_escape_clears(app: CockpitApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert len(visible_services(app)) == 4
        await pilot.press("slash")
        field = app.dashboard.pane("pipelines").query_one(FilterInput)
        assert field.is_open and field.has_focus and not field.cursor_blink
        await pilot.press(*"check")
        assert visible_services(app) == ["checkout", "checkout"]
        await pilot.press("enter")
        assert isinstance(app.focused, DataTable)
        assert visible_services(app) == ["checkout", "checkout"], "enter keeps the filter"
        await pilot.press("escape")
        assert len(visible_services(app)) == 4
        assert not field.is_open


async def test_filter_by_branch_and_no_match(app: CockpitApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"release/", "enter")
        assert visible_services(app) == ["checkout"]
        await pilot.press("slash", "backspace", *"zzz")
        assert visible_services(app) == []
        pane = app.dashboard.pane("pipelines")
        assert "no runs match" in str(pane.query_one("#empty").render())


async def test_filter_applies_to_the_focused_pane(app: CockpitApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("tab", "slash", *"smoke")
        readiness: Pane = app.dashboard.pane("readiness")
        assert readiness.filter_text == "smoke"
        assert app.dashboard.pane("pipelines").filter_text == ""
        gates = readiness.query_one("#gates", DataTable)
        shown = [str(gates.get_row_at(row)[1]) for row in range(gates.row_count)]
        assert shown == ["Smoke test"]
        assert "UNKNOWN" in str(readiness.query_one("#headline").render())


async def test_escape_in_a_zoomed_pane_clears_the_filter_first(app: CockpitApp) -> None:
    async with app.run_test() as pilot:
        await pilot.pause()  # the panes are attached after the first frame
        await pilot.press("1", "slash", *"bill", "escape")
        assert zoomed_id(app) == "pipelines"
        assert app.dashboard.pane("pipelines").filter_text == ""
        await pilot.press("escape")
        assert zoomed_id(app) is None


async def test_question_mark_opens_and_closes_help(app: CockpitApp) -> None:
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpScreen)
        assert app.screen is app.get_default_screen()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is app.get_default_screen()


async def test_help_lists_keys_panes_and_glyphs(app: CockpitApp) -> None:
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        keys = dict(app.bound_keys())
        await pilot.press("question_mark")
        shown = html.unescape(app.export_screenshot()).replace("\xa0", " ")
    for key in ("1", "2", "3", "4", "/", "r", "?", "escape", "tab", "shift+tab"):
        assert key in keys, key
    assert keys["q / ^c"] == "Quit"
    for words in ("Keys", "Panes", "Glyphs", "Zoom rollout", "Readiness", "✖ FAILING", "? unknown"):
        assert words in shown, words


async def test_r_refreshes_now(app: CockpitApp, feed: FakeFeed, notes: Notes) -> None:
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert feed.refreshes == [None]
    assert notes.calls == []


async def test_a_failed_refresh_is_reported_as_a_toast(
    app: CockpitApp, feed: FakeFeed, notes: Notes
) -> None:
    async def broken(source: str | None = None) -> None:
        raise RuntimeError("engine is shutting down")

    feed.refresh = broken  # type: ignore[method-assign]
    async with app.run_test() as pilot:
        await pilot.pause()  # the feed is attached after the first frame
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert len(notes.calls) == 1
    message, options = notes.calls[0]
    assert "engine is shutting down" in message and "press r to retry" in message
    assert options["title"] == "Refresh failed" and options["severity"] == "error"


async def test_q_quits(app: CockpitApp) -> None:
    async with app.run_test() as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_ctrl_c_quits(app: CockpitApp) -> None:
    async with app.run_test() as pilot:
        await pilot.press("slash")  # even from inside an input
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_sighup_and_sigterm_handlers_exit(app: CockpitApp, feed: FakeFeed) -> None:
    # The runner itself may run under nohup (SIGHUP ignored, which the App respects).
    inherited = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        await _handlers_exit(app, feed)
    finally:
        signal.signal(signal.SIGHUP, inherited)


async def _handlers_exit(app: CockpitApp, feed: FakeFeed) -> None:
    async with app.run_test() as pilot:
        await pilot.pause()
        assert set(app._signals) == {signal.SIGTERM, signal.SIGHUP}
        app.handle_exit_signal(signal.SIGHUP)
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 128 + signal.SIGHUP
    assert feed.stops == 1
    assert app._signals == []


async def test_a_real_sigterm_exits(app: CockpitApp) -> None:
    import os

    async with app.run_test() as pilot:
        await pilot.pause()
        os.kill(os.getpid(), signal.SIGTERM)
        await pilot.pause()
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 128 + signal.SIGTERM


async def test_palette_offers_zoom_refresh_and_help(app: CockpitApp, feed: FakeFeed) -> None:
    async with app.run_test() as pilot:
        await pilot.pause()
        commands = {c.title: c for c in app.get_system_commands(app.dashboard)}
        for title in ("Zoom Pipelines", "Zoom Readiness", "Zoom Rollout", "Zoom Logs"):
            assert title in commands
        assert "Refresh now" in commands and "Help" in commands
        commands["Zoom Rollout"].callback()
        await pilot.pause()
        assert zoomed_id(app) == "rollout"
