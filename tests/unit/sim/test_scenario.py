"""The scripted release: deterministic, and the story the demo tells, moment by moment."""

from __future__ import annotations

from datetime import timedelta

from cockpit.clock import FakeClock
from cockpit.sim.scenario import HISTORY_RUNS, STEP_NAMES, CiRunState, Scenario

from .conftest import START


def _newest(scenario: Scenario, service: str, at: float, branch: str = "main") -> CiRunState:
    """The newest run on `branch` (checkout's release tag has runs of its own)."""
    return next(r for r in scenario.ci_runs(service, scenario.at(at)) if r.plan.branch == branch)


def _snapshot(scenario: Scenario, at: float) -> list[tuple[object, ...]]:
    return [
        (r.plan.run_id, r.plan.commit, r.status, r.conclusion, r.updated_at, r.steps)
        for service in scenario.services
        for r in scenario.ci_runs(service, scenario.at(at))
    ]


def test_same_seed_and_moment_give_the_same_world() -> None:
    one, two = Scenario(FakeClock(START)), Scenario(FakeClock(START))
    for at in (-3600, 0, 100, 400):
        assert _snapshot(one, at) == _snapshot(two, at)
    other = Scenario(FakeClock(START), seed=8)
    assert _snapshot(other, 0) != _snapshot(one, 0)


async def test_start_defaults_to_the_clock_and_now_follows_it() -> None:
    clock = FakeClock(START)
    scenario = Scenario(clock)
    assert scenario.start == START and scenario.elapsed() == 0
    await clock.advance(42)
    assert scenario.elapsed() == 42.0 and scenario.now() == START + timedelta(seconds=42)


def test_checkout_history_then_the_release_run_walks_its_steps() -> None:
    scenario = Scenario(FakeClock(START))
    history = [r for r in scenario.ci_runs("checkout", scenario.at(-1)) if r.plan.branch == "main"]
    assert len(history) == HISTORY_RUNS
    assert all(r.status == "completed" for r in history)
    assert sum(r.conclusion == "success" for r in history) >= HISTORY_RUNS * 0.8
    durations = {(r.plan.completed_at - r.plan.started_at).total_seconds() for r in history}
    assert len(durations) > HISTORY_RUNS // 2, "durations vary"

    assert _newest(scenario, "checkout", 0).status == "queued"
    assert _newest(scenario, "checkout", 19).status == "queued"
    seen: list[str] = []
    for at in range(20, 240, 5):
        run = _newest(scenario, "checkout", at)
        assert run.status == "in_progress"
        if not seen or seen[-1] != run.running_step:
            seen.append(run.running_step)
    assert tuple(seen) == STEP_NAMES
    done = _newest(scenario, "checkout", 240)
    assert (done.status, done.conclusion, done.completed_at) == (
        "completed",
        "success",
        scenario.at(240),
    )
    assert done.plan.commit == scenario.release_commit("checkout") and done.plan.release


def test_payments_fails_in_test_and_skips_the_rest() -> None:
    scenario = Scenario(FakeClock(START))
    assert _newest(scenario, "payments", 155).running_step == "test"
    failed = _newest(scenario, "payments", 156)
    assert (failed.status, failed.conclusion) == ("completed", "failure")
    steps = {s.name: (s.status, s.conclusion) for s in failed.steps}
    assert steps["test"] == ("completed", "failure")
    assert steps["publish"] == ("completed", "skipped")
    assert "AssertionError" in (scenario.job_log(failed.plan.job_id, scenario.at(200)) or "")


def test_billing_is_green_then_a_new_push_starts_a_run() -> None:
    scenario = Scenario(FakeClock(START))
    before = _newest(scenario, "billing", 89)
    assert (before.status, before.conclusion, before.plan.release) == ("completed", "success", True)
    pushed = _newest(scenario, "billing", 90)
    assert pushed.status == "queued" and pushed.plan.commit != before.plan.commit
    assert _newest(scenario, "billing", 200).status == "in_progress"
    assert _newest(scenario, "billing", 320).conclusion == "success"


def test_search_history_is_flaky() -> None:
    scenario = Scenario(FakeClock(START))
    history = [r for r in scenario.ci_runs("search", scenario.at(0)) if r.plan.branch == "main"]
    failures = sum(r.conclusion == "failure" for r in history)
    assert 0.15 * len(history) <= failures <= 0.6 * len(history)
    failed = next(r for r in history if r.conclusion == "failure")
    assert "ConnectionTimeout" in (scenario.job_log(failed.plan.job_id, scenario.at(0)) or "")
    assert _newest(scenario, "search", 220).conclusion == "success"


def test_an_unchanged_run_has_an_unchanged_updated_at() -> None:
    """Bodies (and ETags) change only at state changes, not with every tick of the clock."""
    scenario = Scenario(FakeClock(START))
    assert _newest(scenario, "checkout", 60) == _newest(scenario, "checkout", 70)  # both in build
    assert (
        _newest(scenario, "checkout", 52).updated_at != _newest(scenario, "checkout", 54).updated_at
    )


def test_runs_do_not_exist_before_they_are_created() -> None:
    scenario = Scenario(FakeClock(START))
    plan = scenario.ci_plans("billing")[-1]
    assert scenario.ci_run(plan.run_id, scenario.at(89)) is None
    assert scenario.ci_run(plan.run_id, scenario.at(90)) is not None
    assert scenario.job_log(plan.job_id, scenario.at(95)) == ""  # queued: nothing logged yet
    assert scenario.job_log(12345, scenario.at(95)) is None


def test_ids_are_unique_across_services() -> None:
    scenario = Scenario(FakeClock(START))
    plans = [p for s in scenario.services for p in scenario.ci_plans(s)]
    assert len({p.run_id for p in plans}) == len(plans) == len({p.job_id for p in plans})
