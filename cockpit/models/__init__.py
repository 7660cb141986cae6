"""Frozen domain models. Sources return these, never raw JSON or httpx responses."""

from cockpit.models.freshness import Freshness, RateLimit, SourceFailure, SourceStatus
from cockpit.models.pipeline import Job, PipelineRun, RunStatus, Step, Triage
from cockpit.models.snapshot import Snapshot

__all__ = [
    "Freshness",
    "Job",
    "PipelineRun",
    "RateLimit",
    "RunStatus",
    "Snapshot",
    "SourceFailure",
    "SourceStatus",
    "Step",
    "Triage",
]
