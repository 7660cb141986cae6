"""The Jenkins adapter against the live Jenkins sim on loopback (FakeClock scenario time)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import PipelineRun, RunStatus
from cockpit.sim.jenkins import JenkinsSim
from cockpit.sim.scenario import Scenario
from cockpit.sources.ci.base import CIAdapter, SupportsJobLog
from cockpit.sources.ci.jenkins import JenkinsAdapter, jenkins_auth_headers
from cockpit.sources.ci.logs import SupportsLiveLog, SupportsRerun

USER, TOKEN = "ci-bot", "11d2c0ffee"
JOB = "/job/acme/job/reports/job/main"
Factory = Callable[..., JenkinsAdapter]


def reports(job: str = "acme/reports/main", **kwargs: Any) -> tuple[str, CiTarget]:
    return "reports", CiTarget(source="jk", job=job, **kwargs)


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


@pytest.fixture
def jenkins(scenario: Scenario) -> Iterator[JenkinsSim]:
    with JenkinsSim(scenario, USER, TOKEN) as running:
        yield running


@pytest.fixture
def connect(
    client: httpx.AsyncClient, clock: FakeClock, seen: list[httpx.Request]
) -> Callable[..., JenkinsAdapter]:
    """An adapter for a given sim (and credentials)."""

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    client.event_hooks["request"].append(record)

    def factory(sim: JenkinsSim, *targets: tuple[str, CiTarget], **kwargs: Any) -> JenkinsAdapter:
        user, token = kwargs.pop("user", USER), kwargs.pop("token", TOKEN)
        headers = jenkins_auth_headers(user, token)
        http = SourceHttp(client, "jk", sim.url, headers=headers, clock=clock)
        source = Source(kind="jenkins", url=sim.url, interval=20.0)
        return JenkinsAdapter("jk", source, list(targets) or [reports()], http, **kwargs)

    return factory


@pytest.fixture
def adapter_for(connect: Callable[..., JenkinsAdapter], jenkins: JenkinsSim) -> Factory:
    def factory(*targets: tuple[str, CiTarget], **kwargs: Any) -> JenkinsAdapter:
        return connect(jenkins, *targets, **kwargs)

    return factory


async def _poll_one(adapter: JenkinsAdapter) -> PipelineRun:
    (run,) = (await adapter.poll()).pipelines
    return run


async def test_the_release_build_runs_its_stages_and_is_killed(
    adapter_for: Factory, clock: FakeClock, scenario: Scenario, jenkins: JenkinsSim
) -> None:
    adapter = adapter_for()
    green = await _poll_one(adapter)  # T+0: the release build waits in the queue
    assert (green.status, green.provider, green.source) == (RunStatus.SUCCESS, "jenkins", "jk")
    assert green.commit != scenario.release_commit("reports")
    await clock.advance(60)
    running = await _poll_one(adapter)
    assert running.run_id == str(int(green.run_id) + 1)
    assert (running.status, running.running_step) == (RunStatus.RUNNING, "build")
    assert (running.commit, running.branch) == (scenario.release_commit("reports"), "main")
    assert running.duration_s == 52.0 and running.name == "acme/reports/main"
    assert running.url == f"{jenkins.url}{JOB}/{running.run_id}/"
    assert running.recent_outcomes[-1] is RunStatus.SUCCESS
    (job,) = running.jobs
    assert [s.name for s in job.steps] == ["checkout", "setup", "build"]

    await clock.advance(190)
    failed = await _poll_one(adapter)
    assert (failed.status, failed.duration_s, failed.running_step) == (RunStatus.FAILURE, 189.0, "")
    steps = {s.name: s.status for s in failed.jobs[0].steps}
    assert steps["test"] is RunStatus.FAILURE and steps["publish"] is RunStatus.CANCELLED
    assert failed.triage is not None and failed.triage.failure_class == "infra"
    assert "ERROR: script returned exit code 137" in failed.triage.evidence
    assert failed.triage.action == "infra: re-run"


async def test_a_rebuild_with_the_crumb_runs_the_same_commit_green(
    adapter_for: Factory, clock: FakeClock, jenkins: JenkinsSim, seen: list[httpx.Request]
) -> None:
    adapter = adapter_for()
    assert isinstance(adapter, SupportsRerun)
    await clock.advance(250)
    failed = await _poll_one(adapter)
    result = await adapter.rerun(failed)
    assert (
        result.url.startswith(f"{jenkins.url}/queue/item/")
        and "acme/reports/main" in result.message
    )
    post = next(r for r in seen if r.method == "POST")
    assert post.url.path == f"{JOB}/build" and post.url.params["delay"] == "0sec"
    assert post.headers["Jenkins-Crumb"] == jenkins.current_crumb()
    assert jenkins.stats.crumbs_issued == 1
    await clock.advance(300)
    rebuilt = await _poll_one(adapter)
    assert rebuilt.run_id == str(int(failed.run_id) + 1)
    assert (rebuilt.status, rebuilt.commit, rebuilt.triage) == (
        RunStatus.SUCCESS,
        failed.commit,
        None,
    )
    assert rebuilt.recent_outcomes[-1] is RunStatus.FAILURE
    await adapter.rerun(rebuilt)
    assert jenkins.stats.crumbs_issued == 1, "the crumb is reused"


async def test_an_expired_crumb_is_fetched_again_once(
    adapter_for: Factory, clock: FakeClock, jenkins: JenkinsSim
) -> None:
    adapter = adapter_for()
    await clock.advance(250)
    failed = await _poll_one(adapter)
    await adapter.rerun(failed)
    jenkins.expire_crumbs()
    await adapter.rerun(failed)
    assert (jenkins.stats.crumbs_issued, jenkins.stats.builds_queued) == (2, 2)


async def test_without_a_crumb_issuer_the_rebuild_goes_without(
    connect: Callable[..., JenkinsAdapter],
    clock: FakeClock,
    scenario: Scenario,
    seen: list[httpx.Request],
) -> None:
    with JenkinsSim(scenario, USER, TOKEN, crumb=False) as sim:
        adapter = connect(sim)
        await clock.advance(250)
        await adapter.rerun(await _poll_one(adapter))
        post = next(r for r in seen if r.method == "POST")
        assert "Jenkins-Crumb" not in post.headers and sim.stats.builds_queued == 1


async def test_the_live_console_reads_from_the_last_text_size(
    adapter_for: Factory, clock: FakeClock, seen: list[httpx.Request]
) -> None:
    adapter = adapter_for()
    assert isinstance(adapter, SupportsLiveLog)
    await clock.advance(150)
    run = await _poll_one(adapter)
    first = await adapter.read_log(run, run.jobs[0])
    assert (
        first.more and "Started by user" in first.text and "Running integration tests" in first.text
    )
    assert "\r" not in first.text and "\x1b" not in first.text and "ha:////" not in first.text
    assert seen[-1].url.params["start"] == "0"
    await clock.advance(100)
    second = await adapter.read_log(run, run.jobs[0], first.cursor)
    assert seen[-1].url.params["start"] == str(first.cursor.offset)
    assert "Started by user" not in second.text and "Killed" in second.text
    assert second.text.rstrip().endswith("Finished: FAILURE") and not second.more
    assert second.cursor.offset > first.cursor.offset


async def test_a_huge_console_is_probed_then_read_from_its_tail(
    connect: Callable[..., JenkinsAdapter],
    clock: FakeClock,
    scenario: Scenario,
    seen: list[httpx.Request],
) -> None:
    padding = 2 * 1024 * 1024
    with JenkinsSim(scenario, USER, TOKEN, console_padding=padding) as big:
        adapter = connect(big, tail_bytes=16 * 1024)
        await clock.advance(250)
        run = await _poll_one(adapter)
        consoles = [r for r in seen if r.url.path.endswith("/progressiveText")]
        starts = [int(r.url.params["start"]) for r in consoles]
        assert starts[0] == 0 and starts[1] > padding - 16 * 1024, "probed, then only the tail"
        assert run.triage is not None and run.triage.failure_class == "infra"
        log = await adapter.job_log(run, run.jobs[0])
        assert len(log.encode()) <= 16 * 1024 and log.rstrip().endswith("Finished: FAILURE")


async def test_a_freestyle_job_without_stage_view_still_polls(
    connect: Callable[..., JenkinsAdapter], clock: FakeClock, scenario: Scenario
) -> None:
    with JenkinsSim(scenario, USER, TOKEN, stage_view=False) as plain:
        adapter = connect(plain)
        await clock.advance(60)
        run = await _poll_one(adapter)
        assert (run.status, run.running_step, run.jobs[0].steps) == (RunStatus.RUNNING, "", ())


async def test_a_wrong_token_says_it_got_the_login_page(adapter_for: Factory) -> None:
    with pytest.raises(SourceError) as caught:
        await adapter_for(token="wrong").poll()
    error = caught.value
    assert error.kind is ErrorKind.AUTH and "HTTP 401" in error.message
    assert "login page" in error.message and "API token" in error.hint
    assert error.message.startswith("jk: ")


async def test_no_credentials_is_the_anonymous_403_page(adapter_for: Factory) -> None:
    with pytest.raises(SourceError) as caught:
        await adapter_for(user=None, token=None).poll()
    assert caught.value.kind is ErrorKind.AUTH
    assert "signed in as anonymous" in caught.value.message and "login page" in caught.value.message


async def test_a_login_proxy_page_is_not_json_and_says_so(
    connect: Callable[..., JenkinsAdapter], scenario: Scenario
) -> None:
    proxied = JenkinsSim(scenario, USER, TOKEN, login_page=True)
    with proxied, pytest.raises(SourceError) as caught:
        await connect(proxied, token="wrong").poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "login page" in caught.value.message and "user and API token" in caught.value.hint


async def test_an_unknown_job_is_not_found_by_name(adapter_for: Factory) -> None:
    with pytest.raises(SourceError) as caught:
        await adapter_for(reports("acme/ghost/main")).poll()
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert caught.value.message.startswith("jk: Jenkins job acme/ghost/main not found")


async def test_a_feature_branch_job(adapter_for: Factory) -> None:
    run = await _poll_one(adapter_for(reports("acme/reports/feature%2Fnext")))
    assert (run.branch, run.status) == ("feature/next", RunStatus.SUCCESS)


def test_the_adapter_is_a_ci_adapter_with_rerun_and_live_logs(adapter_for: Factory) -> None:
    adapter: CIAdapter = adapter_for()
    assert adapter.kind == "jenkins" and adapter.interval_s == 20.0
    assert (adapter.SUPPORTS_RERUN, adapter.SUPPORTS_LIVE_LOG, adapter.SUPPORTS_JOB_LOG) == (
        True,
        True,
        True,
    )
    assert all(isinstance(adapter, p) for p in (SupportsJobLog, SupportsLiveLog, SupportsRerun))
