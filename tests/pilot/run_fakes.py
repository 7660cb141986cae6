"""Runs with history and triage, jobs with steps, logs, and fake CI adapters for the run screen.

The fakes implement the CI adapter surface `cockpit.ci_actions.CiActions` uses, and count what
they are asked: `FakeLiveCI` reads logs incrementally like GitLab traces (and re-runs like
GitLab), `FakeGitHubCI` has no live log and re-runs failed jobs like GitHub. A `VirtualLog`
can be 100 MB without existing in memory: its bytes are computed from their offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import ClassVar

from cockpit.models import Job, PipelineRun, RunStatus, Snapshot, Step, Triage
from cockpit.sources.base import SourceData
from cockpit.sources.ci.logs import LogChunk, LogCursor, RerunResult, chunk
from tests.pilot.fakes import START, ago, fresh_sources

LIVE_TAIL_BYTES = 64 * 1024
"""What the fake live adapter returns for a first read, like the GitLab adapter."""

SHA = "abc1234def5678901234567890abcdef12345678"

CODE_TRIAGE = Triage(
    "code",
    (
        "FAILED tests/test_refunds.py::test_partial_refund_rounding - AssertionError: "
        "assert Decimal('10.01') == Decimal('10.00')",
        "##[error]Process completed with exit code 1.",
    ),
    "code: route to Dana Lee, author of abc1234",
)

CHECKOUT_FAILED = PipelineRun(
    service="checkout",
    provider="github",
    run_id="9001",
    name="ci",
    status=RunStatus.FAILURE,
    commit=SHA,
    branch="main",
    url="https://github.com/acme/checkout/actions/runs/9001",
    started_at=ago(12 * 60),
    duration_s=246,
    recent_durations_s=(220, 210, 232, 205, 240, 228, 199, 215, 260, 219, 224, 231),
    recent_outcomes=(RunStatus.SUCCESS,) * 9 + (RunStatus.FAILURE,) + (RunStatus.SUCCESS,) * 10,
    triage=CODE_TRIAGE,
    source="gh",
)

PAYMENTS_RUNNING = PipelineRun(
    service="payments",
    provider="gitlab",
    run_id="5531",
    name="build-and-test",
    status=RunStatus.RUNNING,
    commit="1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
    branch="main",
    url="https://gitlab.example.com/acme/payments/-/pipelines/5531",
    started_at=ago(3 * 60 + 5),
    duration_s=185,
    running_step="integration tests",
    recent_durations_s=(300, 320, 290, 310, 305, 298, 400, 315),
    recent_outcomes=(RunStatus.SUCCESS,) * 7 + (RunStatus.FAILURE,),
    source="gl",
)

BILLING_PASSED = PipelineRun(
    service="billing",
    provider="jenkins",
    run_id="812",
    name="billing/main",
    status=RunStatus.SUCCESS,
    commit="9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6",
    branch="main",
    url="https://jenkins.example.com/job/billing/job/main/812/",
    started_at=ago(25 * 60),
    duration_s=312,
    recent_durations_s=(270, 281, 279, 300, 265, 290, 278, 275, 268, 284),
    recent_outcomes=(RunStatus.SUCCESS,) * 16 + (RunStatus.FAILURE,) * 2 + (RunStatus.SUCCESS,) * 2,
    source="jk",
)

REPORTS_KILLED = PipelineRun(
    service="reports",
    provider="jenkins",
    run_id="77",
    name="reports/main",
    status=RunStatus.FAILURE,
    commit="77aa88bb99cc00dd11ee22ff33aa44bb55cc66dd",
    branch="main",
    started_at=ago(6 * 60),
    duration_s=197,
    recent_durations_s=(180, 175, 190, 185, 178),
    recent_outcomes=(RunStatus.SUCCESS,) * 4 + (RunStatus.FAILURE,),
    triage=Triage("infra", ("ERROR: script returned exit code 137",), "infra: re-run"),
    source="jk",
)

HISTORY_RUNS = (BILLING_PASSED, PAYMENTS_RUNNING, CHECKOUT_FAILED, REPORTS_KILLED)


def history_snapshot() -> Snapshot:
    """Two failed runs (code, infra), one running, one passed, all with history."""
    return Snapshot(taken_at=START, sources=fresh_sources(), pipelines=HISTORY_RUNS)


def step(name: str, status: RunStatus, number: int, start: float, took: float | None) -> Step:
    """A step that started `start` seconds before START and took `took` (None: not done)."""
    started = START - timedelta(seconds=start)
    done = None if took is None else started + timedelta(seconds=took)
    return Step(name, status, number, started, done)


def checkout_jobs(*, test_name: str = "test (3.11)") -> tuple[Job, ...]:
    """`lint` passed; `test (3.11)` failed in its `test` step, `publish` skipped."""
    ok, failed, skipped = RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELLED
    lint = Job(
        "701",
        "lint",
        ok,
        START - timedelta(seconds=720),
        START - timedelta(seconds=650),
        "https://github.com/acme/checkout/actions/runs/9001/job/701",
        (step("Set up job", ok, 1, 720, 2), step("ruff", ok, 2, 718, 60)),
    )
    test = Job(
        "702",
        test_name,
        failed,
        START - timedelta(seconds=720),
        START - timedelta(seconds=474),
        "https://github.com/acme/checkout/actions/runs/9001/job/702",
        (
            step("Set up job", ok, 1, 720, 2),
            step("checkout", ok, 2, 718, 8),
            step("setup", ok, 3, 710, 25),
            step("build", ok, 4, 685, 70),
            step("test", failed, 5, 615, 140),
            step("publish", skipped, 6, 475, 0),
        ),
    )
    return (lint, test)


def github_log(*extra: str) -> str:
    """The failed job's log as GitHub writes it: timestamps, groups, pytest, the error."""
    stamp = "2026-11-23T09:50:05.0000000Z"
    lines = [
        "##[group]Run build",
        "Building wheel",
        "Successfully built package",
        "##[endgroup]",
        "##[group]Run test",
        "Running pytest",
        "tests/test_cart.py ........................................ [ 40%]",
        "tests/test_refunds.py ....F.................................. [ 80%]",
        "tests/test_totals.py ......................................... [100%]",
        "=================================== FAILURES ===================================",
        "_________________________ test_partial_refund_rounding _________________________",
        "    def test_partial_refund_rounding():",
        ">       assert refund(Decimal('20.01'), parts=2) == Decimal('10.00')",
        "E       AssertionError: assert Decimal('10.01') == Decimal('10.00')",
        CODE_TRIAGE.evidence[0],
        "1 failed, 388 passed in 61.0s",
        *extra,
        CODE_TRIAGE.evidence[1],
        "##[endgroup]",
    ]
    return "".join(f"{stamp} {line}\n" for line in lines)


@dataclass
class VirtualLog:
    """A log of `lines` lines of `width` bytes each (newline included), computed, never stored.

    Line i reads `line 000000042 ...` so a test can tell which part of the log it was given.
    Counts what it was asked for and what it returned.
    """

    lines: int
    width: int = 100
    asked: int = 0
    returned: int = 0
    reads: int = 0

    @property
    def size(self) -> int:
        return self.lines * self.width

    def line(self, index: int) -> bytes:
        head = f"line {index:09d} "
        return (head + "x" * (self.width - len(head) - 1) + "\n").encode()

    def read(self, start: int, end: int) -> bytes:
        start, end = max(0, start), min(self.size, end)
        self.reads += 1
        self.asked += max(0, end - start)
        if start >= end:
            return b""
        first, last = start // self.width, (end - 1) // self.width
        data = b"".join(self.line(i) for i in range(first, last + 1))
        data = data[start - first * self.width : end - first * self.width]
        self.returned += len(data)
        return data


@dataclass
class GrowingLog:
    """A log that tests append to, as a running job writes it."""

    data: bytearray = field(default_factory=bytearray)
    returned: int = 0
    reads: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    def write(self, text: str) -> None:
        self.data.extend(text.encode())

    def read(self, start: int, end: int) -> bytes:
        self.reads += 1
        data = bytes(self.data[max(0, start) : min(self.size, end)])
        self.returned += len(data)
        return data


class FakeCI:
    """The surface every CI adapter shares: name, flags, `jobs`, and call counters."""

    kind = "fake"
    SUPPORTS_RERUN: ClassVar[bool] = True
    SUPPORTS_LIVE_LOG: ClassVar[bool] = False
    SUPPORTS_JOB_LOG: ClassVar[bool] = True

    def __init__(self, name: str, jobs: Sequence[Job]) -> None:
        self.name = name
        self.interval_s = 15.0
        self.jobs_now = tuple(jobs)
        self.job_calls = 0
        self.reruns: list[tuple[str, str | None]] = []

    async def poll(self) -> SourceData:
        return SourceData()

    async def jobs(self, run: PipelineRun) -> tuple[Job, ...]:
        self.job_calls += 1
        return self.jobs_now

    def finish(self, job_id: str, status: RunStatus) -> None:
        """The job `job_id` ends with `status` (what the next `jobs` call says)."""
        self.jobs_now = tuple(
            replace(j, status=status, completed_at=START) if j.job_id == job_id else j
            for j in self.jobs_now
        )


class FakeGitHubCI(FakeCI):
    """Like GitHub Actions: whole job logs, no live log, `rerun_failed`."""

    def __init__(self, name: str, jobs: Sequence[Job], logs: dict[str, str]) -> None:
        super().__init__(name, jobs)
        self.logs = logs
        self.log_calls = 0

    async def job_log(self, run: PipelineRun, job: Job) -> str:
        self.log_calls += 1
        return self.logs.get(job.job_id, "")

    async def rerun_failed(self, run: PipelineRun) -> None:
        self.reruns.append((run.run_id, None))


class FakeLiveCI(FakeCI):
    """Like GitLab CI: incremental, bounded log reads (`read_log`) and `rerun(run, job)`."""

    SUPPORTS_LIVE_LOG: ClassVar[bool] = True

    def __init__(
        self, name: str, jobs: Sequence[Job], logs: dict[str, VirtualLog | GrowingLog]
    ) -> None:
        super().__init__(name, jobs)
        self.logs = logs
        self.job_log_calls = 0
        self.cursors: list[LogCursor | None] = []

    async def job_log(self, run: PipelineRun, job: Job) -> str:
        self.job_log_calls += 1  # never wanted: read_log is bounded
        raise AssertionError("job_log must not be used when read_log exists")

    async def read_log(
        self, run: PipelineRun, job: Job, cursor: LogCursor | None = None
    ) -> LogChunk:
        self.cursors.append(cursor)
        log = self.logs[job.job_id]
        more = job.status in (RunStatus.RUNNING, RunStatus.QUEUED)
        if cursor is None:
            start = max(0, log.size - LIVE_TAIL_BYTES)
            data = log.read(start, log.size)
            return chunk(job.job_id, None, data, offset=log.size, more=more, skipped=start)
        data = log.read(cursor.offset, log.size)
        return chunk(job.job_id, cursor, data, offset=log.size, more=more)

    async def rerun(self, run: PipelineRun, job: Job | None = None) -> RerunResult:
        self.reruns.append((run.run_id, None if job is None else job.job_id))
        return RerunResult(run.run_id, "", run.url, f"retrying the failed jobs of {run.run_id}")


def running_job(job_id: str = "880", name: str = "integration") -> Job:
    """A job running its second step."""
    return Job(
        job_id,
        name,
        RunStatus.RUNNING,
        START - timedelta(seconds=100),
        None,
        f"https://gitlab.example.com/acme/payments/-/jobs/{job_id}",
        (
            step("prepare", RunStatus.SUCCESS, 1, 100, 20),
            step("integration tests", RunStatus.RUNNING, 2, 80, None),
        ),
    )
