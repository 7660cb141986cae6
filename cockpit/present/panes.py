"""The four dashboard panes by name: id, title, zoom key and the question each answers.

Plain data, so the first frame (header and four titled panes) can be drawn before any pane's
code, config or data is loaded.
"""

from __future__ import annotations

from typing import NamedTuple


class PaneInfo(NamedTuple):
    """What identifies a pane on screen and in the help."""

    pane_id: str
    title: str
    zoom_key: str
    description: str

    @property
    def label(self) -> str:
        """The border title: `1 Pipelines`."""
        return f"{self.zoom_key} {self.title}"


PIPELINES = PaneInfo(
    "pipelines",
    "Pipelines",
    "1",
    "Is the pipeline healthy? The newest CI run of each configured service, failing first, "
    "with its commit, age, duration against the median of the last 20 runs, a sparkline "
    "of recent durations, the pass rate, the step running now, and a failed run's triage "
    "and suggested action. Enter opens the run: jobs, steps, the failing step's log. "
    "'/' filters by service, pipeline name or branch.",
)
READINESS = PaneInfo(
    "readiness",
    "Readiness",
    "2",
    "Are we ready to ship? The verdict (GO / NO-GO / UNKNOWN), then every gate in config "
    "order with why it is not a pass, and the evidence of the selected gate with its age. "
    "Unknown is never a pass; a waived gate shows who waived it and why. Keys: space ticks "
    "a manual gate, w waives a failing gate, x runs a command gate (after a confirmation), "
    "e shows full evidence values.",
)
ROLLOUT = PaneInfo(
    "rollout",
    "Rollout",
    "3",
    "How far has the rollout gone? Each service's configured rollout target and the "
    "freshness of the source that reports it.",
)
LOGS = PaneInfo(
    "logs",
    "Logs",
    "4",
    "What are the logs saying? The configured log sources: Loki queries, files and "
    "commands. They are listed, not tailed yet.",
)

PANES: tuple[PaneInfo, ...] = (PIPELINES, READINESS, ROLLOUT, LOGS)
"""In focus (tab) order, which is also reading order in the 2x2 grid."""
