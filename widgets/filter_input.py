"""The one-line filter a pane opens under `/`."""

from __future__ import annotations

from textual.widgets import Input


class FilterInput(Input):
    """A compact input with a steady cursor: a blinking one repaints ~400 B/s forever."""

    DEFAULT_CSS = """
    FilterInput {
        display: none;
        dock: bottom;
        width: 1fr;
    }
    FilterInput.-open {
        display: block;
    }
    """

    def __init__(self) -> None:
        super().__init__(placeholder="filter (enter keeps it, escape clears)", compact=True)
        self.cursor_blink = False

    @property
    def is_open(self) -> bool:
        """True while the filter is shown (being typed, or applied and kept)."""
        return self.has_class("-open")

    def open(self) -> None:
        """Show the input and put the cursor in it."""
        self.add_class("-open")
        self.focus()

    def close(self) -> None:
        """Clear and hide the input."""
        self.value = ""
        self.remove_class("-open")
