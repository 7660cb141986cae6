"""The GitLab CI simulator over HTTP, and the scenario's GitLab-hosted service (ledger).

Bodies are checked field for field against GitLab's API documentation (doc/api/pipelines.md and
doc/api/jobs.md): the documented keys, their types, GitLab's timestamp form.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.sim.gitlab import GitLabSim
from cockpit.sim.scenario import HISTORY_RUNS, Scenario

TOKEN = "glpat-sim"
LEDGER = "acme%2Fledger"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# doc/api/pipelines.md, "List project pipelines": the keys of each listed pipeline.
LISTED = {"id", "iid", "project_id", "status", "source", "ref", "sha", "name", "web_url"}
LISTED |= {"created_at", "updated_at"}
# "Get a single pipeline" adds these.
SINGLE = LISTED | {"before_sha", "tag", "yaml_errors", "user", "started_at", "finished_at"}
SINGLE |= {"committed_at", "duration", "queued_duration", "coverage", "detailed_status"}
# doc/api/jobs.md, "List pipeline jobs" example keys (failure_reason only on failed jobs) ...
JOB = {"commit", "coverage", "allow_failure", "created_at", "started_at", "finished_at"}
JOB |= {"duration", "queued_duration", "artifacts_expire_at", "tag_list", "id", "name"}
JOB |= {"pipeline", "ref", "artifacts", "runner", "stage", "status", "tag", "web_url"}
JOB |= {"project", "user"}
# ... and keys newer versions of the same page document.
JOB_EXTRA = {"archived", "erased_at", "failure_reason"}

Serve = Callable[..., tuple[GitLabSim, httpx.Client]]


@pytest.fixture
def serve(clock: FakeClock) -> Iterator[Serve]:
    """A GitLab sim whose scenario is `at` seconds in, and a client with the token."""
    started: list[tuple[GitLabSim, httpx.Client]] = []

    def factory(at: float = 0.0, **kwargs: Any) -> tuple[GitLabSim, httpx.Client]:
        kwargs.setdefault("token", TOKEN)
        scenario = Scenario(clock, start=clock.now() - timedelta(seconds=at))
        sim = GitLabSim(scenario, **kwargs).start()
        client = httpx.Client(base_url=sim.api_url, headers={"PRIVATE-TOKEN": TOKEN}, timeout=10)
        started.append((sim, client))
        return sim, client

    yield factory
    for sim, client in started:
        client.close()
        sim.stop()


def _pipelines(client: httpx.Client, **params: Any) -> httpx.Response:
    return client.get(f"/projects/{LEDGER}/pipelines", params=params)


# The scenario ---------------------------------------------------------------------------


def test_ledger_is_on_gitlab_and_not_served_as_a_github_repo(scenario: Scenario) -> None:
    assert scenario.gitlab_services == ("ledger",)
    assert "ledger" not in scenario.services and "ledger" in scenario.all_services
    assert scenario.repo("ledger") == "acme/ledger"
    ids = [p.run_id for s in scenario.all_services for p in scenario.ci_plans(s)]
    assert len(ids) == len(set(ids)), "run ids are unique across every CI system"


def test_ledger_history_has_a_flaky_failure_that_passed_on_a_same_sha_rerun(
    scenario: Scenario,
) -> None:
    main = [
        p
        for p in scenario.ci_plans("ledger")
        if p.branch == "main" and p.created_at < scenario.start
    ]
    assert len(main) == HISTORY_RUNS + 2
    failed, passed = main[-2], main[-1]
    assert failed.commit == passed.commit and (failed.attempt, passed.attempt) == (1, 2)
    assert failed.failure_kind == "flaky" and any(s.fails for s in failed.steps)
    assert passed.event == "web" and not any(s.fails for s in passed.steps)


def test_the_ledger_release_fails_on_the_flaky_test_and_a_retry_passes(scenario: Scenario) -> None:
    release = scenario.ci_runs("ledger", scenario.at(200))[0]
    assert (release.status, release.conclusion, release.plan.release) == (
        "completed",
        "failure",
        True,
    )
    assert release.completed_at == scenario.at(172)
    test = next(s for s in release.plan.steps if s.fails)
    assert test.name == "test" and any("known flaky" in line for line in test.log)
    retry = scenario.rerun(release.plan.run_id, at=scenario.at(200), from_step=3, in_place=True)
    assert [s.name for s in retry.steps] == ["test", "publish"] and retry.first_step == 3
    assert not any(s.fails for s in retry.steps) and retry.attempt == 2
    assert scenario.retries_of(release.plan.run_id) == (retry,)
    assert retry not in scenario.ci_plans("ledger"), "an in-place retry is not a new pipeline"


def test_a_code_failure_fails_again_on_rerun(scenario: Scenario) -> None:
    failed = scenario.ci_runs("payments", scenario.at(200))[0]
    again = scenario.rerun(failed.plan.run_id, at=scenario.at(200))
    assert again in scenario.ci_plans("payments") and again.commit == failed.plan.commit
    state = scenario.ci_run(again.run_id, scenario.at(600))
    assert state is not None and state.conclusion == "failure"
    with pytest.raises(KeyError):
        scenario.rerun(failed.plan.run_id + 1)


# Pipelines ------------------------------------------------------------------------------


def test_pipelines_are_listed_newest_first_with_the_documented_fields(serve: Serve) -> None:
    sim, client = serve(at=100)
    response = _pipelines(client, ref="main", per_page=5, order_by="id", sort="desc")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 5 and all(set(p) == LISTED for p in body)
    ids = [p["id"] for p in body]
    assert ids == sorted(ids, reverse=True)
    newest = body[0]
    scenario = sim.scenario
    assert newest["sha"] == scenario.release_commit("ledger") and newest["status"] == "running"
    assert newest["project_id"] == scenario.gitlab_project_id("ledger")
    assert newest["web_url"] == f"{sim.url}/acme/ledger/-/pipelines/{newest['id']}"
    assert all(TIMESTAMP.match(p["created_at"]) and TIMESTAMP.match(p["updated_at"]) for p in body)
    assert {p["ref"] for p in body} == {"main"}


def test_offset_pagination_headers_and_links(serve: Serve) -> None:
    _, client = serve(at=0)
    first = _pipelines(client, ref="main", per_page=10)
    total = int(first.headers["x-total"])
    assert total == HISTORY_RUNS + 3  # history, the same-SHA pair, the release
    assert (first.headers["x-page"], first.headers["x-per-page"]) == ("1", "10")
    assert (first.headers["x-total-pages"], first.headers["x-next-page"]) == ("3", "2")
    assert first.headers["x-prev-page"] == ""
    assert 'rel="next"' in first.headers["link"] and 'rel="last"' in first.headers["link"]
    last = _pipelines(client, ref="main", per_page=10, page=3)
    assert len(last.json()) == total - 20 and last.headers["x-next-page"] == ""
    seen = [
        p["id"]
        for page in (1, 2, 3)
        for p in _pipelines(client, ref="main", per_page=10, page=page).json()
    ]
    assert len(set(seen)) == total


def test_a_single_pipeline_has_the_documented_fields(serve: Serve) -> None:
    sim, client = serve(at=200)
    newest = _pipelines(client, ref="main").json()[0]
    body = client.get(f"/projects/{LEDGER}/pipelines/{newest['id']}").json()
    assert set(body) == SINGLE
    assert body["status"] == "failed" and body["finished_at"] == _ts(sim.scenario.at(172))
    assert isinstance(body["duration"], int) and body["user"]["username"]


def test_numeric_ids_empty_projects_and_unknown_projects(serve: Serve) -> None:
    sim, client = serve(at=0)
    pid = sim.scenario.gitlab_project_id("ledger")
    assert client.get(f"/projects/{pid}/pipelines").json()[0]["project_id"] == pid
    assert client.get("/projects/acme%2Fempty/pipelines").json() == []
    missing = client.get("/projects/acme%2Fghost/pipelines")
    assert missing.status_code == 404 and missing.json() == {"message": "404 Project Not Found"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"PRIVATE-TOKEN": "wrong"}, {"Authorization": "Bearer wrong"}],
    ids=["none", "wrong-private-token", "wrong-bearer"],
)
def test_a_missing_or_wrong_token_is_401(serve: Serve, headers: dict[str, str]) -> None:
    sim, _ = serve()
    response = httpx.get(f"{sim.api_url}/projects/{LEDGER}/pipelines", headers=headers)
    assert response.status_code == 401 and response.json() == {"message": "401 Unauthorized"}
    ok = httpx.get(
        f"{sim.api_url}/projects/{LEDGER}/pipelines", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert ok.status_code == 200


def test_weak_etags_answer_304_and_every_request_counts_against_the_rate_limit(
    serve: Serve,
) -> None:
    sim, client = serve(at=100, rate_limit=3)
    first = _pipelines(client)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    again = client.get(f"/projects/{LEDGER}/pipelines", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert (again.headers["ratelimit-limit"], again.headers["ratelimit-remaining"]) == ("3", "1")
    assert again.headers["ratelimit-observed"] == "2" and int(again.headers["ratelimit-reset"]) > 0
    assert "GMT" in again.headers["ratelimit-resettime"]
    _pipelines(client)
    limited = _pipelines(client)
    assert limited.status_code == 429 and limited.text == "Retry later\n"
    assert int(limited.headers["retry-after"]) > 0
    assert sim.stats.not_modified == 1


# Jobs, traces and retries ---------------------------------------------------------------


def _release_jobs(client: httpx.Client, **params: Any) -> tuple[int, list[dict[str, Any]]]:
    pipeline = _pipelines(client, ref="main").json()[0]
    jobs = client.get(f"/projects/{LEDGER}/pipelines/{pipeline['id']}/jobs", params=params)
    return pipeline["id"], jobs.json()


def test_jobs_are_stages_newest_first_with_the_documented_fields(serve: Serve) -> None:
    _, client = serve(at=200)
    _, jobs = _release_jobs(client)
    assert [j["name"] for j in jobs] == ["publish", "test", "build", "setup", "checkout"]
    for job in jobs:
        assert JOB <= set(job) <= JOB | JOB_EXTRA, set(job) ^ JOB
        assert isinstance(job["id"], int) and TIMESTAMP.match(job["created_at"])
    statuses = {j["name"]: j["status"] for j in jobs}
    assert statuses == {
        "checkout": "success",
        "setup": "success",
        "build": "success",
        "test": "failed",
        "publish": "skipped",
    }
    test = next(j for j in jobs if j["name"] == "test")
    assert test["failure_reason"] == "script_failure" and isinstance(test["duration"], float)
    assert test["commit"]["id"] == test["pipeline"]["sha"]


def test_queued_and_running_jobs_use_gitlabs_statuses(serve: Serve) -> None:
    _, client = serve(at=5)
    _, jobs = _release_jobs(client)
    assert [j["status"] for j in reversed(jobs)] == [
        "pending",
        "created",
        "created",
        "created",
        "created",
    ]
    _, client = serve(at=60)
    _, jobs = _release_jobs(client)
    assert [j["status"] for j in reversed(jobs)] == [
        "success",
        "success",
        "running",
        "created",
        "created",
    ]


def test_retrying_the_flaky_job_passes_in_the_same_pipeline(serve: Serve, clock: FakeClock) -> None:
    sim, client = serve(at=200)
    pipeline_id, jobs = _release_jobs(client)
    test = next(j for j in jobs if j["name"] == "test")
    retried = client.post(f"/projects/{LEDGER}/jobs/{test['id']}/retry")
    assert retried.status_code == 201
    new = retried.json()
    assert (new["status"], new["name"], new["pipeline"]["id"]) == ("pending", "test", pipeline_id)
    assert new["id"] != test["id"] and sim.stats.retries == 1
    advance(clock, 400)
    pipeline = client.get(f"/projects/{LEDGER}/pipelines/{pipeline_id}").json()
    assert pipeline["status"] == "success"
    _, latest = _release_jobs(client)
    assert {j["name"]: j["status"] for j in latest}["test"] == "success"
    assert len(latest) == 5
    _, everything = _release_jobs(client, include_retried="true")
    assert len(everything) == 6 and test["id"] in {j["id"] for j in everything}


def test_only_finished_failed_jobs_can_be_retried(serve: Serve) -> None:
    _, client = serve(at=200)
    _, jobs = _release_jobs(client)
    build = next(j for j in jobs if j["name"] == "build")
    refused = client.post(f"/projects/{LEDGER}/jobs/{build['id']}/retry")
    assert refused.status_code == 403 and "not retryable" in refused.json()["message"]


def test_retrying_a_pipeline_retries_its_failed_jobs(serve: Serve) -> None:
    _, client = serve(at=200)
    pipeline_id, _ = _release_jobs(client)
    response = client.post(f"/projects/{LEDGER}/pipelines/{pipeline_id}/retry")
    assert response.status_code == 201 and set(response.json()) == SINGLE
    assert response.json()["status"] == "running"


def test_traces_are_plain_text_with_runner_escapes(serve: Serve) -> None:
    _, client = serve(at=200)
    _, jobs = _release_jobs(client)
    test = next(j for j in jobs if j["name"] == "test")
    response = client.get(
        f"/projects/{LEDGER}/jobs/{test['id']}/trace", headers={"Range": "bytes=10-"}
    )
    assert response.status_code == 200, "GitLab documents no Range support for traces"
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "\x1b[" in text and "section_start:" in text and "known flaky" in text
    assert text.rstrip().endswith("ERROR: Job failed: exit code 1\x1b[0;m")


def test_trace_ranges_when_enabled(serve: Serve) -> None:
    _, client = serve(at=200, trace_ranges=True)
    _, jobs = _release_jobs(client)
    path = f"/projects/{LEDGER}/jobs/{next(j['id'] for j in jobs if j['name'] == 'test')}/trace"
    whole = client.get(path).content
    tail = client.get(path, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == whole[-100:]
    assert (
        tail.headers["content-range"] == f"bytes {len(whole) - 100}-{len(whole) - 1}/{len(whole)}"
    )
    rest = client.get(path, headers={"Range": "bytes=50-"})
    assert rest.status_code == 206 and rest.content == whole[50:]
    past = client.get(path, headers={"Range": f"bytes={len(whole)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(whole)}"


def advance(clock: FakeClock, seconds: float) -> None:
    """Move scenario time on from a synchronous test (nothing sleeps on this clock)."""
    asyncio.run(clock.advance(seconds))


def _ts(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
