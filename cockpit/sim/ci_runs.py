"""Scripted CI runs: the plan of a run (known upfront) and its state at any moment.

A `CiRunPlan` is one run's whole life; `run_state(plan, at)` is what it looks like at `at`, in
GitHub's vocabulary (queued / in_progress / completed), which the other simulators translate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cockpit.sim.ci_logs import FailureKind


@dataclass(frozen=True, slots=True)
class StepPlan:
    """One scripted step: how long it takes and whether it fails (with its log lines)."""

    name: str
    duration_s: float
    fails: bool = False
    log: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CiRunPlan:
    """One scripted CI run (a workflow run / pipeline / build): the whole life, known upfront.

    A re-run is a plan too: `attempt` counts attempts of the same commit, `retry_of` is the run
    it re-runs. An `in_place` re-run is an attempt inside the original run (a GitLab job or
    pipeline retry) covering the original's steps from `first_step` on; any other re-run is a
    new run (a Jenkins rebuild, a new workflow run).
    """

    run_id: int
    run_number: int
    job_id: int
    service: str
    workflow: str
    workflow_file: str
    branch: str
    event: str
    commit: str
    message: str
    author: str
    created_at: datetime
    queue_s: float
    steps: tuple[StepPlan, ...]
    job_name: str = "build"
    release: bool = False
    failure_kind: FailureKind = "code"
    attempt: int = 1
    retry_of: int | None = None
    first_step: int = 0
    in_place: bool = False

    @property
    def passes_on_rerun(self) -> bool:
        """Whether a re-run of the same commit passes: flaky and infra failures do."""
        return self.failure_kind != "code"

    @property
    def started_at(self) -> datetime:
        return self.created_at + timedelta(seconds=self.queue_s)

    @property
    def completed_at(self) -> datetime:
        """When the last step that runs ends (the failing step ends the run)."""
        total = 0.0
        for step in self.steps:
            total += step.duration_s
            if step.fails:
                break
        return self.started_at + timedelta(seconds=total)

    @property
    def conclusion(self) -> str:
        return "failure" if any(s.fails for s in self.steps) else "success"


@dataclass(frozen=True, slots=True)
class StepState:
    """A step at one moment. `status`: queued | in_progress | completed."""

    number: int
    name: str
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CiRunState:
    """A run at one moment, in GitHub's vocabulary (other sims translate).

    Attributes:
        status: queued | in_progress | completed.
        conclusion: success | failure | None while not completed.
        updated_at: The last state change at or before the moment (not the moment itself, so
            an unchanged run gives an identical body and ETag).
    """

    plan: CiRunPlan
    status: str
    conclusion: str | None
    updated_at: datetime
    completed_at: datetime | None
    steps: tuple[StepState, ...]

    @property
    def running_step(self) -> str:
        return next((s.name for s in self.steps if s.status == "in_progress"), "")


def run_state(plan: CiRunPlan, at: datetime) -> CiRunState:
    """The state of `plan` at the moment `at` (which must not precede its creation)."""
    if at < plan.started_at:
        steps = tuple(
            StepState(i, s.name, "queued", None, None, None) for i, s in enumerate(plan.steps, 1)
        )
        return CiRunState(plan, "queued", None, plan.created_at, None, steps)
    cursor = plan.started_at
    last_change = plan.started_at
    failed = False
    states: list[StepState] = []
    for number, step in enumerate(plan.steps, 1):
        if failed:
            # After a failure GitHub marks the remaining steps skipped, at the failure time.
            states.append(StepState(number, step.name, "completed", "skipped", None, None))
            continue
        end = cursor + timedelta(seconds=step.duration_s)
        if at < cursor:
            states.append(StepState(number, step.name, "queued", None, None, None))
        elif at < end:
            states.append(StepState(number, step.name, "in_progress", None, cursor, None))
            last_change = cursor
        else:
            conclusion = "failure" if step.fails else "success"
            states.append(StepState(number, step.name, "completed", conclusion, cursor, end))
            last_change = end
            failed = step.fails
        cursor = end
    if at >= plan.completed_at:
        return CiRunState(
            plan, "completed", plan.conclusion, plan.completed_at, plan.completed_at, tuple(states)
        )
    return CiRunState(plan, "in_progress", None, last_change, None, tuple(states))
