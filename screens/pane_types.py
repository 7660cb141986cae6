"""The four pane classes, in focus order. Imported once the session exists, never at start-up:
the panes' code (tables, presenters, models) is the heavy part of the dashboard."""

from __future__ import annotations

from widgets.logs_pane import LogsPane
from widgets.pane import Pane
from widgets.pipelines_pane import PipelinesPane
from widgets.readiness_pane import ReadinessPane
from widgets.rollout_pane import RolloutPane

PANE_TYPES: tuple[type[Pane], ...] = (PipelinesPane, ReadinessPane, RolloutPane, LogsPane)
"""In the order of `cockpit.present.panes.PANES`."""
