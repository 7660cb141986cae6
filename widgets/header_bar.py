"""The header: title, environment (production unmistakable), release, READ-ONLY badge, clock.

Production gets both a colour and a word: the bar turns `$error` and says PRODUCTION in
capitals, so it reads in 16 colours, in monochrome and with `NO_COLOR`. The clock is our own:
it repaints only when its text changes (once a second at most) and can be turned off entirely.

The first frame is drawn before the config is loaded: the header then shows the title, the clock
and `starting…`, and `show_config` fills in the rest once the session exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from cockpit.clock import Clock
from cockpit.present.ago import format_clock
from cockpit.present.header import (
    NOT_STARTED_LABEL,
    READ_ONLY_BADGE,
    STARTING_LABEL,
    environment_label,
    release_label,
)

if TYPE_CHECKING:
    from cockpit.config.models import Config

CLOCK_TICK_S = 1.0


class ClockFace(Widget):
    """The header clock: a fixed-width cell that repaints only the characters that changed.

    A `Static.update` asks for a layout pass, which repaints the whole header line every second
    (about 800 B/s over SSH). A fixed width and a refresh of the changed characters only (usually
    the last digit of the seconds) leave Textual rewriting about a dozen cells: ~65 B/s.
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
        before, self.text = self.text, text
        if len(before) != len(text):
            self.refresh()
            return
        changed = [i for i, (old, new) in enumerate(zip(before, text, strict=True)) if old != new]
        if changed:
            self.refresh(Region(changed[0], 0, len(text) - changed[0], 1))


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
        self,
        clock: Clock,
        *,
        title: str,
        show_clock: bool = True,
        config: Config | None = None,
        read_only: bool = False,
    ) -> None:
        """A header for `config`, or (`config=None`) one that says `starting…` until
        `show_config` is called."""
        production = config is not None and config.is_production
        super().__init__(classes="-production" if production else "")
        self._config = config
        self._clock = clock
        self._title = title
        self._read_only = read_only
        self._timer: Timer | None = None
        self._clock_text = ""
        self.set_reactive(HeaderBar.show_clock, show_clock)

    def compose(self) -> ComposeResult:
        config = self._config
        environment = environment_label(config) if config is not None else STARTING_LABEL
        release = release_label(config) if config is not None else ""
        yield Static(self._title, id="title", markup=False)
        yield Static(environment, id="environment", markup=False)
        yield Static(release, id="release", markup=False)
        if config is not None and self._read_only:
            yield Static(READ_ONLY_BADGE, id="read-only", markup=False)
        yield ClockFace()

    def show_config(self, config: Config, *, read_only: bool) -> None:
        """Show the environment, the release and the READ-ONLY badge of `config`."""
        self._config = config
        self._read_only = read_only
        self.set_class(config.is_production, "-production")
        self.query_one("#environment", Static).update(environment_label(config))
        self.query_one("#release", Static).update(release_label(config))
        badges = self.query("#read-only")
        if read_only and not badges:
            self.mount(Static(READ_ONLY_BADGE, id="read-only", markup=False), before="#clock")
        elif not read_only:
            badges.remove()

    def show_not_started(self) -> None:
        """The session could not be built: say so where the environment would be."""
        self.query_one("#environment", Static).update(NOT_STARTED_LABEL)

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
