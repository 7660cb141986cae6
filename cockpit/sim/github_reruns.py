"""Re-run attempts for the GitHub sim: the one part of its world that operators change.

The scenario scripts every run upfront; re-running failed jobs adds attempts on top of it, kept
here (GitHub's attempts live inside the run: same run id, `run_attempt` n+1). A re-run of a
completed, failed run creates attempt n+1 at the moment it is requested: its job is a new job (a
new id, as on GitHub) that queues for `RERUN_QUEUE_S` and then runs the same steps for the same
durations. A flaky or infrastructure failure (its failing step's log shows a timeout, a reset
connection or a killed runner) passes on the new attempt; a code failure fails again in the same
step, as a real bug would. GitHub refuses (403) to re-run a run that is not completed or did not
fail, and after 50 attempts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

from cockpit.sim.scenario import CiRunPlan, CiRunState, StepPlan, run_state

MAX_ATTEMPTS = 50
RERUN_QUEUE_S = 10.0
# What a flaky or infrastructure failure logs (timeouts, resets, a runner killed for memory).
_FLAKY_MARKERS = ("timeout", "timed out", "connection reset", "exit code 137", "killed")
ALREADY_RUNNING = "This workflow is already running"
NOT_RETRYABLE = "This workflow run cannot be retried"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One re-run attempt (number 2 and up), scripted when it is requested."""

    number: int
    job_id: int
    plan: CiRunPlan


@dataclass(frozen=True, slots=True)
class RunView:
    """A run as GitHub shows it at one moment: its latest attempt's state.

    Attributes:
        state: The latest attempt's state (its plan created when the attempt was requested).
        attempt: The attempt number, 1 for the scripted run.
        job_id: The attempt's job id (the scripted job id for attempt 1).
        created_at: The run's original creation.
    """

    state: CiRunState
    attempt: int
    job_id: int
    created_at: datetime


def is_flaky(plan: CiRunPlan) -> bool:
    """The failing step's log looks like an infrastructure hiccup, not a bug."""
    failing = next((s for s in plan.steps if s.fails), None)
    text = " ".join(failing.log).lower() if failing else ""
    return any(marker in text for marker in _FLAKY_MARKERS)


def attempt_job_id(run_id: int, number: int) -> int:
    """A re-run job's id: disjoint from the scenario's `run_id * 10 + 1` job ids."""
    return run_id * 1000 + number


class Reruns:
    """The re-run attempts requested so far, by run id (thread-safe: the sim serves threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: dict[int, list[Attempt]] = {}
        self._by_job: dict[int, tuple[CiRunState, Attempt]] = {}

    def request(self, base: CiRunState, at: datetime) -> str | None:
        """Re-run the failed jobs of the run whose scripted state at `at` is `base`.

        Returns:
            None when attempt n+1 was created, else GitHub's refusal message (a 403).
        """
        with self._lock:
            view = self._view(base, at)
            state = view.state
            if state.status != "completed":
                return ALREADY_RUNNING
            if state.conclusion != "failure" or view.attempt >= MAX_ATTEMPTS:
                return NOT_RETRYABLE
            number = view.attempt + 1
            plan = base.plan
            steps = tuple(_passing(s) for s in plan.steps) if is_flaky(plan) else plan.steps
            attempt_plan = replace(plan, created_at=at, queue_s=RERUN_QUEUE_S, steps=steps)
            attempt = Attempt(number, attempt_job_id(plan.run_id, number), attempt_plan)
            self._attempts.setdefault(plan.run_id, []).append(attempt)
            self._by_job[attempt.job_id] = (base, attempt)
            return None

    def view(self, base: CiRunState, at: datetime) -> RunView:
        """The run as shown at `at`: its latest attempt requested by then."""
        with self._lock:
            return self._view(base, at)

    def views(self, base: CiRunState, at: datetime) -> list[RunView]:
        """Every attempt of the run requested by `at`, first attempt first."""
        with self._lock:
            attempts = [
                a for a in self._attempts.get(base.plan.run_id, []) if a.plan.created_at <= at
            ]
        first = RunView(base, 1, base.plan.job_id, base.plan.created_at)
        return [first, *(self._as_view(base, a, at) for a in attempts)]

    def job(self, job_id: int, at: datetime) -> RunView | None:
        """The attempt a re-run job belongs to, if that job exists at `at`."""
        with self._lock:
            found = self._by_job.get(job_id)
        if found is None or found[1].plan.created_at > at:
            return None
        return self._as_view(found[0], found[1], at)

    def job_log(self, job_id: int, at: datetime) -> str | None:
        """A re-run job's log so far, in the scenario's format; None for an unknown job."""
        view = self.job(job_id, at)
        return None if view is None else step_log(view.state)

    def _view(self, base: CiRunState, at: datetime) -> RunView:
        attempts = [a for a in self._attempts.get(base.plan.run_id, []) if a.plan.created_at <= at]
        if not attempts:
            return RunView(base, 1, base.plan.job_id, base.plan.created_at)
        return self._as_view(base, attempts[-1], at)

    @staticmethod
    def _as_view(base: CiRunState, attempt: Attempt, at: datetime) -> RunView:
        state = run_state(attempt.plan, at)
        return RunView(state, attempt.number, attempt.job_id, base.plan.created_at)


def _passing(step: StepPlan) -> StepPlan:
    if not step.fails:
        return step
    first = step.log[:1] or (f"Run {step.name}",)
    return replace(step, fails=False, log=(*first, f"{step.name}: passed on re-run"))


def step_log(state: CiRunState) -> str:
    """A job's log so far, GitHub-style timestamped lines grouped per step."""
    lines: list[str] = []
    for plan, step in zip(state.plan.steps, state.steps, strict=True):
        if step.started_at is None:
            break
        stamp = step.started_at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        lines.append(f"{stamp} ##[group]Run {plan.name}")
        shown = plan.log if step.status == "completed" else plan.log[:1]
        lines.extend(f"{stamp} {line}" for line in shown)
        lines.append(f"{stamp} ##[endgroup]")
    return "\n".join(lines) + ("\n" if lines else "")
