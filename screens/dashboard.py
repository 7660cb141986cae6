"""The dashboard: header, the four panes, footer; zoom and filter.

At 120 columns and wider the panes form a 2x2 grid; below that they stack, the Pipelines pane
taking twice the height of the others, and each pane switches to compact rows by its own width.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer

from cockpit.clock import Clock
from cockpit.config.models import Config
from cockpit.models import Snapshot
from widgets.filter_input import FilterInput
from widgets.header_bar import HeaderBar
from widgets.logs_pane import LogsPane
from widgets.mutating import unbind_mutating
from widgets.pane import Pane
from widgets.pipelines_pane import PipelinesPane
from widgets.readiness_pane import ReadinessPane
from widgets.rollout_pane import RolloutPane

PANE_TYPES: tuple[type[Pane], ...] = (PipelinesPane, ReadinessPane, RolloutPane, LogsPane)
"""The panes in focus (tab) order, which is also reading order in the 2x2 grid."""

ZOOM = Binding.Group("zoom", compact=True)


class DashboardScreen(Screen[None]):
    """The four-pane dashboard (the App's default screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                pane.ZOOM_KEY,
                f"zoom('{pane.PANE_ID}')",
                f"Zoom {pane.TITLE.lower()}",
                id=f"cockpit.zoom.{pane.PANE_ID}",
                group=ZOOM,
            )
            for pane in PANE_TYPES
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

    def __init__(
        self, config: Config, clock: Clock, *, title: str, read_only: bool, show_clock: bool
    ) -> None:
        super().__init__()
        self._config = config
        self._clock = clock
        self._title = title
        self._read_only = read_only
        self._show_clock = show_clock
        self._snapshot: Snapshot | None = None
        if read_only:
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
        yield HeaderBar(
            self._config,
            self._clock,
            title=self._title,
            read_only=self._read_only,
            show_clock=self._show_clock,
        )
        with Container(id="panes"):
            for pane_type in PANE_TYPES:
                yield pane_type(self._config, read_only=self._read_only)
        yield Footer()

    def on_mount(self) -> None:
        # A snapshot may have arrived before the panes were mounted: show the latest now.
        self.show_snapshot(self._snapshot, self._clock.now())

    @property
    def panes(self) -> list[Pane]:
        """The four panes, in focus order."""
        return list(self.query(Pane))

    def pane(self, pane_id: str) -> Pane:
        """The pane with this id (`pipelines`, `readiness`, `rollout`, `logs`)."""
        return self.query_one(f"#{pane_id}", Pane)

    @property
    def zoomed(self) -> Pane | None:
        """The pane shown full screen, if any."""
        return self.maximized if isinstance(self.maximized, Pane) else None

    def focused_pane(self) -> Pane:
        """The pane holding the focus (the zoomed pane, else Pipelines when nothing is focused)."""
        if self.focused is not None:
            for node in self.focused.ancestors_with_self:
                if isinstance(node, Pane):
                    return node
        return self.zoomed or self.pane(PipelinesPane.PANE_ID)

    def show_snapshot(
        self, snapshot: Snapshot | None, now: datetime, *, render: bool = True
    ) -> None:
        """Hand the snapshot to every pane; each repaints only what changed.

        `render=False` only keeps it (nothing displayed changed): the next age tick draws from it.
        """
        self._snapshot = snapshot
        for pane in self.panes:
            pane.show_snapshot(snapshot, now, render=render)

    def tick_ages(self, now: datetime) -> None:
        """Re-render age labels as of `now`."""
        for pane in self.panes:
            pane.tick_ages(now)

    def action_zoom(self, pane_id: str) -> None:
        """Show a pane full screen; the same key (or escape) brings the dashboard back."""
        pane = self.pane(pane_id)
        if self.zoomed is pane:
            self.action_unzoom()
            return
        self.maximize(pane, container=False)
        pane.focus_body()
        self.refresh_bindings()  # the footer now offers "esc Unzoom"

    def action_unzoom(self) -> None:
        """Leave the zoomed pane."""
        self.minimize()
        self.refresh_bindings()

    def action_filter(self) -> None:
        """Open the filter of the focused pane."""
        self.focused_pane().open_filter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "unzoom":
            return self.zoomed is not None
        if action == "filter":
            # Typing in a filter already: "/" is text there, so do not offer it in the footer.
            return not isinstance(self.focused, FilterInput)
        return True
