"""A pane of the first frame: its title and what is happening, until the session is built.

The dashboard swaps these for the real panes once the config, engine and adapters exist; if
building them failed, the panes say so instead, and the Pipelines pane shows why.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from widgets.pane_frame import PaneFrame

STARTING = "starting…"
NOT_STARTED = "✖ not started"


class StartingPane(PaneFrame):
    """A titled pane that says `starting…` (or, after a failed start, `✖ not started`)."""

    DEFAULT_CSS = """
    StartingPane > .status {
        height: auto;
        width: 1fr;
        padding: 0 1;
        color: $text-muted;
    }
    StartingPane > .status.-failing { color: $text-error; text-style: bold; }
    StartingPane > .detail { height: auto; width: 1fr; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(STARTING, classes="status", markup=False)

    @property
    def status(self) -> str:
        """The status line as shown."""
        return str(self.query_one(".status", Static).render())

    def show_failure(self, detail: str | None = None) -> None:
        """Say the pane will not fill; `detail` (the why and what next) goes under the line."""
        status = self.query_one(".status", Static)
        status.update(NOT_STARTED)
        status.add_class("-failing")
        if detail:
            self.mount(Static(detail, classes="detail", markup=False))
