"""The Jenkins simulator over HTTP, and the scenario's Jenkins-built service (reports).

Shapes follow Jenkins' remote access API (`api/json` with `tree=`, `_class` on every object),
Stapler's `LargeText.doProgressText` (`X-Text-Size`, `X-More-Data`, "text rolled over"), the
Pipeline Stage View plugin's `RunExt`/`StageNodeExt` and the default crumb issuer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.sim.jenkins import JenkinsSim
from cockpit.sim.jenkins_payloads import apply_tree
from cockpit.sim.scenario import Scenario
from cockpit.sources.ci.jenkins_api import BUILDS_TREE

USER, TOKEN = "ci-bot", "11d2c0ffee"
JOB = "/job/acme/job/reports/job/main"
# pipeline-stage-view-plugin RunExt and StageNodeExt (the wrapper hides stageFlowNodes).
RUN_KEYS = {"_links", "id", "name", "status", "startTimeMillis", "endTimeMillis"}
RUN_KEYS |= {"durationMillis", "queueDurationMillis", "pauseDurationMillis", "stages"}
STAGE_KEYS = {"_links", "id", "name", "execNode", "status", "startTimeMillis"}
STAGE_KEYS |= {"durationMillis", "pauseDurationMillis"}

Serve = Callable[..., tuple[JenkinsSim, httpx.Client]]


@pytest.fixture
def serve(clock: FakeClock) -> Iterator[Serve]:
    """A Jenkins sim whose scenario is `at` seconds in, and a client signed in as USER."""
    started: list[tuple[JenkinsSim, httpx.Client]] = []

    def factory(at: float = 0.0, **kwargs: Any) -> tuple[JenkinsSim, httpx.Client]:
        kwargs.setdefault("user", USER)
        kwargs.setdefault("token", TOKEN)
        scenario = Scenario(clock, start=clock.now() - timedelta(seconds=at))
        sim = JenkinsSim(scenario, **kwargs).start()
        client = httpx.Client(base_url=sim.url, auth=(USER, TOKEN), timeout=10)
        started.append((sim, client))
        return sim, client

    yield factory
    for sim, client in started:
        client.close()
        sim.stop()


def advance(clock: FakeClock, seconds: float) -> None:
    asyncio.run(clock.advance(seconds))


def _builds(client: httpx.Client, count: int = 20) -> list[dict[str, Any]]:
    response = client.get(f"{JOB}/api/json", params={"tree": BUILDS_TREE % count})
    assert response.status_code == 200
    builds: list[dict[str, Any]] = response.json()["builds"]
    return builds


# The scenario ---------------------------------------------------------------------------


def test_reports_is_built_by_jenkins_and_its_release_is_killed(scenario: Scenario) -> None:
    assert scenario.jenkins_services == ("reports",)
    assert scenario.jenkins_job("reports") == "acme/reports/main"
    assert scenario.jenkins_job("reports", "feature/next") == "acme/reports/feature%2Fnext"
    release = scenario.ci_runs("reports", scenario.at(250))[0]
    assert (release.conclusion, release.completed_at) == ("failure", scenario.at(197))
    assert release.plan.failure_kind == "infra" and release.plan.passes_on_rerun
    killed = next(s for s in release.plan.steps if s.fails)
    assert killed.name == "test" and "exit code 137" in killed.log[-1]
    rebuild = scenario.rerun(release.plan.run_id, at=scenario.at(250))
    state = scenario.ci_run(rebuild.run_id, scenario.at(600))
    assert state is not None and state.conclusion == "success"
    assert (rebuild.commit, rebuild.attempt, rebuild.retry_of) == (
        release.plan.commit,
        2,
        release.plan.run_id,
    )


# api/json and tree ----------------------------------------------------------------------


def test_the_builds_tree_returns_only_the_asked_fields(serve: Serve) -> None:
    sim, client = serve(at=100)
    builds = _builds(client, 5)
    assert len(builds) == 5
    newest = builds[0]
    assert set(newest) == {
        "_class",
        "number",
        "result",
        "building",
        "timestamp",
        "duration",
        "estimatedDuration",
        "url",
        "actions",
    }
    assert newest["_class"] == "org.jenkinsci.plugins.workflow.job.WorkflowRun"
    assert (newest["building"], newest["result"], newest["duration"]) == (True, None, 0)
    assert newest["url"] == f"{sim.url}{JOB}/{newest['number']}/"
    assert [b["number"] for b in builds] == list(range(newest["number"], newest["number"] - 5, -1))
    revisions = [a for a in newest["actions"] if "lastBuiltRevision" in a]
    assert [r["lastBuiltRevision"]["branch"][0]["name"] for r in revisions] == [
        "refs/remotes/origin/master",  # the shared library, checked out first
        "main",
    ]
    assert revisions[1]["lastBuiltRevision"]["SHA1"] == sim.scenario.release_commit("reports")
    assert {"_class": "hudson.model.CauseAction"} in newest["actions"]
    assert {} in newest["actions"], "an action without a class still shows, empty"
    done = builds[1]
    assert done["result"] in ("SUCCESS", "FAILURE") and done["duration"] > 0
    assert done["estimatedDuration"] > 0


def test_without_a_tree_builds_are_only_numbers_and_urls(serve: Serve) -> None:
    _, client = serve(at=0)
    body = client.get(f"{JOB}/api/json").json()
    assert body["_class"] == "org.jenkinsci.plugins.workflow.job.WorkflowJob"
    assert all(set(b) == {"_class", "number", "url"} for b in body["builds"])


def test_apply_tree_slices_and_nests() -> None:
    value = {"_class": "J", "a": 1, "b": [{"_class": "B", "x": 1, "y": 2}] * 5, "c": 3}
    assert apply_tree(value, "a,b[x]{1,3}") == {
        "_class": "J",
        "a": 1,
        "b": [{"_class": "B", "x": 1}] * 2,
    }


def test_branch_jobs_are_folders_with_encoded_names(serve: Serve) -> None:
    _, client = serve(at=0)
    feature = client.get("/job/acme/job/reports/job/feature%252Fnext/api/json")
    assert feature.status_code == 200 and len(feature.json()["builds"]) == 2
    missing = client.get("/job/acme/job/ghost/job/main/api/json")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert missing.headers["x-jenkins"]


# Auth, login pages and the crumb --------------------------------------------------------


def test_anonymous_gets_the_authentication_required_page(serve: Serve) -> None:
    sim, _ = serve()
    response = httpx.get(f"{sim.url}{JOB}/api/json")
    assert response.status_code == 403 and "Authentication required" in response.text
    assert "/login?from=" in response.text
    assert response.headers["x-you-are-authenticated-as"] == "anonymous"
    assert response.headers["x-jenkins"] and response.headers["x-jenkins-session"]


def test_a_wrong_token_gets_the_invalid_token_page(serve: Serve) -> None:
    sim, _ = serve()
    response = httpx.get(f"{sim.url}{JOB}/api/json", auth=(USER, "wrong"))
    assert (
        response.status_code == 401 and f"Invalid password/token for user: {USER}" in response.text
    )


def test_behind_a_login_proxy_wrong_credentials_get_a_200_login_form(serve: Serve) -> None:
    sim, _ = serve(login_page=True)
    response = httpx.get(f"{sim.url}{JOB}/api/json", auth=(USER, "wrong"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "Sign in [Jenkins]" in response.text and "j_password" in response.text


def test_posts_need_the_crumb(serve: Serve) -> None:
    sim, client = serve(at=250)
    refused = client.post(f"{JOB}/build")
    assert (
        refused.status_code == 403 and "No valid crumb was included in the request" in refused.text
    )
    crumb = client.get("/crumbIssuer/api/json").json()
    assert set(crumb) == {"_class", "crumb", "crumbRequestField"}
    assert crumb["crumbRequestField"] == "Jenkins-Crumb"
    queued = client.post(f"{JOB}/build", headers={"Jenkins-Crumb": crumb["crumb"]})
    assert queued.status_code == 201 and queued.headers["location"].startswith(
        f"{sim.url}/queue/item/"
    )
    sim.expire_crumbs()
    stale = client.post(f"{JOB}/build", headers={"Jenkins-Crumb": crumb["crumb"]})
    assert stale.status_code == 403


def test_without_csrf_protection_there_is_no_crumb_issuer(serve: Serve) -> None:
    _, client = serve(at=250, crumb=False)
    assert client.get("/crumbIssuer/api/json").status_code == 404
    assert client.post(f"{JOB}/build").status_code == 201


def test_a_rebuild_queues_then_runs_the_same_commit_and_passes(
    serve: Serve, clock: FakeClock
) -> None:
    sim, client = serve(at=250, crumb=False)
    failed = _builds(client)[0]
    assert failed["result"] == "FAILURE"
    location = client.post(f"{JOB}/build", params={"delay": "0sec"}).headers["location"]
    item = client.get(location.removeprefix(sim.url) + "api/json").json()
    assert item["_class"] == "hudson.model.Queue$WaitingItem" and "quiet period" in item["why"]
    assert _builds(client)[0]["number"] == failed["number"], "queued: not a build yet"
    advance(clock, 10)
    item = client.get(location.removeprefix(sim.url) + "api/json").json()
    assert item["_class"] == "hudson.model.Queue$LeftItem"
    assert item["executable"]["number"] == failed["number"] + 1
    advance(clock, 300)
    rebuilt = _builds(client)[0]
    assert (rebuilt["number"], rebuilt["result"]) == (failed["number"] + 1, "SUCCESS")
    sha = [a["lastBuiltRevision"]["SHA1"] for a in rebuilt["actions"] if "lastBuiltRevision" in a]
    assert sha[-1] == sim.scenario.release_commit("reports")
    assert client.post(f"{JOB}/buildWithParameters").status_code == 400


# Stages and the console -----------------------------------------------------------------


def test_wfapi_describe_follows_the_stage_view_plugin(serve: Serve) -> None:
    _, client = serve(at=150)
    number = _builds(client)[0]["number"]
    body = client.get(f"{JOB}/{number}/wfapi/describe").json()
    assert set(body) == RUN_KEYS and body["status"] == "IN_PROGRESS"
    assert body["_links"]["self"]["href"] == f"{JOB}/{number}/wfapi/describe"
    assert all(set(s) == STAGE_KEYS for s in body["stages"])
    assert [(s["name"], s["status"]) for s in body["stages"]] == [
        ("checkout", "SUCCESS"),
        ("setup", "SUCCESS"),
        ("build", "SUCCESS"),
        ("test", "IN_PROGRESS"),
    ]


def test_a_failed_stage_carries_its_error(serve: Serve) -> None:
    _, client = serve(at=250)
    number = _builds(client)[0]["number"]
    stages = client.get(f"{JOB}/{number}/wfapi/describe").json()["stages"]
    test = next(s for s in stages if s["name"] == "test")
    assert test["status"] == "FAILED"
    assert test["error"] == {
        "message": "script returned exit code 137",
        "type": "hudson.AbortException",
    }
    assert stages[-1]["status"] == "NOT_EXECUTED"


def test_without_the_stage_view_plugin_there_is_no_wfapi(serve: Serve) -> None:
    _, client = serve(at=150, stage_view=False)
    number = _builds(client)[0]["number"]
    assert client.get(f"{JOB}/{number}/wfapi/describe").status_code == 404


def test_progressive_text_offsets_are_raw_bytes_and_more_data_while_building(
    serve: Serve, clock: FakeClock
) -> None:
    _, client = serve(at=150)
    number = _builds(client)[0]["number"]
    path = f"{JOB}/{number}/logText/progressiveText"
    first = client.get(path, params={"start": 0})
    size = int(first.headers["x-text-size"])
    assert first.headers["x-more-data"] == "true"
    assert size > len(first.content), "console notes are stored but not sent"
    assert "\x1b" not in first.text and "\r\n" in first.text and "Started by user" in first.text
    nothing = client.get(path, params={"start": size})
    assert (nothing.content, int(nothing.headers["x-text-size"])) == (b"", size)
    advance(clock, 100)
    rest = client.get(path, params={"start": size})
    assert "x-more-data" not in rest.headers and rest.text.rstrip().endswith("Finished: FAILURE")
    assert "Started by user" not in rest.text, "only what was written since"
    rolled = client.get(path, params={"start": 10**9})
    assert "Started by user" in rolled.text, "a start past the end starts over"
