"""The box every dashboard pane is drawn in: a rounded border titled `1 Pipelines`.

Shared by the real panes (`widgets.pane.Pane`) and the ones the first frame shows while the
session starts (`widgets.starting_pane.StartingPane`), so both look the same. Light on purpose:
it is part of the first frame.
"""

from __future__ import annotations

from textual.containers import Vertical

from cockpit.present.panes import PaneInfo


class PaneFrame(Vertical):
    """A titled pane box; its id is the pane's (`pipelines`, `readiness`, ...)."""

    DEFAULT_CSS = """
    PaneFrame {
        border: round $panel-lighten-2;
        border-title-color: $foreground;
        border-title-style: bold;
        height: 1fr;
        width: 1fr;
    }
    PaneFrame:focus-within {
        border: round $accent;
        border-title-color: $accent;
    }
    """

    ALLOW_MAXIMIZE = True

    def __init__(self, info: PaneInfo) -> None:
        super().__init__(id=info.pane_id)
        self.info = info
        self.border_title = info.label
