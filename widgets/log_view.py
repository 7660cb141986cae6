"""A bounded log view that repaints a few times a second however fast lines arrive.

Appending a line to a log widget scrolls and repaints every visible line; done per line at a
few hundred lines a second, that is half a core and half a megabyte a second on the wire
(toolong tailing a busy file). `LogView` collects appended lines and writes them in one batch
every `FLUSH_INTERVAL_S` (200 ms): one render, one scroll. It keeps at most `max_lines` lines
(Textual's `RichLog` drops the oldest), wraps long lines instead of scrolling sideways (80
columns over SSH), and follows the end only while the reader is at the end (Textual's
anchor): someone who scrolled up to read is not pulled down by new lines. No timer runs while
nothing is pending, so an idle log costs nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.timer import Timer
from textual.widgets import RichLog

FLUSH_INTERVAL_S = 0.2
"""How long appended lines wait, at most, before they are written in one batch."""

DEFAULT_MAX_LINES = 5000
"""Screen lines kept (a wrapped log line takes several)."""


class LogView(RichLog):
    """A `RichLog` fed in batches: `append` queues, a one-shot timer writes them together."""

    DEFAULT_CSS = """
    LogView {
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    def __init__(
        self,
        *,
        max_lines: int = DEFAULT_MAX_LINES,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        id: str | None = None,  # noqa: A002 (Textual's name for it)
    ) -> None:
        super().__init__(max_lines=max_lines, min_width=1, wrap=True, markup=False, id=id)
        self.flush_interval_s = flush_interval_s
        self._pending: deque[Text] = deque(maxlen=max_lines)
        self._timer: Timer | None = None
        self.batches_written = 0
        """How many batches were written (each one render and at most one scroll)."""
        self.lines_appended = 0
        """How many lines were written, in total."""

    @property
    def pending(self) -> int:
        """Lines queued, not written yet."""
        return len(self._pending)

    def show(self, lines: Iterable[Text]) -> None:
        """Replace the content with `lines` at once and show the end (a freshly loaded tail)."""
        self._pending.clear()
        self._stop_timer()
        self.clear()
        self._write(list(lines), scroll_end=True)

    def append(self, lines: Iterable[Text]) -> None:
        """Queue `lines`; they are written with the others queued in the next ~200 ms."""
        before = len(self._pending)
        self._pending.extend(lines)
        if len(self._pending) == before or self._timer is not None:
            return
        self._timer = self.set_timer(self.flush_interval_s, self.flush, name="log-view-flush")

    def flush(self) -> None:
        """Write every queued line now, in one batch."""
        self._stop_timer()
        if not self._pending:
            return
        batch = list(self._pending)
        self._pending.clear()
        # Follow the end only if the reader is there: a scrolled-up reader stays put.
        at_end = self.is_vertical_scroll_end or self.max_scroll_y == 0
        self._write(batch, scroll_end=at_end)

    def _write(self, lines: list[Text], *, scroll_end: bool) -> None:
        if not lines:
            return
        # Wrap at the view's own width: left to itself RichLog measures against the console's
        # width, which need not be the terminal's (and is 80 in headless runs).
        width = self.scrollable_content_region.width or None
        self.write(Text("\n", end="").join(lines), width=width, scroll_end=scroll_end)
        self.batches_written += 1
        self.lines_appended += len(lines)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def on_mount(self) -> None:
        # Anchored: the end stays in view through layout changes (the wrapped height is only
        # final after layout) until the reader scrolls up; scrolling back down re-anchors.
        self.anchor()

    def on_unmount(self) -> None:
        self._stop_timer()
