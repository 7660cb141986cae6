"""Readiness: are we ready to ship? The configured gates in order, and the verdict."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from cockpit.present.readiness import unevaluated_gate_row, verdict_text
from cockpit.present.sources import readiness_sources
from cockpit.present.tone import Palette
from widgets.list_pane import ListPane


class ReadinessPane(ListPane):
    """The go/no-go checklist. Until gates are evaluated, every gate is `? unknown`."""

    PANE_ID = "readiness"
    TITLE = "Readiness"
    ZOOM_KEY = "2"
    DESCRIPTION = (
        "Are we ready to ship? The configured gates in config order and the verdict. "
        "A gate not evaluated yet is '? unknown', never a pass."
    )
    EMPTY = "no gates configured"

    def source_names(self) -> tuple[str, ...]:
        return readiness_sources(self.config)

    def headline(self, now: datetime, palette: Palette) -> Text | None:
        return verdict_text(len(self.config.gates), palette)

    def lines(self, now: datetime, palette: Palette) -> list[Text]:
        return [unevaluated_gate_row(gate, palette) for gate in self.config.gates]
