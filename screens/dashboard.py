"""The dashboard: header, the four panes, footer; zoom and filter.

At 120 columns and wider the panes form a 2x2 grid; below that they stack, the Pipelines pane
taking twice the height of the others, and each pane switches to compact rows by its own width.

The dashboard is the first frame: it composes the header and four titled `StartingPane`s with
nothing but Textual and a few light modules loaded, and `attach` swaps in the real panes once the
session (config, engine, readiness) has been built. Pane code is imported only then.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer

from cockpit.clock import Clock
from cockpit.present.panes import PANES, PIPELINES
from widgets.filter_input import FilterInput
from widgets.header_bar import HeaderBar
from widgets.mutating import bind_mutating, unbind_mutating
from widgets.pane_frame import PaneFrame
from widgets.starting_pane import StartingPane

if TYPE_CHECKING:
    from cockpit.config.models import Config
    from cockpit.models import Snapshot
    from widgets.pane import Pane

ZOOM = Binding.Group("zoom", compact=True)


class DashboardScreen(Screen[None]):
    """The four-pane dashboard (the App's default screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                pane.zoom_key,
                f"zoom('{pane.pane_id}')",
                f"Zoom {pane.title.lower()}",
                id=f"cockpit.zoom.{pane.pane_id}",
                group=ZOOM,
            )
            for pane in PANES
        ),
        Binding("escape", "unzoom", "Unzoom", id="cockpit.unzoom"),
        Binding("slash", "filter", "Filter", id="cockpit.filter", key_display="/"),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="cockpit.focus_next"),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Previous pane",
            show=False,
            id="cockpit.focus_previous",
        ),
    ]

    ALLOW_IN_MAXIMIZED_VIEW = "HeaderBar, Footer"
    """A zoomed pane keeps the header (environment, READ-ONLY) and the footer in view."""

    ESCAPE_TO_MINIMIZE = False
    """Escape is ours: it clears a pane's filter first, and only then leaves the zoom."""

    def __init__(self, clock: Clock, *, title: str, show_clock: bool) -> None:
        super().__init__()
        self._clock = clock
        self._title = title
        self._show_clock = show_clock
        self._panes: list[Pane] = []
        # Until the session says otherwise, nothing that mutates is bound (see widgets.mutating).
        unbind_mutating(self)

    @property
    def show_clock(self) -> bool:
        """Whether the header shows its 1 Hz clock."""
        return self._show_clock

    @show_clock.setter
    def show_clock(self, show: bool) -> None:
        self._show_clock = show
        for header in self.query(HeaderBar):
            header.show_clock = show

    def compose(self) -> ComposeResult:
        yield HeaderBar(self._clock, title=self._title, show_clock=self._show_clock)
        with Container(id="panes"):
            for info in PANES:
                yield StartingPane(info)
        yield Footer()

    async def attach(self, config: Config, *, read_only: bool) -> None:
        """Show `config`: fill the header and replace the starting panes with the real ones."""
        from screens.pane_types import PANE_TYPES  # the panes' code: after the first frame

        if not read_only:
            bind_mutating(self)
        self.query_one(HeaderBar).show_config(config, read_only=read_only)
        panes = [pane_type(config, read_only=read_only) for pane_type in PANE_TYPES]
        container = self.query_one("#panes", Container)
        zoomed = self.maximized.id if isinstance(self.maximized, PaneFrame) else None
        with self.app.batch_update():  # one repaint: never a frame without panes
            self.minimize()
            await container.remove_children()
            await container.mount_all(panes)
        self._panes = panes
        if zoomed is not None:  # zoomed while starting: stay zoomed on the real pane
            self.maximize(self.pane(zoomed), container=False)
        self.refresh_bindings()

    def focus_first_pane(self) -> None:
        """Focus the zoomed pane, else Pipelines, unless something has the focus already."""
        if self.focused is None:
            self.focused_pane().focus_body()

    def show_startup_failure(self, message: str) -> None:
        """The session could not be built: every pane says so; Pipelines says why."""
        self.query_one(HeaderBar).show_not_started()
        for index, pane in enumerate(self.query(StartingPane)):
            pane.show_failure(message if index == 0 else None)

    @property
    def attached(self) -> bool:
        """True once the real panes are shown."""
        return bool(self._panes)

    @property
    def panes(self) -> list[Pane]:
        """The four panes, in focus order (none before `attach`)."""
        return list(self._panes)

    def pane(self, pane_id: str) -> Pane:
        """The pane with this id (`pipelines`, `readiness`, `rollout`, `logs`)."""
        for pane in self._panes:
            if pane.id == pane_id:
                return pane
        raise KeyError(pane_id)

    @property
    def zoomed(self) -> Pane | None:
        """The pane shown full screen, if any."""
        return next((pane for pane in self._panes if pane is self.maximized), None)

    def focused_pane(self) -> Pane:
        """The pane holding the focus (the zoomed pane, else Pipelines when nothing is focused)."""
        if self.focused is not None:
            for node in self.focused.ancestors_with_self:
                for pane in self._panes:
                    if node is pane:
                        return pane
        return self.zoomed or self.pane(PIPELINES.pane_id)

    def show_snapshot(
        self, snapshot: Snapshot | None, now: datetime, *, render: bool = True
    ) -> None:
        """Hand the snapshot to every pane; each repaints only what changed.

        `render=False` only keeps it (nothing displayed changed): the next age tick draws from it.
        """
        for pane in self.panes:
            pane.show_snapshot(snapshot, now, render=render)

    def tick_ages(self, now: datetime) -> None:
        """Re-render age labels as of `now`."""
        for pane in self.panes:
            pane.tick_ages(now)

    def action_zoom(self, pane_id: str) -> None:
        """Show a pane full screen; the same key (or escape) brings the dashboard back.

        While the session starts, the starting pane is zoomed, and the real one replaces it.
        """
        frame = self.query_one(f"#{pane_id}", PaneFrame)
        if self.maximized is frame:
            self.action_unzoom()
            return
        self.maximize(frame, container=False)
        if self.attached:
            self.pane(pane_id).focus_body()
        self.refresh_bindings()  # the footer now offers "esc Unzoom"

    def action_unzoom(self) -> None:
        """Leave the zoomed pane."""
        self.minimize()
        self.refresh_bindings()

    def action_filter(self) -> None:
        """Open the filter of the focused pane."""
        self.focused_pane().open_filter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter" and not self.attached:
            return None  # shown, dimmed: the panes are still starting
        if action == "unzoom":
            return isinstance(self.maximized, PaneFrame)
        if action == "filter":
            # Typing in a filter already: "/" is text there, so do not offer it in the footer.
            return not isinstance(self.focused, FilterInput)
        return True
