"""A pane's status line: the freshness of the sources that feed it, and their errors.

A failing source is pane state, shown here with its error, never a toast or a modal. The line's
class (`-fresh`, `-stale`, `-failing`, `-unknown`) is the worst state among its sources, so stale
and failing panes are styled differently from fresh ones even before the words are read.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from cockpit.models import Freshness

STATE_CLASSES = {state: f"-{state.value}" for state in Freshness}
MAX_LINES = 2  # the status line's max-height


class PaneStatus(Static):
    """One or two lines: `gh ✓ fresh 20s · jk ✖ FAILING: auth Bad credentials`."""

    DEFAULT_CSS = """
    PaneStatus {
        height: auto;
        max-height: 2;
        width: 1fr;
        padding: 0 1;
        color: $foreground;
    }
    PaneStatus.-unknown { color: $text-muted; }
    PaneStatus.-stale { background: $warning-muted; }
    PaneStatus.-failing { background: $error-muted; text-style: bold; }
    /* In the terminal's 16 colours a "muted" red is plain red: red words would vanish on it. */
    PaneStatus:ansi.-stale, PaneStatus:ansi.-failing { background: transparent; }
    PaneStatus:ansi.-unknown { color: $foreground; }
    """

    def __init__(self) -> None:
        super().__init__("", classes=STATE_CLASSES[Freshness.UNKNOWN], markup=False)
        self._shown: tuple[Freshness, Text] | None = None

    @property
    def state(self) -> Freshness:
        """The worst freshness among the pane's sources, as last shown."""
        return self._shown[0] if self._shown is not None else Freshness.UNKNOWN

    def show(self, state: Freshness, line: Text) -> bool:
        """Show `line` styled as `state`; returns False (and repaints nothing) if unchanged.

        Only what fits on screen counts as a change: with many sources the line runs past the
        pane's edge, and an age ticking in the hidden part must not repaint it (over SSH every
        repaint is bytes on the wire).
        """
        shown = self._shown
        if (
            shown is not None
            and shown[0] is state
            and self._visible(shown[1]) == self._visible(line)
        ):
            self._shown = (state, line)
            return False
        self._shown = (state, line)
        for each, css_class in STATE_CLASSES.items():
            self.set_class(each is state, css_class)
        self.update(line)
        return True

    def _visible(self, line: Text) -> Text:
        """The part of `line` the status line's box can show (all of it before layout)."""
        width = self.content_size.width
        if width <= 0:
            return line
        lines = line.wrap(self.app.console, width, overflow="ellipsis")
        return Text("\n").join(lines[:MAX_LINES])

    def on_resize(self) -> None:
        # A wider line may reveal what was hidden: show the latest text in full.
        if self._shown is not None:
            self.update(self._shown[1])

    def forget(self) -> None:
        """Forget what was shown, so the next `show` repaints (after a theme change)."""
        self._shown = None
