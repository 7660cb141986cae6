"""The header: title, environment (production unmistakable), release, READ-ONLY badge, clock.

Production gets both a colour and a word: the bar turns `$error` and says PRODUCTION in
capitals, so it reads in 16 colours, in monochrome and with `NO_COLOR`. The clock is our own:
it repaints only when its text changes (once a second at most) and can be turned off entirely.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from cockpit.clock import Clock
from cockpit.config.models import Config
from cockpit.present.ago import format_clock
from cockpit.present.header import READ_ONLY_BADGE, environment_label, release_label

CLOCK_TICK_S = 1.0


class ClockFace(Widget):
    """The header clock: a fixed-width cell that repaints only itself.

    A `Static.update` asks for a layout pass, which repaints the whole header line every second
    (about 800 B/s over SSH); a fixed width and a plain refresh repaint just these cells.
    """

    DEFAULT_CSS = """
    ClockFace { width: 14; height: 1; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="clock")
        self.text = ""

    def render(self) -> Text:
        return Text(self.text)

    def show(self, text: str) -> None:
        self.text = text
        self.refresh()


class HeaderBar(Horizontal):
    """One line across the top of the dashboard."""

    DEFAULT_CSS = """
    HeaderBar {
        dock: top;
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
    }
    HeaderBar > Static { width: auto; padding: 0 1; }
    HeaderBar > #title { text-style: bold; }
    HeaderBar > #environment { background: $boost; text-style: bold; }
    HeaderBar > #release { width: 1fr; text-overflow: ellipsis; text-wrap: nowrap; }
    HeaderBar > #read-only { background: $warning; color: $text; text-style: bold; }
    HeaderBar > #clock { color: $text-muted; }
    HeaderBar.-production { background: $error; color: $text; }
    HeaderBar.-production > #environment {
        background: $error-darken-2;
        color: $text;
        text-style: bold reverse;
    }
    HeaderBar.-production > #clock { color: $text; }
    HeaderBar:ansi > #read-only {
        background: transparent;
        color: $warning;
        text-style: bold reverse;
    }
    """

    show_clock: reactive[bool] = reactive(True, init=False)
    """Show the clock (ticks once a second). The benchmark and some tests turn it off."""

    def __init__(
        self, config: Config, clock: Clock, *, title: str, read_only: bool, show_clock: bool = True
    ) -> None:
        super().__init__(classes="-production" if config.is_production else "")
        self._config = config
        self._clock = clock
        self._title = title
        self._read_only = read_only
        self._timer: Timer | None = None
        self._clock_text = ""
        self.set_reactive(HeaderBar.show_clock, show_clock)

    def compose(self) -> ComposeResult:
        yield Static(self._title, id="title", markup=False)
        yield Static(environment_label(self._config), id="environment", markup=False)
        yield Static(release_label(self._config), id="release", markup=False)
        if self._read_only:
            yield Static(READ_ONLY_BADGE, id="read-only", markup=False)
        yield ClockFace()

    def on_mount(self) -> None:
        self._apply_show_clock(self.show_clock)

    def watch_show_clock(self, show: bool) -> None:
        self._apply_show_clock(show)

    def _apply_show_clock(self, show: bool) -> None:
        clock = self.query_one(ClockFace)
        clock.display = show
        if show and self._timer is None:
            self._tick()
            self._timer = self.set_interval(CLOCK_TICK_S, self._tick)
        elif not show and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        text = f"{format_clock(self._clock.now(), seconds=True)} UTC"
        if text != self._clock_text:
            self._clock_text = text
            self.query_one(ClockFace).show(text)
