"""The GitHub Actions adapter against the live GitHub sim on loopback (FakeClock scenario time)."""

from __future__ import annotations

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import PipelineRun, RunStatus
from cockpit.sim import GitHubSim, Scenario
from cockpit.sources.ci.base import CIAdapter, SupportsJobLog, pass_rate
from cockpit.sources.ci.github import GitHubActionsAdapter

from .conftest import START, TOKEN, AdapterFactory, build_adapter, target


async def _poll_one(adapter: GitHubActionsAdapter) -> PipelineRun:
    (run,) = (await adapter.poll()).pipelines
    return run


def _expected_history(scenario: Scenario, service: str, at: float, count: int) -> list[float]:
    runs = [r for r in scenario.ci_runs(service, scenario.at(at)) if r.plan.branch == "main"]
    history = [r for r in runs[1:count] if r.status == "completed"]
    return [(r.plan.completed_at - r.plan.created_at).total_seconds() for r in reversed(history)]


async def test_checkout_release_run_queued_running_then_green(
    adapter_for: AdapterFactory, clock: FakeClock, scenario: Scenario, sim: GitHubSim
) -> None:
    adapter = adapter_for("checkout")
    await clock.advance(5)
    queued = await _poll_one(adapter)
    assert (queued.status, queued.duration_s, queued.running_step) == (RunStatus.QUEUED, None, "")
    assert queued.commit == scenario.release_commit("checkout")
    assert (queued.service, queued.provider, queued.source) == ("checkout", "github", "gh")
    assert (queued.name, queued.branch, queued.started_at) == ("ci", "main", START)
    assert queued.url == f"{sim.url}/acme/checkout/actions/runs/{queued.run_id}"
    assert list(queued.recent_durations_s) == _expected_history(scenario, "checkout", 5, 20)
    assert len(queued.recent_outcomes) == 19

    await clock.advance(95)  # T+100: building
    running = await _poll_one(adapter)
    assert (running.status, running.running_step, running.duration_s) == (
        RunStatus.RUNNING,
        "build",
        100.0,
    )
    assert running.run_id == queued.run_id
    assert [s.name for s in running.jobs[0].steps][:3] == ["checkout", "setup", "build"]

    await clock.advance(300)  # T+400: done at T+240
    done = await _poll_one(adapter)
    assert (done.status, done.duration_s, done.running_step) == (RunStatus.SUCCESS, 240.0, "")


async def test_payments_fails_in_test_and_the_jobs_say_where(
    adapter_for: AdapterFactory, clock: FakeClock
) -> None:
    adapter = adapter_for("payments")
    await clock.advance(200)
    run = await _poll_one(adapter)
    assert (run.status, run.duration_s) == (RunStatus.FAILURE, 156.0)
    (job,) = await adapter.jobs(run)
    steps = {s.name: s.status for s in job.steps}
    assert job.status is RunStatus.FAILURE
    assert steps == {
        "checkout": RunStatus.SUCCESS,
        "setup": RunStatus.SUCCESS,
        "build": RunStatus.SUCCESS,
        "test": RunStatus.FAILURE,
        "publish": RunStatus.CANCELLED,  # skipped after the failure: never green
    }
    assert isinstance(adapter, SupportsJobLog) and adapter.SUPPORTS_JOB_LOG
    log = await adapter.job_log(run, job)
    assert "AssertionError" in log and "\x1b" not in log and "\n" in log


async def test_billing_green_then_a_new_push_queues_a_run(
    adapter_for: AdapterFactory, clock: FakeClock, scenario: Scenario
) -> None:
    adapter = adapter_for("billing")
    green = await _poll_one(adapter)
    assert (green.status, green.commit) == (RunStatus.SUCCESS, scenario.release_commit("billing"))
    await clock.advance(100)
    pushed = await _poll_one(adapter)
    assert pushed.status is RunStatus.QUEUED and pushed.commit != green.commit
    assert pushed.recent_outcomes[-1] is RunStatus.SUCCESS  # the green release run is history now


async def test_search_history_gives_a_flaky_pass_rate(
    adapter_for: AdapterFactory, scenario: Scenario
) -> None:
    run = await _poll_one(adapter_for("search"))
    main = [r for r in scenario.ci_runs("search", scenario.at(0)) if r.plan.branch == "main"]
    expected = [r.conclusion for r in reversed(main[1:20])]
    assert [o.value for o in run.recent_outcomes] == expected
    rate = pass_rate(run.recent_outcomes, last=19)
    assert rate is not None and 0.4 < rate < 0.9


async def test_second_poll_is_answered_304_and_costs_no_budget(
    adapter_for: AdapterFactory, clock: FakeClock, sim: GitHubSim
) -> None:
    adapter = adapter_for("checkout", "payments", "billing", "search")
    await clock.advance(100)  # checkout, payments and search run: their jobs are fetched too
    first = await adapter.poll()
    http = adapter.http
    assert http.rate_limit is not None
    remaining, requests, not_modified = http.rate_limit.remaining, http.requests, http.not_modified
    charged = sim.stats.charged
    second = await adapter.poll()
    assert http.requests - requests == 7  # 4 listings + 3 running runs' jobs
    assert http.not_modified - not_modified == 7
    assert http.rate_limit.remaining == remaining == sim.remaining
    assert sim.stats.charged == charged
    assert second.pipelines == first.pipelines
    await clock.advance(30)  # checkout moves to the next step: only what changed costs budget
    await adapter.poll()
    assert sim.stats.charged > charged


async def test_configured_workflows_use_the_workflow_endpoint(
    client: httpx.AsyncClient, clock: FakeClock, sim: GitHubSim
) -> None:
    seen: list[str] = []
    client.event_hooks["request"].append(lambda request: _record(seen, request))
    adapter = build_adapter(client, clock, sim.api_url, [target("checkout", workflows=("ci.yml",))])
    run = await _poll_one(adapter)
    assert run.name == "ci" and run.status is RunStatus.QUEUED
    assert seen == ["/repos/acme/checkout/actions/workflows/ci.yml/runs"]


async def _record(seen: list[str], request: httpx.Request) -> None:
    seen.append(request.url.path)


async def test_a_deleted_workflow_is_not_found_by_name(adapter_for: AdapterFactory) -> None:
    adapter = adapter_for(target("checkout", workflows=("ci.yml", "deploy.yml")))
    with pytest.raises(SourceError) as caught:
        await adapter.poll()
    assert caught.value.kind is ErrorKind.NOT_FOUND and caught.value.source == "gh"
    assert "'deploy.yml'" in caught.value.message and "acme/checkout" in caught.value.message
    assert caught.value.message.startswith("gh: ")


async def test_an_unknown_repository_is_not_found_by_name(adapter_for: AdapterFactory) -> None:
    with pytest.raises(SourceError) as caught:
        await adapter_for("checkout", "ghost").poll()
    assert caught.value.kind is ErrorKind.NOT_FOUND and "acme/ghost" in caught.value.message


async def test_an_empty_repository_has_no_runs_and_no_error(adapter_for: AdapterFactory) -> None:
    data = await adapter_for("empty", "checkout").poll()
    assert [p.service for p in data.pipelines] == ["checkout"]


@pytest.mark.parametrize("token", ["wrong", None], ids=["bad-credentials", "no-token"])
async def test_refused_credentials_are_an_auth_error(
    adapter_for: AdapterFactory, token: str | None
) -> None:
    with pytest.raises(SourceError) as caught:
        await adapter_for("checkout", token=token).poll()
    assert caught.value.kind is ErrorKind.AUTH and "HTTP 401" in caught.value.message


async def test_github_enterprise_base_url_with_api_v3(
    client: httpx.AsyncClient, clock: FakeClock, scenario: Scenario
) -> None:
    with GitHubSim(scenario, token=TOKEN, path_prefix="/api/v3") as ghe:
        await clock.advance(100)
        adapter = build_adapter(client, clock, ghe.api_url, [target("checkout")])
        run = await _poll_one(adapter)
        assert (run.status, run.running_step) == (RunStatus.RUNNING, "build")
        assert run.url.startswith(ghe.url + "/acme/checkout/actions/runs/")
        assert ghe.stats.requests == 2  # the listing and the running run's jobs, both under /api/v3
        without_prefix = build_adapter(client, clock, ghe.url, [target("checkout")])
        with pytest.raises(SourceError) as caught:
            await without_prefix.poll()
        assert caught.value.kind is ErrorKind.NOT_FOUND


def test_the_adapter_is_a_ci_adapter(adapter_for: AdapterFactory) -> None:
    adapter: CIAdapter = adapter_for("checkout")
    assert adapter.kind == "github" and adapter.interval_s == 15.0
    # GitHub re-runs failed jobs, serves a job's log when it completes, but has no live log.
    assert (adapter.SUPPORTS_RERUN, adapter.SUPPORTS_LIVE_LOG, adapter.SUPPORTS_JOB_LOG) == (
        True,
        False,
        True,
    )


async def test_a_finished_runs_jobs_are_fetched_once_until_it_is_rerun(
    client: httpx.AsyncClient, clock: FakeClock, sim: GitHubSim
) -> None:
    seen: list[str] = []
    client.event_hooks["request"].append(lambda request: _record(seen, request))
    adapter = build_adapter(client, clock, sim.api_url, [target("payments")])
    await clock.advance(200)  # payments failed at T+156
    failed = await _poll_one(adapter)
    assert failed.status is RunStatus.FAILURE and failed.jobs
    jobs_path = f"/repos/acme/payments/actions/runs/{failed.run_id}/jobs"
    assert seen.count(jobs_path) == 1

    again = await _poll_one(adapter)
    assert again.jobs == failed.jobs
    assert seen.count(jobs_path) == 1, "a finished run's jobs do not change: not asked again"

    await adapter.rerun_failed(failed)  # a code failure: it fails again
    await clock.advance(300)
    rerun = await _poll_one(adapter)
    assert rerun.run_id == failed.run_id and rerun.status is RunStatus.FAILURE
    assert seen.count(jobs_path) == 2, "a re-run changes the run: its jobs are asked for again"
    await _poll_one(adapter)
    assert seen.count(jobs_path) == 2
