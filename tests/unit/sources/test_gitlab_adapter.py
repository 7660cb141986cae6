"""The GitLab CI adapter against the live GitLab sim on loopback (FakeClock scenario time)."""

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
from cockpit.sim.gitlab import GitLabSim
from cockpit.sim.scenario import Scenario
from cockpit.sources.ci.base import CIAdapter, SupportsJobLog
from cockpit.sources.ci.gitlab import GitLabCIAdapter, gitlab_headers
from cockpit.sources.ci.logs import SupportsLiveLog, SupportsRerun

from .conftest import START

TOKEN = "glpat-sim"
Factory = Callable[..., GitLabCIAdapter]


def ledger(project: str = "acme/ledger", **kwargs: Any) -> tuple[str, CiTarget]:
    kwargs.setdefault("branch", "main")
    return "ledger", CiTarget(source="gl", project=project, **kwargs)


@pytest.fixture
def gitlab(scenario: Scenario) -> Iterator[GitLabSim]:
    with GitLabSim(scenario, token=TOKEN, trace_ranges=True) as running:
        yield running


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


@pytest.fixture
def adapter_for(
    client: httpx.AsyncClient, clock: FakeClock, gitlab: GitLabSim, seen: list[httpx.Request]
) -> Factory:
    async def record(request: httpx.Request) -> None:
        seen.append(request)

    client.event_hooks["request"].append(record)

    def factory(*targets: tuple[str, CiTarget], **kwargs: Any) -> GitLabCIAdapter:
        base_url = kwargs.pop("base_url", gitlab.url)
        token = kwargs.pop("token", TOKEN)
        http = SourceHttp(client, "gl", base_url, headers=gitlab_headers(token), clock=clock)
        source = Source(kind="gitlab", url=base_url, interval=10.0)
        return GitLabCIAdapter("gl", source, list(targets) or [ledger()], http, **kwargs)

    return factory


async def _poll_one(adapter: GitLabCIAdapter) -> PipelineRun:
    (run,) = (await adapter.poll()).pipelines
    return run


async def test_the_ledger_release_runs_fails_on_a_flaky_test_and_is_triaged(
    adapter_for: Factory, clock: FakeClock, scenario: Scenario, gitlab: GitLabSim
) -> None:
    adapter = adapter_for()
    await clock.advance(5)
    queued = await _poll_one(adapter)
    assert (queued.status, queued.duration_s, queued.running_step) == (RunStatus.QUEUED, None, "")
    assert (queued.provider, queued.source, queued.branch) == ("gitlab", "gl", "main")
    assert queued.commit == scenario.release_commit("ledger") and queued.started_at == START
    assert queued.url == f"{gitlab.url}/acme/ledger/-/pipelines/{queued.run_id}"
    history = [p for p in scenario.ci_runs("ledger", scenario.at(5)) if p.plan.branch == "main"]
    expected = [r.conclusion for r in reversed(history[1:20])]
    assert [o.value for o in queued.recent_outcomes] == expected
    durations = [
        (r.plan.completed_at - r.plan.created_at).total_seconds() for r in reversed(history[1:20])
    ]
    assert list(queued.recent_durations_s) == durations

    await clock.advance(95)
    running = await _poll_one(adapter)
    assert (running.status, running.running_step, running.duration_s) == (
        RunStatus.RUNNING,
        "build",
        100.0,
    )
    assert [j.name for j in running.jobs] == ["checkout", "setup", "build", "test", "publish"]

    await clock.advance(100)
    failed = await _poll_one(adapter)
    assert (failed.status, failed.duration_s) == (RunStatus.FAILURE, 172.0)
    assert failed.triage is not None and failed.triage.failure_class == "flaky"
    assert any("known flaky: LEDGER-231" in line for line in failed.triage.evidence)
    assert failed.triage.action.startswith("flaky: re-run")
    assert {j.name: j.status for j in failed.jobs}["publish"] is RunStatus.CANCELLED
    assert failed.to_json()["triage"]["class"] == "flaky"


async def test_retrying_the_flaky_job_turns_the_same_pipeline_green(
    adapter_for: Factory, clock: FakeClock, gitlab: GitLabSim
) -> None:
    adapter = adapter_for()
    assert isinstance(adapter, SupportsRerun)
    await clock.advance(200)
    failed = await _poll_one(adapter)
    test = next(j for j in failed.jobs if j.name == "test")
    result = await adapter.rerun(failed, test)
    assert result.run_id == failed.run_id and result.job_id not in ("", test.job_id)
    assert result.url == f"{gitlab.url}/acme/ledger/-/jobs/{result.job_id}"
    await clock.advance(10)
    retrying = await _poll_one(adapter)
    assert (retrying.status, retrying.running_step) == (RunStatus.RUNNING, "test")
    await clock.advance(200)
    green = await _poll_one(adapter)
    assert (green.run_id, green.status, green.triage) == (failed.run_id, RunStatus.SUCCESS, None)
    jobs = await adapter.jobs(green)
    assert [(j.name, j.status) for j in jobs][-2:] == [
        ("test", RunStatus.SUCCESS),
        ("publish", RunStatus.SUCCESS),
    ]
    with pytest.raises(SourceError) as caught:
        await adapter.rerun(green, jobs[0])  # a successful job of a finished retry: refused
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and "not retryable" in caught.value.message


async def test_retrying_the_whole_pipeline(adapter_for: Factory, clock: FakeClock) -> None:
    adapter = adapter_for()
    await clock.advance(200)
    failed = await _poll_one(adapter)
    result = await adapter.rerun(failed)
    assert (result.run_id, result.job_id) == (failed.run_id, "")
    await clock.advance(300)
    assert (await _poll_one(adapter)).status is RunStatus.SUCCESS


async def test_an_unchanged_pipeline_costs_304s(
    adapter_for: Factory, clock: FakeClock, gitlab: GitLabSim
) -> None:
    adapter = adapter_for()
    await clock.advance(60)
    first = await _poll_one(adapter)
    http = adapter.http
    requests, not_modified = http.requests, http.not_modified
    second = await _poll_one(adapter)
    assert (http.requests - requests, http.not_modified - not_modified) == (2, 2)
    assert second == first and second.jobs == first.jobs
    assert http.rate_limit is not None and http.rate_limit.limit == gitlab.rate_limit
    await clock.advance(60)  # the pipeline moves on: the listing changes
    await _poll_one(adapter)
    assert http.not_modified - not_modified == 2


async def test_a_live_log_reads_only_the_new_bytes_with_range(
    adapter_for: Factory, clock: FakeClock, seen: list[httpx.Request]
) -> None:
    adapter = adapter_for()
    assert isinstance(adapter, SupportsLiveLog)
    await clock.advance(110)  # test is running: only its first line is written
    run = await _poll_one(adapter)
    test = next(j for j in run.jobs if j.name == "test")
    first = await adapter.read_log(run, test)
    assert first.more and "Running pytest" in first.text and "FAILED" not in first.text
    assert "\x1b" not in first.text and "section_start" not in first.text
    assert seen[-1].headers["range"] == f"bytes=-{adapter.tail_bytes}"
    await clock.advance(90)  # test failed
    run = await _poll_one(adapter)
    test = next(j for j in run.jobs if j.name == "test")
    second = await adapter.read_log(run, test, first.cursor)
    assert seen[-1].headers["range"] == f"bytes={first.cursor.offset}-"
    assert "Running pytest" not in second.text, "only what was written since"
    assert "known flaky" in second.text and "ERROR: Job failed: exit code 1" in second.text
    assert not second.more and second.cursor.offset > first.cursor.offset
    third = await adapter.read_log(run, test, second.cursor)
    assert (third.text, third.cursor.offset) == ("", second.cursor.offset)  # a 416: nothing new


async def test_without_range_support_the_trace_is_sliced(
    client: httpx.AsyncClient, clock: FakeClock, scenario: Scenario
) -> None:
    with GitLabSim(scenario, token=TOKEN) as plain:
        http = SourceHttp(client, "gl", plain.api_url, headers=gitlab_headers(TOKEN), clock=clock)
        adapter = GitLabCIAdapter("gl", Source(kind="gitlab", url=plain.api_url), [ledger()], http)
        await clock.advance(110)
        run = await _poll_one(adapter)
        test = next(j for j in run.jobs if j.name == "test")
        first = await adapter.read_log(run, test)
        await clock.advance(90)
        second = await adapter.read_log(run, test, first.cursor)
        assert "Running pytest" in first.text and "Running pytest" not in second.text
        assert "known flaky" in second.text


async def test_a_huge_trace_is_read_as_a_bounded_tail(
    client: httpx.AsyncClient, clock: FakeClock, scenario: Scenario
) -> None:
    padding = 3 * 1024 * 1024
    for ranges in (True, False):
        with GitLabSim(scenario, token=TOKEN, trace_ranges=ranges, trace_padding=padding) as big:
            http = SourceHttp(client, "gl", big.url, headers=gitlab_headers(TOKEN), clock=clock)
            source = Source(kind="gitlab", url=big.url)
            adapter = GitLabCIAdapter("gl", source, [ledger()], http, tail_bytes=32 * 1024)
            if scenario.elapsed() < 200:
                await clock.advance(200)
            run = await _poll_one(adapter)
            test = next(j for j in run.jobs if j.name == "test")
            chunk = await adapter.read_log(run, test)
            assert chunk.skipped_bytes > padding - 32 * 1024, ranges
            assert len(chunk.text.encode()) <= 32 * 1024
            assert chunk.text.rstrip().endswith("ERROR: Job failed: exit code 1")
            assert run.triage is not None and run.triage.failure_class == "flaky"


async def test_a_numeric_project_id_works_too(adapter_for: Factory, scenario: Scenario) -> None:
    pid = str(scenario.gitlab_project_id("ledger"))
    run = await _poll_one(adapter_for(ledger(pid)))
    assert run.commit == scenario.release_commit("ledger")


async def test_an_empty_project_has_no_runs(adapter_for: Factory) -> None:
    data = await adapter_for(
        ("empty", CiTarget(source="gl", project="acme/empty")), ledger()
    ).poll()
    assert [p.service for p in data.pipelines] == ["ledger"]


async def test_a_deleted_project_is_not_found_by_name(adapter_for: Factory) -> None:
    with pytest.raises(SourceError) as caught:
        await adapter_for(ledger("acme/deleted")).poll()
    assert caught.value.kind is ErrorKind.NOT_FOUND and caught.value.source == "gl"
    assert caught.value.message.startswith("gl: project acme/deleted not found")


@pytest.mark.parametrize("token", ["wrong", None], ids=["bad-token", "no-token"])
async def test_a_refused_token_is_an_auth_error_naming_the_source(
    adapter_for: Factory, token: str | None
) -> None:
    with pytest.raises(SourceError) as caught:
        await adapter_for(token=token).poll()
    assert caught.value.kind is ErrorKind.AUTH and "HTTP 401" in caught.value.message
    assert caught.value.message.startswith("gl: ")


def test_the_adapter_is_a_ci_adapter_with_rerun_and_live_logs(adapter_for: Factory) -> None:
    adapter: CIAdapter = adapter_for()
    assert adapter.kind == "gitlab" and adapter.interval_s == 10.0
    assert (adapter.SUPPORTS_RERUN, adapter.SUPPORTS_LIVE_LOG, adapter.SUPPORTS_JOB_LOG) == (
        True,
        True,
        True,
    )
    assert all(isinstance(adapter, p) for p in (SupportsJobLog, SupportsLiveLog, SupportsRerun))
