"""The frame every dashboard pane shares: border title, status line, filter, zoom.

A pane shows one slice of the latest snapshot. It re-renders only what changed: each part
compares what it would show with what it shows, and repaints nothing when they are equal (ages
are coarse, so most snapshots change nothing on screen).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.widget import Widget
from textual.widgets import Input

from cockpit.config.models import Config
from cockpit.models import Snapshot
from cockpit.present.panes import PaneInfo
from cockpit.present.sources import source_status_line, statuses_for
from cockpit.present.status import worst_freshness
from cockpit.present.tone import Palette, Tone
from widgets.filter_input import FilterInput
from widgets.mutating import unbind_mutating
from widgets.pane_frame import PaneFrame
from widgets.pane_status import PaneStatus

COMPACT_BELOW_WIDTH = 90
"""Panes narrower than this show compact status lines and rows."""


class Pane(PaneFrame):
    """Base class of the four dashboard panes.

    Subclasses set `INFO` (id, title, zoom key, description) and implement `source_names`,
    `compose_body`, `body` and `render_body`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close_filter", "Clear filter", id="pane.close_filter"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"tone--{tone.value}" for tone in Tone}

    DEFAULT_CSS = """
    Pane > .tone--success { color: $text-success; }
    Pane > .tone--error { color: $text-error; text-style: bold; }
    Pane > .tone--warning { color: $text-warning; text-style: bold; }
    Pane > .tone--accent { color: $text-primary; }
    Pane > .tone--muted { color: $text-muted; }
    Pane > .tone--plain { }
    """

    INFO: ClassVar[PaneInfo]
    """Which pane this is (`cockpit.present.panes`)."""

    filter_text: var[str] = var("", init=False)
    """The substring rows must contain to be shown ("" shows every row)."""

    def __init__(self, config: Config, *, read_only: bool = False) -> None:
        super().__init__(self.INFO)
        self.config = config
        self.snapshot: Snapshot | None = None
        """The last snapshot shown (None before the first one arrives)."""
        self._now: datetime | None = None
        self._palette: Palette | None = None
        if read_only:
            unbind_mutating(self)

    # -- what subclasses provide -------------------------------------------------------------

    def source_names(self) -> tuple[str, ...]:
        """The configured sources whose freshness this pane's status line shows."""
        raise NotImplementedError

    def compose_body(self) -> ComposeResult:
        """The pane's content widgets (between the status line and the filter)."""
        raise NotImplementedError

    def body(self) -> Widget:
        """The widget that takes focus for this pane."""
        raise NotImplementedError

    def render_body(self, now: datetime, palette: Palette) -> None:
        """Bring the content up to date with `self.snapshot`, the filter and `now`."""
        raise NotImplementedError

    def status_when_no_sources(self) -> str:
        """What the status line says when no source feeds this pane."""
        return "no sources configured"

    # -- shared behaviour ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield PaneStatus()
        yield from self.compose_body()
        yield FilterInput()

    @property
    def compact(self) -> bool:
        """True when the pane is too narrow for full rows (80x24, a quarter of 120x40)."""
        return self.content_size.width < COMPACT_BELOW_WIDTH

    @property
    def palette(self) -> Palette:
        """Tones drawn in this theme's colours, from the pane's `tone--*` component classes."""
        if self._palette is None:
            self._palette = {tone: self._tone_style(tone) for tone in Tone}
        return self._palette

    def _tone_style(self, tone: Tone) -> Style:
        name = f"tone--{tone.value}"
        # The full style resolves colours such as `auto 60%` against the pane's background; keep
        # only its foreground, so a cell never paints over the table's cursor highlight.
        resolved = self.get_component_rich_style(name)
        own = self.get_component_rich_style(name, partial=True)
        if own.color is None:
            return own
        return own + Style.from_color(resolved.color)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def _on_theme_changed(self, _theme: object) -> None:
        self._palette = None
        self.redraw(force=True)

    def on_resize(self) -> None:
        self.redraw()

    def show_snapshot(
        self, snapshot: Snapshot | None, now: datetime, *, render: bool = True
    ) -> None:
        """Show `snapshot` as of `now`; parts that would look the same are not repainted.

        With `render=False` the snapshot is only kept, for the next age tick.
        """
        self.snapshot = snapshot
        if render or self._now is None:
            self._now = now
            self.redraw()

    def tick_ages(self, now: datetime) -> None:
        """Re-render the age labels as of `now` (called at a coarse cadence, not every second)."""
        self._now = now
        self.redraw()

    def redraw(self, *, force: bool = False) -> None:
        """Render the status line and the body; `force` also repaints unchanged parts."""
        if self._now is None or not self.is_mounted:
            return
        if force:
            self.forget_rendered()
        palette = self.palette
        statuses = statuses_for(self.source_names(), self.snapshot, self.config)
        line = source_status_line(
            statuses,
            self._now,
            palette,
            compact=self.compact,
            empty=self.status_when_no_sources(),
        )
        state = worst_freshness([s.state for s in statuses])
        self.query_one(PaneStatus).show(state, line)
        self.render_body(self._now, palette)

    def forget_rendered(self) -> None:
        """Drop what the body remembers having shown, so the next render repaints it."""
        self.query_one(PaneStatus).forget()

    def focus_body(self) -> None:
        """Move focus into the pane."""
        self.body().focus()

    # -- filtering -------------------------------------------------------------------------

    def open_filter(self) -> None:
        """Show the filter input and focus it (`/`)."""
        self.query_one(FilterInput).open()

    def action_close_filter(self) -> None:
        """Clear and hide the filter, and go back to the rows (escape)."""
        self.query_one(FilterInput).close()
        self.filter_text = ""
        self.focus_body()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_filter":
            # Not bound unless there is a filter: escape then falls through to "un-zoom".
            inputs = self.query(FilterInput)
            return bool(self.filter_text) or any(field.is_open for field in inputs)
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.query_one(FilterInput).close()
        self.focus_body()

    def watch_filter_text(self) -> None:
        self.redraw()

    def filtered(self, text: Text) -> bool:
        """True when a row whose visible text is `text` passes the filter."""
        wanted = self.filter_text.strip().casefold()
        return not wanted or wanted in text.plain.casefold()
