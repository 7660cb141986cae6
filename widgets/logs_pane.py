"""Logs: what are the logs saying? The configured log sources (tailing arrives later)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from cockpit.present.config_rows import NO_LOGS, log_row
from cockpit.present.panes import LOGS
from cockpit.present.sources import log_sources
from cockpit.present.tone import Palette, Tone, styled
from widgets.list_pane import ListPane


class LogsPane(ListPane):
    """One line per configured log spec (Loki query, file, command), or the empty state."""

    INFO = LOGS
    EMPTY = NO_LOGS

    def source_names(self) -> tuple[str, ...]:
        return log_sources(self.config)

    def status_when_no_sources(self) -> str:
        has_local = any(service.logs for service in self.config.services)
        return "local files and commands only" if has_local else "no sources configured"

    def headline(self, now: datetime, palette: Palette) -> Text | None:
        if not any(service.logs for service in self.config.services):
            return None
        return styled("listed, not tailed yet", Tone.MUTED, palette)

    def lines(self, now: datetime, palette: Palette) -> list[Text]:
        return [
            log_row(service, spec, palette)
            for service in self.config.services
            for spec in service.logs
        ]
