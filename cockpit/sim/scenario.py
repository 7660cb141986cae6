"""The scripted release that drives every simulator: pure functions of scenario time.

A `Scenario` fixes a start time T and a seed, and answers "what does the world look like at
moment t?" for the simulators. Nothing is stored or mutated as time passes: the same seed and the
same moment always give the same data, so tests drive it with a `FakeClock` and the demo with a
`ScaledClock(speed=N)`.

The CI story (all times relative to T):
- checkout: 20 green-ish runs of history; the release run is queued at T+0, starts at T+20s,
  walks through checkout, setup, build, test and publish, and succeeds at T+4m.
- payments: the release run starts at T+15s and fails in `test` at T+2m36s (an assertion:
  a code failure for triage).
- billing: the release run succeeded before T; a new push at T+90s starts a run that succeeds at
  about T+5m.
- search: a flaky history (timeouts against Elasticsearch); the release run succeeds at T+3m40s.
Every service also has two pull-request runs on a feature branch, so branch filters matter.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from cockpit.clock import Clock

STEP_NAMES = ("checkout", "setup", "build", "test", "publish")
_STEP_WEIGHTS = (0.04, 0.11, 0.32, 0.43, 0.10)
HISTORY_RUNS = 20


@dataclass(frozen=True, slots=True)
class StepPlan:
    """One scripted step: how long it takes and whether it fails (with its log lines)."""

    name: str
    duration_s: float
    fails: bool = False
    log: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CiRunPlan:
    """One scripted CI run (a workflow run / pipeline / build): the whole life, known upfront."""

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


def _sha(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


_MESSAGES = (
    "Bump httpx to 0.28",
    "Fix flaky retry in client",
    "Add metrics for queue depth",
    "Refactor config loading",
    "Tighten input validation",
    "Update dependencies",
    "Improve error messages",
    "Cache lookups per request",
)
_AUTHORS = ("ada", "grace", "linus", "margaret", "ken")
_SERVICES = ("checkout", "payments", "billing", "search")
_BASE_DURATION_S = {"checkout": 230.0, "payments": 190.0, "billing": 200.0, "search": 260.0}
_RUN_ID_BASE = 7_100_000_000


def _log(step: str, fails: bool, flaky: bool) -> tuple[str, ...]:
    lines = {
        "checkout": ("Syncing repository", "Checked out at HEAD"),
        "setup": ("Setting up Python 3.11", "Restored dependency cache"),
        "build": ("Building wheel", "Successfully built package"),
        "test": ("Running pytest", "412 passed in 88.1s"),
        "publish": ("Pushing image", "Published image digest"),
    }[step]
    if not fails:
        return lines
    if flaky:
        return (
            "Running pytest",
            "tests/test_query.py::test_search_latency FAILED",
            "elasticsearch.exceptions.ConnectionTimeout: Connection timed out after 30s",
            "##[error]Process completed with exit code 1.",
        )
    return (
        "Running pytest",
        "FAILED tests/test_refunds.py::test_partial_refund_rounding - AssertionError: "
        "assert Decimal('10.01') == Decimal('10.00')",
        "1 failed, 388 passed in 61.0s",
        "##[error]Process completed with exit code 1.",
    )


class Scenario:
    """The scripted release, as pure functions of scenario time.

    Args:
        clock: Any `Clock`; `now()` is "the moment" when a query omits `at`.
        start: T, the moment the release window opens (default: the clock's now).
        seed: Makes history deterministic; the same seed and moment give the same data.
        owner: The organisation that owns the services' repositories.
    """

    release_name = "2.14.0"
    release_ref = "v2.14.0"

    def __init__(
        self, clock: Clock, *, start: datetime | None = None, seed: int = 7, owner: str = "acme"
    ) -> None:
        self.clock = clock
        self.start = start or clock.now()
        self.seed = seed
        self.owner = owner

    # Timeline ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def at(self, seconds: float) -> datetime:
        """T + `seconds` (negative for history)."""
        return self.start + timedelta(seconds=seconds)

    def elapsed(self, at: datetime | None = None) -> float:
        """Seconds since T at `at` (default: now)."""
        return ((at or self.now()) - self.start).total_seconds()

    @property
    def services(self) -> tuple[str, ...]:
        return _SERVICES

    def repo(self, service: str) -> str:
        return f"{self.owner}/{service}"

    def release_commit(self, service: str) -> str:
        """The full SHA of the commit being released for `service`."""
        return _sha(self.seed, service, "release")

    # CI ----------------------------------------------------------------------------------

    def ci_plans(self, service: str) -> tuple[CiRunPlan, ...]:
        """Every scripted run of `service`, including future ones, oldest first."""
        return self._plans.get(service, ())

    def ci_runs(self, service: str, at: datetime | None = None) -> tuple[CiRunState, ...]:
        """The runs of `service` that exist at `at` (default: now), newest first."""
        moment = at or self.now()
        plans = [p for p in self.ci_plans(service) if p.created_at <= moment]
        plans.sort(key=lambda p: (p.created_at, p.run_id), reverse=True)
        return tuple(run_state(p, moment) for p in plans)

    def ci_run(self, run_id: int, at: datetime | None = None) -> CiRunState | None:
        """One run by id, if it exists at `at`."""
        moment = at or self.now()
        plan = self._by_run_id.get(run_id)
        if plan is None or plan.created_at > moment:
            return None
        return run_state(plan, moment)

    def ci_run_for_job(self, job_id: int, at: datetime | None = None) -> CiRunState | None:
        plan = self._by_job_id.get(job_id)
        return None if plan is None else self.ci_run(plan.run_id, at)

    def job_log(self, job_id: int, at: datetime | None = None) -> str | None:
        """The job's log so far (GitHub-style timestamped lines), or None for an unknown job."""
        state = self.ci_run_for_job(job_id, at)
        if state is None:
            return None
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

    # Building the script -----------------------------------------------------------------

    @cached_property
    def _plans(self) -> dict[str, tuple[CiRunPlan, ...]]:
        return {service: self._build(index, service) for index, service in enumerate(_SERVICES)}

    @cached_property
    def _by_run_id(self) -> dict[int, CiRunPlan]:
        return {p.run_id: p for plans in self._plans.values() for p in plans}

    @cached_property
    def _by_job_id(self) -> dict[int, CiRunPlan]:
        return {p.job_id: p for plans in self._plans.values() for p in plans}

    def _steps(
        self, total_s: float, fail_at: str | None = None, flaky: bool = False
    ) -> tuple[StepPlan, ...]:
        steps = []
        for name, weight in zip(STEP_NAMES, _STEP_WEIGHTS, strict=True):
            fails = name == fail_at
            duration = float(max(1, round(total_s * weight * (0.6 if fails else 1.0))))
            steps.append(StepPlan(name, duration, fails, _log(name, fails, flaky)))
        return tuple(steps)

    def _build(self, index: int, service: str) -> tuple[CiRunPlan, ...]:
        rng = random.Random(f"{self.seed}:{service}")
        base = _BASE_DURATION_S[service]
        # (offset from T in seconds, branch, event, steps, release, queue seconds)
        specs: list[tuple[float, str, str, tuple[StepPlan, ...], bool, float]] = []
        for k in range(HISTORY_RUNS):
            offset = -(HISTORY_RUNS - k) * 2400.0 - rng.uniform(0, 900)
            total = base * rng.uniform(0.85, 1.2)
            failure_odds = 0.35 if service == "search" else 0.08
            fail_at = "test" if rng.random() < failure_odds else None
            steps = self._steps(total, fail_at, flaky=service == "search")
            specs.append((offset, "main", "push", steps, False, rng.uniform(3, 25)))
        for k in range(2):
            offset = -(7 - 3 * k) * 2400.0 + 600.0
            steps = self._steps(base * rng.uniform(0.9, 1.1))
            specs.append((offset, "feature/next", "pull_request", steps, False, 8.0))
        specs.extend(self._release_specs(service, base))
        specs.sort(key=lambda s: s[0])
        plans = []
        for number, (offset, branch, event, steps, release, queue_s) in enumerate(specs, 1):
            run_id = _RUN_ID_BASE + index * 100_000 + number * 7
            commit = self.release_commit(service) if release else _sha(self.seed, service, number)
            message = (
                f"Release {service} {self.release_name}"
                if release
                else _MESSAGES[int(commit[:4], 16) % len(_MESSAGES)]
            )
            plans.append(
                CiRunPlan(
                    run_id=run_id,
                    run_number=number,
                    job_id=run_id * 10 + 1,
                    service=service,
                    workflow="ci",
                    workflow_file="ci.yml",
                    branch=branch,
                    event=event,
                    commit=commit,
                    message=message,
                    author=_AUTHORS[int(commit[4:8], 16) % len(_AUTHORS)],
                    created_at=self.at(round(offset)),
                    queue_s=round(queue_s),
                    steps=steps,
                    release=release,
                )
            )
        return tuple(plans)

    def _release_specs(
        self, service: str, base: float
    ) -> list[tuple[float, str, str, tuple[StepPlan, ...], bool, float]]:
        def fixed(*durations: float, fail_at: str | None = None) -> tuple[StepPlan, ...]:
            return tuple(
                StepPlan(name, d, name == fail_at, _log(name, name == fail_at, False))
                for name, d in zip(STEP_NAMES, durations, strict=True)
            )

        if service == "checkout":
            return [(0, "main", "push", fixed(8, 25, 70, 95, 22), True, 20)]
        if service == "payments":
            return [(0, "main", "push", fixed(6, 20, 55, 60, 20, fail_at="test"), True, 15)]
        if service == "billing":
            return [
                (-360, "main", "push", fixed(6, 22, 80, 100, 18), True, 20),
                (90, "main", "push", fixed(7, 24, 75, 90, 14), False, 15),
            ]
        return [(10, "main", "push", fixed(9, 30, 60, 88, 13), True, 10)]


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
