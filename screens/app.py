"""The Release Cockpit App and `make_app`, the one factory the CLI, the demo and the tests use.

The App owns the feed's lifecycle and the process's: it subscribes to the feed and starts it on
mount, stops it on unmount, and exits cleanly on `q`, Ctrl+C, SIGTERM, SIGHUP or a terminal that
hangs up. Snapshots arrive as a coalescing `SnapshotUpdated` message, so a burst of polls costs one
render, and only the parts of the screen that changed are repainted.
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
from cockpit.config.models import Config
from cockpit.engine.feed import SnapshotFeed
from cockpit.models import Snapshot
from cockpit.present.ago import AGO_TICK_S
from cockpit.present.snapshot_view import display_key
from cockpit.readiness.live import ReadinessTracker
from screens.dashboard import PANE_TYPES, DashboardScreen
from screens.hangup import arm_exit_watchdog, watch_for_hangup
from screens.help import HelpScreen
from screens.readiness_control import ReadinessControl
from widgets.mutating import unbind_mutating
from widgets.pipelines_pane import PipelinesPane
from widgets.readiness_pane import ReadinessPane

if TYPE_CHECKING:
    from cockpit.ci_actions import CiActions

HERE = Path(__file__).parent
DEFAULT_TITLE = "Release Cockpit"
WIDE_LAYOUT_AT = 120
"""From this many columns the panes form a 2x2 grid; below, they stack."""

SIXTEEN_COLOURS = frozenset({"standard", "windows"})
"""Rich's names for 8/16-colour terminals (TERM=xterm, TERM=screen, the Linux console)."""
ANSI_THEME = "ansi-dark"


def theme_for_terminal(color_system: str | None) -> str | None:
    """The theme a terminal with this colour system needs, or None to keep the default.

    Truecolour themes squeezed into 16 colours lose their hues (their red text becomes white);
    the ANSI theme uses the terminal's own red, green and yellow instead.
    """
    return ANSI_THEME if color_system in SIXTEEN_COLOURS else None


HELP_ORDER = (
    "cockpit.zoom.",
    "cockpit.unzoom",
    "cockpit.filter",
    "cockpit.focus_next",
    "cockpit.focus_previous",
    "cockpit.refresh",
    "cockpit.help",
    "cockpit.quit",
)
"""The order keys are listed in the help, by binding id prefix."""

EXIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig
)


class CockpitApp(App[None]):
    """The cockpit. Build it with `make_app`."""

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
        config: Config,
        feed: SnapshotFeed,
        clock: Clock,
        *,
        read_only: bool,
        title: str = DEFAULT_TITLE,
        show_clock: bool = True,
        ci: CiActions | None = None,
        readiness: ReadinessTracker | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.feed = feed
        self.ci = ci
        self.clock = clock
        self.read_only = read_only
        self.title = title
        self.set_reactive(CockpitApp.show_clock, show_clock)
        self.dashboard = DashboardScreen(
            config, clock, title=title, read_only=read_only, show_clock=show_clock
        )
        self._last_snapshot: Snapshot | None = None
        self._shown_key: object = None
        self._feed_started = False
        self._signals: list[signal.Signals] = []
        self._stop_hangup_watch: Callable[[], None] | None = None
        self._ages_timer: Timer | None = None
        self.readiness = ReadinessControl(self, readiness or ReadinessTracker(config, clock))
        """Gate results, the verdict and operator actions on gates (see `ReadinessControl`)."""
        if read_only:
            unbind_mutating(self)

    def get_default_screen(self) -> Screen[None]:
        return self.dashboard

    # -- lifecycle ------------------------------------------------------------------------

    async def on_mount(self) -> None:
        if not self.is_headless:  # headless (tests, snapshots) must not depend on $TERM
            self.theme = theme_for_terminal(self.console.color_system) or self.theme
        self._install_exit_signals()
        self._watch_terminal()
        self.feed.subscribe(self._publish)
        self._publish(self.feed.snapshot())
        self.readiness.start()
        await self.feed.start()
        self._feed_started = True
        self._ages_timer = self.set_interval(AGO_TICK_S, self.tick_ages)

    async def on_unmount(self) -> None:
        if self._ages_timer is not None:
            self._ages_timer.stop()
        if self._stop_hangup_watch is not None:
            self._stop_hangup_watch()
            self._stop_hangup_watch = None
        self._remove_exit_signals()
        if self._feed_started:
            self._feed_started = False
            await self.feed.stop()

    def _install_exit_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in EXIT_SIGNALS:
            if signal.getsignal(sig) is signal.SIG_IGN:
                continue  # started under nohup: respect it (a hang-up is still noticed)
            try:
                loop.add_signal_handler(sig, self.handle_exit_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or a platform without these signals
            self._signals.append(sig)

    def _remove_exit_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._signals:
            loop.remove_signal_handler(sig)
        self._signals.clear()

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
        self.readiness.request(message.action, message.index)

    def on_pipelines_pane_run_opened(self, message: PipelinesPane.RunOpened) -> None:
        """Enter on a pipeline row: the run screen (jobs, steps, the failing step's log)."""
        from screens.run_screen import RunScreen  # loaded on first drill-down, not at start

        self.push_screen(
            RunScreen(
                message.run,
                self.ci,
                self.config,
                self.clock,
                read_only=self.read_only,
                show_clock=self.show_clock,
                refresh_source=self.feed.refresh,
            )
        )

    def tick_ages(self) -> None:
        """Re-render age labels as of now (every `AGO_TICK_S`; panes skip unchanged parts)."""
        self.readiness.reassess()  # a gate goes stale with its source, snapshot or not
        self.dashboard.tick_ages(self.clock.now())

    def watch_show_clock(self, show: bool) -> None:
        self.dashboard.show_clock = show

    # -- actions --------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Poll every source now. Reads only, so it is allowed in read-only mode."""
        self.run_worker(
            self.feed.refresh(),
            name="refresh",
            group="refresh",
            exclusive=True,
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures go: an operator action failed, so say so."""
        if event.state is WorkerState.ERROR:
            self.notify(
                f"{event.worker.error}. The panes keep their last good data; press r to retry.",
                title=f"{event.worker.name.capitalize()} failed",
                severity="error",
            )

    def action_help(self) -> None:
        """Open the help screen (keys as bound now, panes, glyph legend)."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.bound_keys(), self.pane_descriptions(), self.pane_keys()))

    def bound_keys(self) -> list[tuple[str, str]]:
        """(key, description) of the cockpit's keys on the dashboard, as bound now.

        Read from the live bindings, so the help never lists a key that is not bound (in
        read-only mode, no mutating key).
        """
        found: dict[str, tuple[float, list[str]]] = {}
        for active in self.dashboard.active_bindings.values():
            binding = active.binding
            binding_id = binding.id or ""
            if not binding_id.startswith("cockpit.") or not binding.description:
                continue
            rank = next(
                (i for i, prefix in enumerate(HELP_ORDER) if binding_id.startswith(prefix)),
                len(HELP_ORDER) - 1,  # keys added later go before "quit"
            )
            entry = found.setdefault(binding.description, (rank, []))
            entry[1].append(self.get_key_display(binding))
        found.setdefault("Unzoom", (HELP_ORDER.index("cockpit.unzoom"), ["escape"]))
        found["Command palette: zoom, refresh, help, theme"] = (len(HELP_ORDER) - 1.5, ["ctrl+p"])
        ordered = sorted(found.items(), key=lambda item: item[1][0])
        return [
            (" / ".join(sorted(keys, key=len)), description) for description, (_, keys) in ordered
        ]

    def pane_keys(self) -> list[tuple[str, str]]:
        """(key, "Pane: description") of the panes' own keys, as bound (read-only: no mutating)."""
        keys: list[tuple[str, str]] = []
        for pane in self.dashboard.panes:
            for _key, binding in pane._bindings:  # the live map: see widgets.mutating
                binding_id = binding.id or ""
                if binding.description and not binding_id.startswith(("cockpit.", "pane.")):
                    label = f"{pane.TITLE}: {binding.description}"
                    keys.append((self.get_key_display(binding), label))
        return keys

    @staticmethod
    def pane_descriptions() -> list[tuple[str, str]]:
        """(key and title, what it answers) for each pane."""
        return [(f"{pane.ZOOM_KEY} {pane.TITLE}", pane.DESCRIPTION) for pane in PANE_TYPES]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is self.dashboard:
            for pane in PANE_TYPES:
                yield SystemCommand(
                    f"Zoom {pane.TITLE}",
                    f"Show the {pane.TITLE} pane full screen, or back (key {pane.ZOOM_KEY})",
                    lambda pane_id=pane.PANE_ID: self.dashboard.action_zoom(pane_id),
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
    """Build the cockpit: one factory for the CLI, the demo and the tests.

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
    return CockpitApp(
        config,
        feed,
        clock,
        read_only=config.read_only if read_only is None else read_only,
        title=title or DEFAULT_TITLE,
        show_clock=show_clock,
        ci=ci,
        readiness=readiness,
    )
