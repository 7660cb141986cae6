"""Flaky detection from run history: a log alone rarely proves a failure is flaky; history does.

Two signals, for one job (the caller passes that job's history, oldest first):

- **Re-run of the same SHA passed.** The job passed on another attempt of the commit that just
  failed, or (when test names are known) the tests failing now passed on another attempt that
  failed only on other tests. Nothing changed in the code, so the failure is not the code's.
- **Intermittent across unrelated SHAs.** Failures come and go on different commits with passes
  in between: fail, pass, fail, pass, fail. A run of consecutive failures is one episode (that
  is what a regression looks like: it breaks, stays broken, gets fixed). With the failing test's
  name known on both sides, two separate episodes of the same test are enough; for the job as a
  whole it takes `JOB_EPISODES` episodes, because different bugs can break the same job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cockpit.models.pipeline import RunStatus

JOB_EPISODES = 3
"""Separate failure episodes (counting the current failure) that make a whole job flaky."""

TEST_EPISODES = 2
"""Separate failure episodes of the same named test that make it flaky."""

WINDOW = 30
"""How many of the most recent records are considered."""

_MIN_SHA = 7


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One finished attempt of the job.

    Attributes:
        sha: The commit it ran on (full or at least 7 characters).
        status: `success` or `failure` (other statuses are ignored).
        attempt: The attempt number for this SHA (1 for the first run, 2 for a re-run, ...).
        failed_tests: Names of the tests that failed, when known (as `test_names` rules name them).
        run_id: The remote's id, for evidence.
    """

    sha: str
    status: RunStatus
    attempt: int = 1
    failed_tests: tuple[str, ...] = ()
    run_id: str = ""

    @property
    def short_sha(self) -> str:
        return self.sha[:_MIN_SHA]


@dataclass(frozen=True, slots=True)
class FlakyFinding:
    """Why history says the failure is flaky: `reason` is a sentence cited as evidence."""

    kind: Literal["rerun", "intermittent"]
    reason: str


@dataclass(frozen=True, slots=True)
class RunHistory:
    """Finished runs of one job, oldest first."""

    records: tuple[RunRecord, ...] = ()

    @classmethod
    def from_dicts(cls, items: Iterable[Mapping[str, Any]]) -> RunHistory:
        """Build from plain mappings: `{sha, status, attempt?, failed_tests?, run_id?}`."""
        records = tuple(
            RunRecord(
                sha=str(item["sha"]),
                status=RunStatus(str(item["status"])),
                attempt=int(item.get("attempt", 1)),
                failed_tests=tuple(str(t) for t in item.get("failed_tests", ())),
                run_id=str(item.get("run_id", "")),
            )
            for item in items
        )
        return cls(records)

    def flaky(self, commit: str, failed_tests: Sequence[str] = ()) -> FlakyFinding | None:
        """Whether the failure of `commit` (failing `failed_tests`) looks flaky, and why.

        Args:
            commit: The SHA whose run just failed.
            failed_tests: The tests failing now, if the log names them.
        """
        recent = [r for r in self.records[-WINDOW:] if r.status in _FINISHED]
        return _rerun_passed(recent, commit, failed_tests) or _intermittent(
            recent, commit, failed_tests
        )


_FINISHED = (RunStatus.SUCCESS, RunStatus.FAILURE)


def same_sha(left: str, right: str) -> bool:
    """Whether two SHAs (full or abbreviated, at least 7 characters) name the same commit."""
    left, right = left.lower(), right.lower()
    if min(len(left), len(right)) < _MIN_SHA:
        return False
    return left.startswith(right) or right.startswith(left)


def _rerun_passed(
    records: Sequence[RunRecord], commit: str, failed_tests: Sequence[str]
) -> FlakyFinding | None:
    same = [r for r in records if same_sha(r.sha, commit)]
    for record in same:
        if record.status is RunStatus.SUCCESS:
            return FlakyFinding(
                "rerun",
                f"history: the job passed on attempt {record.attempt} of the same commit "
                f"{record.short_sha}",
            )
    for record in same:
        if failed_tests and record.failed_tests:
            passed_then = [t for t in failed_tests if t not in record.failed_tests]
            if passed_then:
                return FlakyFinding(
                    "rerun",
                    f"history: {passed_then[0]} passed on attempt {record.attempt} of the same "
                    f"commit {record.short_sha} (which failed only on other tests)",
                )
    return None


def _intermittent(
    records: Sequence[RunRecord], commit: str, failed_tests: Sequence[str]
) -> FlakyFinding | None:
    others = [r for r in records if not same_sha(r.sha, commit)]
    for test in failed_tests:
        outcomes = [
            (r.sha, r.status is RunStatus.FAILURE)
            for r in others
            if r.status is RunStatus.SUCCESS or test in r.failed_tests
        ]
        episodes = _failure_episodes([*outcomes, (commit, True)])
        if len(episodes) >= TEST_EPISODES:
            return FlakyFinding(
                "intermittent",
                f"history: {test} failed intermittently on unrelated commits "
                f"{_shas(episodes)} and passed in between",
            )
    outcomes = [(r.sha, r.status is RunStatus.FAILURE) for r in others]
    episodes = _failure_episodes([*outcomes, (commit, True)])
    if len(episodes) >= JOB_EPISODES:
        return FlakyFinding(
            "intermittent",
            f"history: the job failed intermittently on unrelated commits {_shas(episodes)} "
            f"and passed in between",
        )
    return None


def _failure_episodes(outcomes: Sequence[tuple[str, bool]]) -> list[str]:
    """The first SHA of each run of consecutive failures."""
    episodes: list[str] = []
    previous_failed = False
    for sha, failed in outcomes:
        if failed and not previous_failed:
            episodes.append(sha)
        previous_failed = failed
    return episodes


def _shas(episodes: Sequence[str]) -> str:
    return ", ".join(sha[:_MIN_SHA] for sha in episodes if sha)
