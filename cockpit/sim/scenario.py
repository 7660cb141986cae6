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
- ledger (GitLab CI, project acme/ledger): a test marked known-flaky fails now and then; one
  commit in its history failed and then passed when a pipeline was re-run for the same SHA. The
  release pipeline fails in `test` at T+2m52s on that flaky test; retrying the job passes.
- reports (Jenkins, job acme/reports/main): the release build is killed in `test` at T+3m17s
  (exit code 137: the agent ran out of memory, an infra failure); a rebuild of the same commit
  passes.
Every service also has two pull-request runs on a feature branch, so branch filters matter.

Re-runs are the one thing that changes the world: `rerun()` (what the simulators' retry and
rebuild endpoints call) adds an attempt that starts at that moment. A flaky or infra failure
passes on re-run; a code failure fails again. Everything else stays a pure function of time.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import NamedTuple
from urllib.parse import quote

from cockpit.clock import Clock
from cockpit.sim.ci_logs import FailureKind, step_log
from cockpit.sim.ci_runs import CiRunPlan, CiRunState, StepPlan, StepState, run_state

__all__ = [
    "HISTORY_RUNS",
    "STEP_NAMES",
    "CiRunPlan",
    "CiRunState",
    "Scenario",
    "StepPlan",
    "StepState",
    "run_state",
]

STEP_NAMES = ("checkout", "setup", "build", "test", "publish")
_STEP_WEIGHTS = (0.04, 0.11, 0.32, 0.43, 0.10)
HISTORY_RUNS = 20


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
_GITLAB_SERVICES = ("ledger",)
_JENKINS_SERVICES = ("reports",)
_ALL_SERVICES = _SERVICES + _GITLAB_SERVICES + _JENKINS_SERVICES
_BASE_DURATION_S = {
    "checkout": 230.0,
    "payments": 190.0,
    "billing": 200.0,
    "search": 260.0,
    "ledger": 210.0,
    "reports": 250.0,
}
# payments has a healthy history: its release commit is what breaks a test (a code failure).
_FAILURE_ODDS = {"search": 0.35, "ledger": 0.12, "payments": 0.0}
_FAILURE_KIND: dict[str, FailureKind] = {"search": "flaky", "ledger": "flaky"}
_RUN_ID_BASE = 7_100_000_000
# Re-runs get ids far from every scripted run's (index * 100_000 + number * 7).
_RERUN_ID_BASE = _RUN_ID_BASE + 9_000_000
_RERUN_QUEUE_S = 5.0


class _Spec(NamedTuple):
    """A scripted run before it gets its ids: when, where, what, and why it fails."""

    offset: float
    branch: str
    event: str
    steps: tuple[StepPlan, ...]
    release: bool
    queue_s: float
    kind: FailureKind = "code"
    commit_key: str = ""


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
        self._lock = threading.Lock()
        self._reruns: list[CiRunPlan] = []

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
        """The services whose CI is GitHub Actions (what the GitHub sim serves)."""
        return _SERVICES

    @property
    def gitlab_services(self) -> tuple[str, ...]:
        """The services whose CI is GitLab CI (project `owner/service`)."""
        return _GITLAB_SERVICES

    @property
    def jenkins_services(self) -> tuple[str, ...]:
        """The services built by Jenkins (multibranch job `owner/service/<branch>`)."""
        return _JENKINS_SERVICES

    @property
    def all_services(self) -> tuple[str, ...]:
        return _ALL_SERVICES

    def repo(self, service: str) -> str:
        """The repository (GitHub) or project path (GitLab) of `service`: `owner/service`."""
        return f"{self.owner}/{service}"

    def gitlab_project_id(self, service: str) -> int:
        """The numeric id GitLab gives the project of `service`."""
        return 4200 + _ALL_SERVICES.index(service)

    def jenkins_job(self, service: str, branch: str = "main") -> str:
        """The Jenkins job path of `service`'s `branch`: folders separated by /, and the branch
        job named as multibranch names it (`feature/next` -> `feature%2Fnext`)."""
        return f"{self.owner}/{service}/{quote(branch, safe='')}"

    def release_commit(self, service: str) -> str:
        """The full SHA of the commit being released for `service`."""
        return _sha(self.seed, service, "release")

    # CI ----------------------------------------------------------------------------------

    def ci_plans(self, service: str) -> tuple[CiRunPlan, ...]:
        """Every run of `service` (scripted, future ones too, and re-runs), oldest first.

        In-place re-runs are attempts inside their original run, not runs: see `retries_of`.
        """
        scripted = self._plans.get(service, ())
        with self._lock:
            extra = [p for p in self._reruns if p.service == service and not p.in_place]
        if not extra:
            return scripted
        return tuple(sorted((*scripted, *extra), key=lambda p: (p.created_at, p.run_id)))

    def retries_of(self, run_id: int) -> tuple[CiRunPlan, ...]:
        """The in-place re-runs (attempts) inside run `run_id`, oldest first."""
        with self._lock:
            return tuple(p for p in self._reruns if p.in_place and p.retry_of == run_id)

    def rerun(
        self,
        run_id: int,
        *,
        at: datetime | None = None,
        from_step: int = 0,
        in_place: bool = False,
    ) -> CiRunPlan:
        """Re-run run `run_id` at `at` (default: now) and return the new attempt.

        The attempt runs the original's steps from `from_step` on, after a short queue. A flaky
        or infra failure passes this time; a code failure fails again, with the same log.

        Raises:
            KeyError: no run `run_id` exists at that moment.
        """
        moment = at or self.now()
        if self.ci_run(run_id, moment) is None:
            raise KeyError(run_id)
        with self._lock:
            original = self._plan_by_run_id(run_id)
            if original is None:
                raise KeyError(run_id)
            root = original
            while root.in_place and root.retry_of is not None:
                root = self._plan_by_run_id(root.retry_of) or root
            steps = root.steps[from_step:]
            if root.passes_on_rerun:
                steps = tuple(replace(s, fails=False, log=step_log(s.name, False)) for s in steps)
            earlier = sum(1 for p in self._reruns if p.commit == root.commit)
            new_id = _RERUN_ID_BASE + 7 * (len(self._reruns) + 1)
            numbers = [p.run_number for p in (*self._plans[root.service], *self._reruns)]
            plan = replace(
                root,
                run_id=new_id,
                run_number=root.run_number if in_place else max(numbers) + 1,
                job_id=new_id * 10 + 1,
                created_at=moment,
                queue_s=_RERUN_QUEUE_S,
                steps=steps,
                attempt=root.attempt + earlier + 1,
                retry_of=root.run_id if in_place else original.run_id,
                first_step=from_step if in_place else 0,
                in_place=in_place,
            )
            self._reruns.append(plan)
            return plan

    def ci_runs(self, service: str, at: datetime | None = None) -> tuple[CiRunState, ...]:
        """The runs of `service` that exist at `at` (default: now), newest first."""
        moment = at or self.now()
        plans = [p for p in self.ci_plans(service) if p.created_at <= moment]
        plans.sort(key=lambda p: (p.created_at, p.run_id), reverse=True)
        return tuple(run_state(p, moment) for p in plans)

    def ci_run(self, run_id: int, at: datetime | None = None) -> CiRunState | None:
        """One run by id, if it exists at `at`."""
        moment = at or self.now()
        plan = self._plan_by_run_id(run_id)
        if plan is None or plan.created_at > moment:
            return None
        return run_state(plan, moment)

    def ci_run_for_job(self, job_id: int, at: datetime | None = None) -> CiRunState | None:
        plan = self._by_job_id.get(job_id) or self._plan_by_run_id((job_id - 1) // 10)
        if plan is None or plan.job_id != job_id:
            return None
        return self.ci_run(plan.run_id, at)

    def _plan_by_run_id(self, run_id: int) -> CiRunPlan | None:
        plan = self._by_run_id.get(run_id)
        if plan is None and run_id >= _RERUN_ID_BASE:
            index = (run_id - _RERUN_ID_BASE) // 7 - 1
            extra = list(self._reruns)
            if 0 <= index < len(extra) and extra[index].run_id == run_id:
                return extra[index]
        return plan

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
        return {service: self._build(index, service) for index, service in enumerate(_ALL_SERVICES)}

    @cached_property
    def _by_run_id(self) -> dict[int, CiRunPlan]:
        return {p.run_id: p for plans in self._plans.values() for p in plans}

    @cached_property
    def _by_job_id(self) -> dict[int, CiRunPlan]:
        return {p.job_id: p for plans in self._plans.values() for p in plans}

    def _steps(
        self,
        service: str,
        total_s: float,
        fail_at: str | None = None,
        kind: FailureKind = "code",
    ) -> tuple[StepPlan, ...]:
        steps = []
        for name, weight in zip(STEP_NAMES, _STEP_WEIGHTS, strict=True):
            fails = name == fail_at
            duration = float(max(1, round(total_s * weight * (0.6 if fails else 1.0))))
            steps.append(StepPlan(name, duration, fails, step_log(name, fails, kind, service)))
        return tuple(steps)

    def _build(self, index: int, service: str) -> tuple[CiRunPlan, ...]:
        rng = random.Random(f"{self.seed}:{service}")
        base = _BASE_DURATION_S[service]
        kind = _FAILURE_KIND.get(service, "code")
        specs: list[_Spec] = []
        for k in range(HISTORY_RUNS):
            offset = -(HISTORY_RUNS - k) * 2400.0 - rng.uniform(0, 900)
            total = base * rng.uniform(0.85, 1.2)
            fail_at = "test" if rng.random() < _FAILURE_ODDS.get(service, 0.08) else None
            steps = self._steps(service, total, fail_at, kind)
            specs.append(_Spec(offset, "main", "push", steps, False, rng.uniform(3, 25), kind))
        for k in range(2):
            offset = -(7 - 3 * k) * 2400.0 + 600.0
            steps = self._steps(service, base * rng.uniform(0.9, 1.1))
            specs.append(_Spec(offset, "feature/next", "pull_request", steps, False, 8.0))
        specs.extend(self._release_specs(service, base))
        specs.sort(key=lambda s: s.offset)
        plans = []
        for number, spec in enumerate(specs, 1):
            run_id = _RUN_ID_BASE + index * 100_000 + number * 7
            if spec.release:
                commit = self.release_commit(service)
            else:
                commit = _sha(self.seed, service, spec.commit_key or number)
            message = (
                f"Release {service} {self.release_name}"
                if spec.release
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
                    branch=spec.branch,
                    event=spec.event,
                    commit=commit,
                    message=message,
                    author=_AUTHORS[int(commit[4:8], 16) % len(_AUTHORS)],
                    created_at=self.at(round(spec.offset)),
                    queue_s=round(spec.queue_s),
                    steps=spec.steps,
                    release=spec.release,
                    failure_kind=spec.kind,
                    attempt=2 if spec.event == "web" else 1,
                )
            )
        return tuple(plans)

    def _release_specs(self, service: str, base: float) -> list[_Spec]:
        def fixed(
            *durations: float, fail_at: str | None = None, kind: FailureKind = "code"
        ) -> tuple[StepPlan, ...]:
            return tuple(
                StepPlan(name, d, name == fail_at, step_log(name, name == fail_at, kind, service))
                for name, d in zip(STEP_NAMES, durations, strict=True)
            )

        if service == "checkout":
            return [
                _Spec(0, "main", "push", fixed(8, 25, 70, 95, 22), True, 20),
                # The release tag is pushed on the same commit: GitHub names the tag as the
                # run's branch, which is what `ci_green` for the release ref judges.
                _Spec(30, self.release_ref, "push", fixed(8, 24, 72, 96, 20), True, 12),
            ]
        if service == "payments":
            return [_Spec(0, "main", "push", fixed(6, 20, 55, 60, 20, fail_at="test"), True, 15)]
        if service == "billing":
            return [
                _Spec(-360, "main", "push", fixed(6, 22, 80, 100, 18), True, 20),
                _Spec(90, "main", "push", fixed(7, 24, 75, 90, 14), False, 15),
            ]
        if service == "ledger":
            flaky = fixed(8, 22, 60, 70, 15, fail_at="test", kind="flaky")
            return [
                # A commit whose pipeline failed on the flaky test, then passed when a new
                # pipeline was run for the same SHA (source "web": started from the UI).
                _Spec(-1500, "main", "push", flaky, False, 10, "flaky", "flaky-pair"),
                _Spec(
                    -1100, "main", "web", fixed(8, 22, 60, 90, 15), False, 9, "flaky", "flaky-pair"
                ),
                _Spec(0, "main", "push", flaky, True, 12, "flaky"),
            ]
        if service == "reports":
            killed = fixed(9, 25, 80, 75, 18, fail_at="test", kind="infra")
            return [_Spec(0, "main", "push", killed, True, 8, "infra")]
        return [_Spec(10, "main", "push", fixed(9, 30, 60, 88, 13), True, 10)]
