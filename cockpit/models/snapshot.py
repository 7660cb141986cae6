"""What the engine publishes: every source's status and the data polled so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cockpit.models.freshness import SourceStatus
from cockpit.models.pipeline import PipelineRun
from cockpit.models.readiness import GateResult, Verdict
from cockpit.models.release_data import Alert, ArtifactStatus, QueryResult
from cockpit.models.review import ApprovalLookup


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable view of everything the cockpit knows at `taken_at`."""

    taken_at: datetime
    sources: tuple[SourceStatus, ...] = ()
    pipelines: tuple[PipelineRun, ...] = ()
    artifacts: tuple[ArtifactStatus, ...] = ()
    queries: tuple[QueryResult, ...] = ()
    alerts: tuple[Alert, ...] = ()
    approvals: tuple[ApprovalLookup, ...] = ()
    gates: tuple[GateResult, ...] = ()
    verdict: Verdict = Verdict.UNKNOWN

    def source(self, name: str) -> SourceStatus | None:
        return next((s for s in self.sources if s.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The machine-output document of CONFIG.md (keys added later by other parts)."""
        return {
            "sources": [s.to_json() for s in self.sources],
            "pipelines": [p.to_json() for p in self.pipelines],
            "gates": [g.to_json() for g in self.gates],
            "verdict": self.verdict.value,
            "rollouts": [],
            "alerts": [a.to_json() for a in self.alerts],
        }
