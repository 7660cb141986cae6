"""What every adapter provides to the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cockpit.engine.http import SourceHttp
from cockpit.models import PipelineRun
from cockpit.models.release_data import Alert, ArtifactStatus, QueryResult
from cockpit.models.review import ApprovalLookup


@dataclass(frozen=True, slots=True)
class SourceData:
    """What one poll of one source produced. Later kinds add their own fields."""

    pipelines: tuple[PipelineRun, ...] = ()
    artifacts: tuple[ArtifactStatus, ...] = ()
    queries: tuple[QueryResult, ...] = ()
    alerts: tuple[Alert, ...] = ()
    approvals: tuple[ApprovalLookup, ...] = ()


class Adapter(Protocol):
    """A poller for one configured source.

    Attributes:
        name: The configured source name.
        kind: The configured kind.
        interval_s: How long to wait after a poll completes before the next.
        http: The source's HTTP face (auth headers, cache, rate limit).
    """

    name: str
    kind: str
    interval_s: float
    http: SourceHttp

    async def poll(self) -> SourceData:
        """Fetch everything this source contributes; raise `SourceError` on failure."""
        ...
