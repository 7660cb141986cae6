"""The evidence of the selected gate: why it is not a pass, and what was seen, with its age."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class GateEvidence(Static):
    """`key: value` lines under a rule titled with the gate; repaints only when they change.

    It takes the pane's height left under the gate rows; a line longer than the width ends with
    an ellipsis, unless full values are shown (`-full`), which wrap.
    """

    DEFAULT_CSS = """
    GateEvidence {
        height: 1fr;
        min-height: 4;
        width: 1fr;
        padding: 0 1;
        border-top: solid $panel-lighten-2;
        border-title-color: $text-muted;
        border-title-align: left;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    GateEvidence.-full {
        text-wrap: wrap;
        text-overflow: fold;
    }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False, id="evidence")
        self._shown: tuple[str, tuple[Text, ...]] | None = None

    @property
    def lines(self) -> tuple[Text, ...]:
        """The lines shown now."""
        return self._shown[1] if self._shown is not None else ()

    @property
    def plain(self) -> str:
        """The lines shown now, as plain text (for tests and screen readers)."""
        return "\n".join(line.plain for line in self.lines)

    def show(self, title: str, lines: list[Text], *, wrap: bool = False) -> bool:
        """Show `lines` under `title`; returns False (and repaints nothing) when unchanged.

        Args:
            title: The rule's title (which gate).
            lines: One `key: value` line each.
            wrap: Fold long lines (full values) instead of ending them with an ellipsis.
        """
        wanted = (title, tuple(lines))
        if self._shown == wanted:
            return False
        self._shown = wanted
        self.border_title = title
        self.set_class(wrap, "-full")
        # The panel's size comes from the pane's layout, never from its lines: a layout pass
        # would repaint the neighbouring panes' scrollbars too.
        self.update(Text("\n", end="").join(lines), layout=False)
        return True

    def forget(self) -> None:
        """Forget what was shown, so the next `show` repaints (after a theme change)."""
        self._shown = None
