"""Flaky detection from run history: re-runs of the same SHA, and intermittent failures."""

from __future__ import annotations

from cockpit.models.pipeline import RunStatus
from cockpit.triage.history import RunHistory, RunRecord, same_sha

S, F = RunStatus.SUCCESS, RunStatus.FAILURE
SHA = "abc1234def5678abc1234def5678abc1234def56"


def sha(n: int) -> str:
    return f"{n:07x}" + "0" * 33


def test_a_passing_rerun_of_the_same_sha_is_flaky() -> None:
    history = RunHistory((RunRecord(sha(1), S), RunRecord(SHA, S, attempt=2)))
    finding = history.flaky(SHA)
    assert finding is not None and finding.kind == "rerun"
    assert finding.reason == ("history: the job passed on attempt 2 of the same commit abc1234")


def test_abbreviated_shas_match_but_not_below_seven_characters() -> None:
    assert same_sha("abc1234", SHA)
    assert same_sha(SHA.upper(), SHA)
    assert not same_sha("abc123", SHA)
    assert not same_sha("", "")
    assert RunHistory((RunRecord("abc1234d", S, attempt=2),)).flaky(SHA) is not None


def test_a_rerun_that_failed_only_on_other_tests_makes_the_current_test_flaky() -> None:
    history = RunHistory((RunRecord(SHA, F, attempt=1, failed_tests=("test_b",)),))
    finding = history.flaky(SHA, ["test_a"])
    assert finding is not None and finding.kind == "rerun"
    assert "test_a passed on attempt 1" in finding.reason


def test_a_rerun_failing_the_same_test_again_is_not_flaky() -> None:
    history = RunHistory(
        (RunRecord(sha(1), S), RunRecord(SHA, F, attempt=1, failed_tests=("test_a",)))
    )
    assert history.flaky(SHA, ["test_a"]) is None


def test_a_regression_is_one_episode_not_intermittent() -> None:
    # Broken on sha 2, still broken on 3 and 4, now on SHA: consecutive failures are one episode.
    history = RunHistory(
        (RunRecord(sha(1), S), RunRecord(sha(2), F), RunRecord(sha(3), F), RunRecord(sha(4), F))
    )
    assert history.flaky(SHA) is None


def test_a_job_that_fails_and_passes_on_and_off_is_flaky() -> None:
    history = RunHistory(
        (
            RunRecord(sha(1), F),
            RunRecord(sha(2), S),
            RunRecord(sha(3), F),
            RunRecord(sha(4), S),
        )
    )
    finding = history.flaky(SHA)
    assert finding is not None and finding.kind == "intermittent"
    assert "0000001, 0000003, abc1234" in finding.reason


def test_two_job_episodes_are_not_enough_without_test_names() -> None:
    history = RunHistory((RunRecord(sha(1), F), RunRecord(sha(2), S)))
    assert history.flaky(SHA) is None


def test_the_same_test_failing_on_an_unrelated_sha_with_passes_between_is_flaky() -> None:
    history = RunHistory(
        (
            RunRecord(sha(1), F, failed_tests=("TestLeader",)),
            RunRecord(sha(2), S),
            RunRecord(sha(3), F, failed_tests=("TestOther",)),  # says nothing about TestLeader
        )
    )
    finding = history.flaky(SHA, ["TestLeader"])
    assert finding is not None and finding.kind == "intermittent"
    assert finding.reason.startswith("history: TestLeader failed intermittently")
    assert history.flaky(SHA, ["TestOther"]) is None  # failing twice in a row: one episode


def test_running_and_cancelled_runs_are_ignored_and_only_the_window_counts() -> None:
    noise = tuple(RunRecord(sha(100 + n), RunStatus.CANCELLED) for n in range(5))
    history = RunHistory((*noise, RunRecord(SHA, RunStatus.RUNNING, attempt=2)))
    assert history.flaky(SHA) is None
    old_flakes = (RunRecord(sha(1), F), RunRecord(sha(2), S), RunRecord(sha(3), F))
    recent_green = tuple(RunRecord(sha(10 + n), S) for n in range(30))
    assert RunHistory((*old_flakes, *recent_green)).flaky(SHA) is None


def test_from_dicts() -> None:
    history = RunHistory.from_dicts(
        [{"sha": SHA, "status": "success", "attempt": 2, "failed_tests": [], "run_id": "77"}]
    )
    assert history.records == (RunRecord(SHA, S, attempt=2, run_id="77"),)
