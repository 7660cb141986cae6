"""CI runs, jobs and steps, normalised across GitHub Actions, GitLab CI and Jenkins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cockpit.models.freshness import iso


class RunStatus(StrEnum):
    """Normalised run status; `unknown` is what we say when the remote's value is not understood."""

    SUCCESS = "success"
    FAILURE = "failure"
    RUNNING = "running"
    QUEUED = "queued"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Triage:
    """Why a job failed: class, the evidence lines that matched, and a suggested action."""

    failure_class: str
    evidence: tuple[str, ...] = ()
    action: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"class": self.failure_class, "evidence": list(self.evidence)}


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a job."""

    name: str
    status: RunStatus
    number: int = 0
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """One job of a run."""

    job_id: str
    name: str
    status: RunStatus
    started_at: datetime | None = None
    completed_at: datetime | None = None
    url: str = ""
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class PipelineRun:
    """The newest run of one service's pipeline, with a little history for context.

    Attributes:
        service: The configured service name.
        provider: github | gitlab | jenkins.
        run_id: The remote's id, as text.
        name: Workflow / pipeline / job name (remote text: sanitise before display).
        status: Normalised status.
        commit: The full head SHA (display shortens it).
        branch: The head branch.
        url: The run's web URL.
        started_at: When it started (or was created, if not started).
        duration_s: Seconds from start to completion, or elapsed so far when running.
        running_step: The step in progress, for running runs.
        recent_durations_s: Durations of recent completed runs, oldest first.
        recent_outcomes: Outcomes of recent completed runs, oldest first.
        triage: Why it failed, when it failed.
        source: The configured source name that produced it.
    """

    service: str
    provider: str
    run_id: str
    name: str
    status: RunStatus
    commit: str = ""
    branch: str = ""
    url: str = ""
    started_at: datetime | None = None
    duration_s: float | None = None
    running_step: str = ""
    recent_durations_s: tuple[float, ...] = ()
    recent_outcomes: tuple[RunStatus, ...] = ()
    triage: Triage | None = None
    source: str = ""
    jobs: tuple[Job, ...] = field(default=(), compare=False)

    @property
    def short_sha(self) -> str:
        return self.commit[:7]

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "provider": self.provider,
            "run_id": self.run_id,
            "name": self.name,
            "status": self.status.value,
            "commit": self.short_sha,
            "branch": self.branch,
            "url": self.url,
            "started_at": iso(self.started_at),
            "duration_s": None if self.duration_s is None else round(self.duration_s),
            "triage": None if self.triage is None else self.triage.to_json(),
        }
