"""What of a snapshot the panes actually show, so an unchanged poll repaints nothing.

Every poll yields a new `Snapshot`: ages, fetch times, request counters and next-poll times move
even when every answer was a 304. None of those is drawn from the snapshot at poll time: ages
are re-rendered by the coarse age tick from the latest snapshot. `display_key` keeps what a
pane draws and drops what only ticks, so the App re-renders panes only when it changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the App imports this before the first frame; models load after it
    from cockpit.models import Snapshot


def display_key(snapshot: Snapshot | None) -> Any:
    """A value equal for two snapshots exactly when the panes would draw the same things."""
    if snapshot is None:
        return None
    sources = tuple(
        (
            s.name,
            s.kind,
            s.state,
            None if s.error is None else (s.error.kind, s.error.message, s.error.hint),
            None if s.rate_limit is None else (s.rate_limit.remaining, s.rate_limit.limit),
        )
        for s in snapshot.sources
    )
    gates = tuple(
        (g.kind, g.title, g.verdict, g.reason, g.evidence, g.source, g.link, g.waiver)
        for g in snapshot.gates
    )
    queries = tuple((q.query, q.value, q.problem, q.source) for q in snapshot.queries)
    return (
        sources,
        snapshot.pipelines,
        snapshot.artifacts,
        queries,
        snapshot.alerts,
        snapshot.approvals,
        gates,
        snapshot.verdict,
    )
