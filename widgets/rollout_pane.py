"""Rollout: how far has the rollout gone? The configured rollouts and their sources' freshness."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from cockpit.present.config_rows import NO_ROLLOUT, rollout_row
from cockpit.present.panes import ROLLOUT
from cockpit.present.sources import rollout_sources, statuses_for
from cockpit.present.tone import Palette
from widgets.list_pane import ListPane


class RolloutPane(ListPane):
    """One line per service with a `rollout`, or the empty state."""

    INFO = ROLLOUT
    EMPTY = NO_ROLLOUT

    def source_names(self) -> tuple[str, ...]:
        return rollout_sources(self.config)

    def lines(self, now: datetime, palette: Palette) -> list[Text]:
        lines: list[Text] = []
        for service in self.config.services:
            if service.rollout is None:
                continue
            (status,) = statuses_for([service.rollout.source], self.snapshot, self.config)
            width = self.body().scrollable_content_region.width - 2  # minus the row's padding
            lines.append(rollout_row(service, status, now, palette, width=max(0, width)))
        return lines
