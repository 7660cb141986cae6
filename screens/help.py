"""The help screen: the keys that are bound right now, what each pane answers, the glyph legend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.present.status import legend

EXTRA_KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓ pgup pgdn", "move within the focused pane"),
    ("enter (in a filter)", "keep the filter and go back to the rows"),
    ("escape (in a filter)", "clear the filter"),
)


class HelpScreen(ModalScreen[None]):
    """Keys, panes and glyphs; `?`, escape or `q` close it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close help", id="help.close"),
        Binding("question_mark", "close", "Close help", show=False, id="help.close_toggle"),
        Binding("q", "close", "Close help", show=False, id="help.close_q"),
    ]

    def __init__(
        self,
        keys: Sequence[tuple[str, str]],
        panes: Sequence[tuple[str, str]],
        pane_keys: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Build the help.

        Args:
            keys: (key, what it does) for every key bound on the dashboard, as bound now (so
                read-only mode lists no mutating key).
            panes: (title, what it answers) for each pane.
            pane_keys: (key, "Pane: what it does") for keys a pane binds itself (tick, waive,
                ...), as bound now: read-only mode lists none of the mutating ones.
        """
        super().__init__()
        self._keys = [*keys, *EXTRA_KEYS]
        self._panes = panes
        self._pane_keys = pane_keys

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("Keys", style="bold"), classes="heading")
            yield Static(_two_columns(self._keys), classes="section")
            if self._pane_keys:
                yield Static(
                    Text("Keys in a pane (when it has the focus)", style="bold"), classes="heading"
                )
                yield Static(_two_columns(self._pane_keys), classes="section")
            yield Static(Text("Panes", style="bold"), classes="heading")
            yield Static(_two_columns(self._panes), classes="section")
            yield Static(Text("Glyphs", style="bold"), classes="heading")
            glyphs = [(badge.label, meaning) for badge, meaning in legend()]
            yield Static(_two_columns(glyphs), classes="section")
            yield Static(
                Text("Colour only repeats the words: every status has a glyph and a word."),
                classes="note",
            )

    def on_mount(self) -> None:
        help_box = self.query_one("#help", VerticalScroll)
        help_box.border_title = "Help"
        help_box.border_subtitle = "escape closes"
        help_box.focus()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)


def _two_columns(rows: Sequence[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(ratio=1)
    for left, right in rows:
        table.add_row(Text(left, end=""), Text(right, end=""))
    return table
