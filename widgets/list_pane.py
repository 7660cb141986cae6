"""A pane whose content is a list of lines (Readiness, Rollout, Logs), filtered by `/`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from cockpit.config.models import Config
from cockpit.present.tone import Palette, Tone, styled
from widgets.pane import Pane


class ListPane(Pane):
    """A pane of text lines under an optional headline, scrollable and focusable."""

    DEFAULT_CSS = """
    ListPane > VerticalScroll { height: 1fr; scrollbar-size-vertical: 1; }
    ListPane > VerticalScroll > Static { width: 1fr; padding: 0 1; }
    ListPane > VerticalScroll > #headline { text-style: bold; }
    """

    EMPTY: ClassVar[str] = "nothing configured"
    """What the pane says when there is nothing to list."""

    def __init__(self, config: Config, *, read_only: bool = False) -> None:
        super().__init__(config, read_only=read_only)
        self._shown: tuple[Text | None, Text] | None = None

    def headline(self, now: datetime, palette: Palette) -> Text | None:
        """A line above the list that the filter never hides (None: no headline)."""
        return None

    def lines(self, now: datetime, palette: Palette) -> list[Text]:
        """Every line of the list, before filtering."""
        raise NotImplementedError

    def compose_body(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="headline", markup=False)
            yield Static("", id="lines", markup=False)

    def body(self) -> Widget:
        return self.query_one(VerticalScroll)

    def render_body(self, now: datetime, palette: Palette) -> None:
        headline = self.headline(now, palette)
        lines = self.lines(now, palette)
        shown = [line for line in lines if self.filtered(line)]
        if not lines:
            content = styled(self.EMPTY, Tone.MUTED, palette)
        elif not shown:
            content = styled(f"nothing matches “{self.filter_text.strip()}”", Tone.MUTED, palette)
        else:
            content = Text("\n", end="").join(shown)
        if self._shown == (headline, content):
            return
        self._shown = (headline, content)
        head = self.query_one("#headline", Static)
        head.display = headline is not None
        head.update(headline or "")
        self.query_one("#lines", Static).update(content)

    def forget_rendered(self) -> None:
        super().forget_rendered()
        self._shown = None
