"""The Release Cockpit App; `make_starting_app` (the CLI) and `make_app` (a built session).

The App paints first: its first frame (header, four titled panes saying `starting…`) needs only
Textual and a few light modules. The session (config, engine, adapters, readiness tracker) is
built after that frame in a thread, then attached on the App's loop: the real panes replace the
starting ones and the feed starts. A session that cannot be built is shown on the dashboard.

The App exits cleanly on `q`, Ctrl+C, SIGTERM, SIGHUP or a terminal that hangs up, at any
point, and stops the feed on the way out. Snapshots arrive as a coalescing `SnapshotUpdated`
message, so a burst of polls costs one render, and only what changed is repainted.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from cockpit.clock import Clock
from cockpit.present.ago import AGO_TICK_S
from cockpit.present.panes import PANES
from cockpit.present.snapshot_view import display_key
from cockpit.present.startup import startup_failure_text
from cockpit.session import Session
from screens import help_keys
from screens.dashboard import DashboardScreen
from screens.hangup import (
    arm_exit_watchdog,
    install_exit_signals,
    remove_exit_signals,
    watch_for_hangup,
)
from screens.theme import theme_for_terminal
from widgets.mutating import bind_mutating, unbind_mutating

if TYPE_CHECKING:
    from rich.console import RenderableType

    from cockpit.ci_actions import CiActions
    from cockpit.config.models import Config
    from cockpit.engine.feed import SnapshotFeed
    from cockpit.models import Snapshot
    from cockpit.readiness.live import ReadinessTracker
    from screens.readiness_control import ReadinessControl
    from widgets.pipelines_pane import PipelinesPane
    from widgets.readiness_pane import ReadinessPane

HERE = Path(__file__).parent
DEFAULT_TITLE = "Release Cockpit"
WIDE_LAYOUT_AT = 120
"""From this many columns the panes form a 2x2 grid; below, they stack."""


class CockpitApp(App[None]):
    """The cockpit. Build it with `make_starting_app` (the CLI) or `make_app` (a built session)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="cockpit.refresh"),
        Binding("question_mark", "help", "Help", id="cockpit.help", key_display="?"),
        Binding("q", "quit", "Quit", id="cockpit.quit"),
        # Textual 8 binds Ctrl+C to "press q to quit"; on a bastion, Ctrl+C must quit.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="cockpit.quit_ctrl_c"),
    ]

    CSS_PATH = [HERE / "app.tcss", HERE / "help.tcss"]
    TITLE = DEFAULT_TITLE
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (WIDE_LAYOUT_AT, "-wide"),
    ]

    show_clock: var[bool] = var(True, init=False)
    """Show the header clock (1 Hz). Benchmarks and frozen snapshots turn it off."""

    class SnapshotUpdated(Message):
        """The feed published a snapshot; a newer one pending replaces this one unprocessed."""

        def __init__(self, snapshot: Snapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, CockpitApp.SnapshotUpdated)

    def __init__(
        self,
        session: Session | Callable[[], Session],
        clock: Clock,
        *,
        title: str = DEFAULT_TITLE,
        show_clock: bool = True,
    ) -> None:
        super().__init__()
        self._session_source = session
        self.session: Session | None = None
        """What the App shows and acts through; None until it is attached."""
        self.startup_error: BaseException | None = None
        """Why the session could not be built (None: it was, or it is being built)."""
        self.clock = clock
        self.title = title
        self.set_reactive(CockpitApp.show_clock, show_clock)
        self.dashboard = DashboardScreen(clock, title=title, show_clock=show_clock)
        self.readiness: ReadinessControl | None = None
        """Gate results, the verdict and operator actions on gates (see `ReadinessControl`)."""
        self._last_snapshot: Snapshot | None = None
        self._shown_key: object = None
        self._feed_started = False
        self._exiting = False
        self._signals: list[signal.Signals] = []
        self._stop_hangup_watch: Callable[[], None] | None = None
        self._ages_timer: Timer | None = None
        # Nothing that mutates is bound until the session says it is allowed.
        unbind_mutating(self)

    @property
    def read_only(self) -> bool:
        """True unless the attached session allows mutating actions (so: True while starting)."""
        return self.session is None or self.session.read_only

    def get_default_screen(self) -> Screen[None]:
        return self.dashboard

    # -- lifecycle ------------------------------------------------------------------------

    def on_mount(self) -> None:
        if not self.is_headless:  # headless (tests, snapshots) must not depend on $TERM
            self.theme = theme_for_terminal(self.console.color_system) or self.theme
        self._signals = install_exit_signals(asyncio.get_running_loop(), self.handle_exit_signal)
        self._watch_terminal()
        # Paint first: the frame goes out before the session is attached, or built and attached.
        if isinstance(self._session_source, Session):
            self.call_after_refresh(self._attach_session, self._session_source)
        else:
            self.call_after_refresh(self._start_building, self._session_source)

    def _start_building(self, build: Callable[[], Session]) -> None:
        self.run_worker(
            lambda: _build_and_preload(build),
            name="start",
            group="start",
            thread=True,
            exit_on_error=False,
        )

    async def _attach_session(self, session: Session) -> None:
        """Show the session: real panes, the feed subscribed and started, the age tick."""
        from cockpit.readiness.live import ReadinessTracker
        from screens.readiness_control import ReadinessControl

        if self._exiting:
            return
        self.session = session
        tracker = session.readiness or ReadinessTracker(session.config, self.clock)
        self.readiness = ReadinessControl(self, tracker)
        if not session.read_only:
            bind_mutating(self)
        await self.dashboard.attach(session.config, read_only=session.read_only)
        if self._exiting:
            return  # quit while the panes were mounting: they may never have composed
        self.dashboard.focus_first_pane()
        self.refresh_bindings()
        session.feed.subscribe(self._publish)
        self._publish(session.feed.snapshot())
        self.readiness.start()
        self._feed_started = True  # set first: a quit while it starts must still stop it
        await session.feed.start()
        self._ages_timer = self.set_interval(AGO_TICK_S, self.tick_ages)

    async def _on_session_built(self, worker: Worker[Session], state: WorkerState) -> None:
        if self._exiting:
            return  # quit while starting: the CLI releases what the build opened
        if state is WorkerState.SUCCESS and worker.result is not None:
            await self._attach_session(worker.result)
        elif state is WorkerState.ERROR:
            self._show_startup_failure(worker.error)

    def _show_startup_failure(self, error: BaseException | None) -> None:
        self.startup_error = error or RuntimeError("the session build ended without a session")
        self.dashboard.show_startup_failure(startup_failure_text(error))

    def exit(
        self, result: None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        self._exiting = True  # a session still starting or attaching must not start the feed
        super().exit(result, return_code, message)

    async def on_unmount(self) -> None:
        if self._ages_timer is not None:
            self._ages_timer.stop()
        if self._stop_hangup_watch is not None:
            self._stop_hangup_watch()
            self._stop_hangup_watch = None
        remove_exit_signals(asyncio.get_running_loop(), self._signals)
        self._signals = []
        if self._feed_started and self.session is not None:
            self._feed_started = False
            await self.session.feed.stop()

    def handle_exit_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP (a dropped SSH session): exit cleanly, with 128 + the signal.

        With the terminal gone a clean exit can block on output nobody reads, so a watchdog
        ends the process if the exit has not finished shortly (headless tests never arm it).
        """
        code = 128 + int(signum)
        self.exit(return_code=code)
        if not self.is_headless:
            arm_exit_watchdog(code)

    def _watch_terminal(self) -> None:
        if self.is_headless or sys.__stdin__ is None:
            return
        try:
            fd = sys.__stdin__.fileno()
        except (OSError, ValueError):
            return
        self._stop_hangup_watch = watch_for_hangup(
            asyncio.get_running_loop(), fd, self.handle_terminal_hangup
        )

    def handle_terminal_hangup(self) -> None:
        """The terminal went away without a SIGHUP: exit like SIGHUP would."""
        self.handle_exit_signal(signal.SIGHUP if hasattr(signal, "SIGHUP") else 1)

    # -- snapshots ------------------------------------------------------------------------

    def _publish(self, snapshot: Snapshot) -> None:
        # Feed callbacks may come from the loop or from a thread; post_message is safe for both.
        self.post_message(self.SnapshotUpdated(snapshot))

    def on_cockpit_app_snapshot_updated(self, message: SnapshotUpdated) -> None:
        if message.snapshot == self._last_snapshot:
            return
        if self.readiness is None:
            return  # the feed is subscribed only once the session is attached
        self._last_snapshot = message.snapshot
        assessed = self.readiness.assess(message.snapshot)
        # Polls that changed only ages and counters repaint nothing: the age tick shows those.
        key = display_key(assessed)
        changed = key != self._shown_key
        self._shown_key = key
        self.dashboard.show_snapshot(assessed, self.clock.now(), render=changed)

    def on_readiness_pane_gate_action_requested(
        self, message: ReadinessPane.GateActionRequested
    ) -> None:
        """space / w / x on a gate: tick, waive (asks why) or run (asks first)."""
        if self.readiness is not None:
            self.readiness.request(message.action, message.index)

    def on_pipelines_pane_run_opened(self, message: PipelinesPane.RunOpened) -> None:
        """Enter on a pipeline row: the run screen (jobs, steps, the failing step's log)."""
        from screens.run_screen import RunScreen  # loaded on first drill-down, not at start

        session = self.session
        if session is None:
            return
        self.push_screen(
            RunScreen(
                message.run,
                session.ci,
                session.config,
                self.clock,
                read_only=self.read_only,
                show_clock=self.show_clock,
                refresh_source=session.feed.refresh,
            )
        )

    def tick_ages(self) -> None:
        """Re-render age labels as of now (every `AGO_TICK_S`; panes skip unchanged parts)."""
        if self.readiness is not None:
            self.readiness.reassess()  # a gate goes stale with its source, snapshot or not
        self.dashboard.tick_ages(self.clock.now())

    def watch_show_clock(self, show: bool) -> None:
        self.dashboard.show_clock = show

    # -- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refresh" and self.session is None:
            return None  # shown, dimmed: there is nothing to refresh until the session starts
        return True

    def action_refresh(self) -> None:
        """Poll every source now. Reads only, so it is allowed in read-only mode."""
        if self.session is None:
            return
        self.run_worker(
            self.session.feed.refresh(),
            name="refresh",
            group="refresh",
            exclusive=True,
            exit_on_error=False,
        )

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker outcomes go: the session built, or an action failed."""
        if event.worker.group == "start":
            await self._on_session_built(event.worker, event.state)
        elif event.state is WorkerState.ERROR:
            self.notify(
                f"{event.worker.error}. The panes keep their last good data; press r to retry.",
                title=f"{event.worker.name.capitalize()} failed",
                severity="error",
            )

    def action_help(self) -> None:
        """Open the help screen (keys as bound now, panes, glyph legend)."""
        from screens.help import HelpScreen  # loaded when asked for, not at start

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(
            HelpScreen(self.bound_keys(), help_keys.pane_descriptions(), self.pane_keys())
        )

    def bound_keys(self) -> list[tuple[str, str]]:
        """(key, description) of the cockpit's keys on the dashboard, as bound now."""
        return help_keys.bound_keys(self, self.dashboard)

    def pane_keys(self) -> list[tuple[str, str]]:
        """(key, "Pane: description") of the panes' own keys, as bound (read-only: no mutating)."""
        return help_keys.pane_keys(self, self.dashboard.panes)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is self.dashboard:
            for pane in PANES:
                yield SystemCommand(
                    f"Zoom {pane.title}",
                    f"Show the {pane.title} pane full screen, or back (key {pane.zoom_key})",
                    lambda pane_id=pane.pane_id: self.dashboard.action_zoom(pane_id),
                )
        yield SystemCommand("Refresh now", "Poll every source now (key r)", self.action_refresh)
        yield SystemCommand("Help", "Keys, panes and the glyph legend (key ?)", self.action_help)


def make_app(
    config: Config,
    feed: SnapshotFeed,
    clock: Clock,
    *,
    read_only: bool | None = None,
    title: str | None = None,
    show_clock: bool = True,
    ci: CiActions | None = None,
    readiness: ReadinessTracker | None = None,
) -> CockpitApp:
    """Build the cockpit on a session that exists already (tests, tools, screenshots).

    Args:
        config: The loaded config.
        feed: What publishes snapshots (the poll engine, or a fake).
        clock: The clock every age and the header clock read.
        read_only: True binds no mutating action; None follows `config.read_only`.
        title: The header title (default "Release Cockpit").
        show_clock: Show the 1 Hz header clock (also settable later as `app.show_clock`).
        ci: The CI adapters for drill-down and re-run (`CiActions.from_adapters(engine.adapters,
            clock)`); None: the run screen shows the run and its URL only.
        readiness: The readiness tracker (ticks, waivers, local gates); None: one for the
            config's release, for the login user, persisted under `$XDG_STATE_HOME`.
    """
    session = Session(
        config,
        feed,
        read_only=config.read_only if read_only is None else read_only,
        ci=ci,
        readiness=readiness,
    )
    return CockpitApp(session, clock, title=title or DEFAULT_TITLE, show_clock=show_clock)


def make_starting_app(
    build: Callable[[], Session],
    clock: Clock,
    *,
    title: str | None = None,
    show_clock: bool = True,
) -> CockpitApp:
    """Build the cockpit that draws its frame first and builds its session after (the CLI's).

    Args:
        build: Builds the session; called once, in a thread, after the first frame.
        clock: The clock every age and the header clock read.
        title: The header title (default "Release Cockpit").
        show_clock: Show the 1 Hz header clock.
    """
    return CockpitApp(build, clock, title=title or DEFAULT_TITLE, show_clock=show_clock)


def _build_and_preload(build: Callable[[], Session]) -> Session:
    """Build the session, then import the panes' code, both off the App's loop."""
    session = build()
    import screens.pane_types
    import screens.readiness_control  # noqa: F401  (imported for the App's loop)

    return session
