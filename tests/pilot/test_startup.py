"""The two-phase start: the frame first, the session (config, engine, readiness) after it.

`GatedBuild` is a session build that waits, in the App's start-up thread, until the test lets it
finish, so the starting frame can be inspected while the session does not exist yet.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, ClassVar

from textual.binding import BindingType
from textual.widgets import DataTable, Static

from cockpit.clock import FakeClock
from cockpit.errors import CockpitError
from cockpit.session import Session
from screens.app import CockpitApp, make_starting_app
from tests.pilot.fakes import FakeFeed, fresh_snapshot, make_config
from tests.pilot.test_read_only import RERUN, all_binding_ids
from widgets.mutating import mutating_binding_ids
from widgets.pane import Pane
from widgets.starting_pane import StartingPane

TITLES = ["1 Pipelines", "2 Readiness", "3 Rollout", "4 Logs"]


class GatedBuild:
    """Builds `outcome` (or raises it) once `release` is set; records what it saw on entry."""

    def __init__(self, outcome: Session | BaseException) -> None:
        self.outcome = outcome
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self.app: CockpitApp | None = None
        self.frame_laid_out_on_entry = False

    def __call__(self) -> Session:
        self.calls += 1
        if self.app is not None:  # read-only peek from the build thread: was the frame drawn?
            frames = list(self.app.dashboard.query(StartingPane))
            self.frame_laid_out_on_entry = len(frames) == 4 and all(
                frame.region.area > 0 for frame in frames
            )
        self.entered.set()
        if not self.release.wait(10):
            raise TimeoutError("the test never released the build")
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def starting_app(build: GatedBuild, clock: FakeClock) -> CockpitApp:
    app = make_starting_app(build, clock, title="DEMO: simulated release", show_clock=False)
    build.app = app
    return app


def session(*, read_only: bool = False) -> Session:
    return Session(make_config(), FakeFeed([fresh_snapshot()]), read_only=read_only)


async def wait_entered(build: GatedBuild) -> None:
    assert await asyncio.to_thread(build.entered.wait, 10), "the session build never started"


async def finish(app: CockpitApp, build: GatedBuild) -> None:
    build.release.set()
    await app.workers.wait_for_complete()


def header_text(app: CockpitApp, widget_id: str) -> str:
    return str(app.dashboard.query_one(f"#{widget_id}", Static).render())


async def test_the_frame_shows_titles_and_starting_before_the_session_exists(
    clock: FakeClock,
) -> None:
    build = GatedBuild(session())
    app = starting_app(build, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await wait_entered(build)
            await pilot.pause()
            assert build.frame_laid_out_on_entry, "the build started before the frame was laid out"
            frames = list(app.dashboard.query(StartingPane))
            assert [str(frame.border_title) for frame in frames] == TITLES
            assert all(frame.status == "starting…" for frame in frames)
            assert header_text(app, "title") == "DEMO: simulated release"
            assert header_text(app, "environment") == "starting…"
            assert app.session is None and app.dashboard.panes == []
            assert not app.dashboard.query(DataTable)
        finally:
            await finish(app, build)
        await pilot.pause()
        assert build.calls == 1
        assert app.session is build.outcome
        assert not app.dashboard.query(StartingPane)
        assert [str(pane.border_title) for pane in app.dashboard.panes] == TITLES
        table = app.dashboard.query_one("#runs", DataTable)
        assert table.row_count == 4  # the feed was started and its snapshot shown
        assert header_text(app, "environment") == "staging"
        assert app.focused is table


async def test_a_key_pressed_while_starting_zooms_the_real_pane_too(clock: FakeClock) -> None:
    build = GatedBuild(session())
    app = starting_app(build, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await wait_entered(build)
            await pilot.press("3")
            assert isinstance(app.dashboard.maximized, StartingPane)
        finally:
            await finish(app, build)
        await pilot.pause()
        zoomed = app.dashboard.zoomed
        assert zoomed is not None and zoomed.id == "rollout"


async def test_a_failing_build_says_why_on_screen_and_q_still_quits(clock: FakeClock) -> None:
    problem = CockpitError(
        "demo.yaml: sources.gh.url: not a URL", title="Config error", hint="fix the config"
    )
    build = GatedBuild(problem)
    app = starting_app(build, clock)
    toasts: list[str] = []
    app.notify = lambda message, **_: toasts.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await finish(app, build)
        await pilot.pause()
        frames = list(app.dashboard.query(StartingPane))
        assert [frame.status for frame in frames] == ["✖ not started"] * 4
        detail = str(frames[0].query_one(".detail", Static).render())
        assert detail.startswith("Could not start: Config error. Press q to quit.")
        assert "demo.yaml: sources.gh.url: not a URL" in detail
        assert "fix the config" in detail
        assert header_text(app, "environment") == "not started"
        assert app.session is None and app.startup_error is problem
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert toasts == []


async def test_a_bug_in_the_build_is_named_not_dumped(clock: FakeClock) -> None:
    build = GatedBuild(ValueError("boom"))
    app = starting_app(build, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await finish(app, build)
        await pilot.pause()
        pipelines = app.dashboard.query(StartingPane).first()
        detail = str(pipelines.query_one(".detail", Static).render())
        assert "a bug in the cockpit" in detail and "ValueError: boom" in detail
        assert "Traceback" not in detail
        assert isinstance(app.startup_error, ValueError)


class StartingAppWithRerun(CockpitApp):
    """The cockpit plus one mutating key on the App itself."""

    BINDINGS: ClassVar[list[BindingType]] = [RERUN]


def mutating_bound(app: CockpitApp) -> set[str]:
    """Every mutating binding id bound on any node of the dashboard (and the App)."""
    nodes: list[Any] = [app, app.dashboard, *app.dashboard.walk_children()]
    return {i for node in nodes for i in all_binding_ids(node) & mutating_binding_ids(type(node))}


async def test_nothing_mutating_is_bound_until_the_session_allows_it(clock: FakeClock) -> None:
    build = GatedBuild(session(read_only=False))
    app = StartingAppWithRerun(build, clock, show_clock=False)
    build.app = app
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await wait_entered(build)
            await pilot.pause()
            assert app.read_only  # unknown counts as read-only
            assert mutating_bound(app) == set()
            assert "R" not in app.dashboard.active_bindings
        finally:
            await finish(app, build)
        await pilot.pause()
        assert not app.read_only
        assert {"test.rerun", "readiness.tick", "readiness.waive"} <= mutating_bound(app)
        assert "R" in app.dashboard.active_bindings


async def test_a_read_only_session_never_binds_anything_mutating(clock: FakeClock) -> None:
    build = GatedBuild(session(read_only=True))
    app = StartingAppWithRerun(build, clock, show_clock=False)
    build.app = app
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await wait_entered(build)
            assert mutating_bound(app) == set()
        finally:
            await finish(app, build)
        await pilot.pause()
        assert app.session is not None and app.read_only
        assert all(isinstance(pane, Pane) for pane in app.dashboard.panes)
        assert mutating_bound(app) == set()
        assert "R" not in app.dashboard.active_bindings
        assert header_text(app, "read-only") == "READ-ONLY"


async def test_quitting_while_the_session_builds_never_starts_the_feed(clock: FakeClock) -> None:
    feed = FakeFeed([fresh_snapshot()])
    build = GatedBuild(Session(make_config(), feed, read_only=False))
    app = starting_app(build, clock)
    async with app.run_test() as pilot:
        await wait_entered(build)
        await pilot.press("q")
        build.release.set()
        await pilot.pause()
    assert app.return_code == 0
    assert (feed.starts, feed.subscribers) == (0, [])
