"""The Jenkins adapter against httpx.MockTransport with recorded-shape answers.

Builds start from the Jenkins sim's builders (a WorkflowRun exported by `api/json`, narrowed by
the adapter's own `tree`) and are edited per test.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus
from cockpit.sim import jenkins_payloads as payloads
from cockpit.sim.scenario import Scenario
from cockpit.sources.ci.jenkins import JenkinsAdapter, jenkins_auth_headers, job_path
from cockpit.sources.ci.jenkins_api import BUILDS_TREE, map_result, map_stage

from .conftest import START

ROOT = "https://jenkins.example.com/ci"
JOB_URL = f"{ROOT}/job/acme/job/reports/job/main/"
SHA, OTHER = "a" * 40, "b" * 40
Handler = Callable[[httpx.Request], httpx.Response]


def _recorded() -> dict[str, Any]:
    scenario = Scenario(FakeClock(START))
    state = scenario.ci_runs("reports", scenario.at(250))[0]
    view = payloads.BuildView(21, state, JOB_URL, "f" * 40)
    return payloads.build(view, None, 240_000, scenario.at(250))


_BUILD = _recorded()


def build(
    number: int, result: str | None = "SUCCESS", sha: str = SHA, **overrides: Any
) -> dict[str, Any]:
    body = copy.deepcopy(_BUILD)
    body.update(number=number, id=str(number), result=result, url=f"{JOB_URL}{number}/")
    body.update(building=result is None, duration=0 if result is None else 200_000)
    body["timestamp"] = int(START.timestamp() * 1000) - (100 - number) * 600_000
    for action in body["actions"]:
        revision = action.get("lastBuiltRevision")
        if revision and revision["branch"][0]["name"] == "main":
            revision["SHA1"] = revision["branch"][0]["SHA1"] = sha
    body.update(overrides)
    return body


def builds_answer(*items: dict[str, Any]) -> httpx.Response:
    job = {"_class": payloads.WORKFLOW_JOB, "builds": list(items)}
    return httpx.Response(
        200, json=payloads.apply_tree(job, BUILDS_TREE % 20), headers={"X-Jenkins": "2.479.1"}
    )


def console(text: bytes, size: int, more: bool = False) -> httpx.Response:
    headers = {"Content-Type": "text/plain;charset=UTF-8", "X-Text-Size": str(size)}
    if more:
        headers["X-More-Data"] = "true"
    return httpx.Response(200, content=text, headers=headers)


def html(status: int, body: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, text=body, headers={"Content-Type": "text/html;charset=utf-8", **headers}
    )


@dataclass
class Mock:
    adapter: JenkinsAdapter
    seen: list[httpx.Request] = field(default_factory=list)


def mock(handler: Handler, job: str = "acme/reports/main", **kwargs: Any) -> Mock:
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(recording))
    headers = jenkins_auth_headers("ci-bot", "11d2")
    http = SourceHttp(client, "jk", ROOT, headers=headers, clock=FakeClock(START))
    target = CiTarget(source="jk", job=job, branch=kwargs.pop("branch", None))
    source = Source(kind="jenkins", url=ROOT)
    return Mock(JenkinsAdapter("jk", source, [("reports", target)], http, **kwargs), seen)


def run(number: int = 21, status: RunStatus = RunStatus.RUNNING) -> PipelineRun:
    return PipelineRun("reports", "jenkins", str(number), "acme/reports/main", status)


@pytest.mark.parametrize(
    ("result", "building", "expected"),
    [
        (None, True, RunStatus.RUNNING),
        ("FAILURE", True, RunStatus.RUNNING),  # result set during post-build: still running
        ("SUCCESS", False, RunStatus.SUCCESS),
        ("FAILURE", False, RunStatus.FAILURE),
        ("UNSTABLE", False, RunStatus.FAILURE),
        ("ABORTED", False, RunStatus.CANCELLED),
        ("NOT_BUILT", False, RunStatus.CANCELLED),
        (None, False, RunStatus.UNKNOWN),
        ("WEIRD", False, RunStatus.UNKNOWN),
    ],
)
def test_result_mapping(result: str | None, building: bool, expected: RunStatus) -> None:
    assert map_result(result, building) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("SUCCESS", RunStatus.SUCCESS),
        ("FAILED", RunStatus.FAILURE),
        ("UNSTABLE", RunStatus.FAILURE),
        ("ABORTED", RunStatus.CANCELLED),
        ("NOT_EXECUTED", RunStatus.CANCELLED),
        ("SKIPPED", RunStatus.CANCELLED),
        ("IN_PROGRESS", RunStatus.RUNNING),
        ("PAUSED_PENDING_INPUT", RunStatus.RUNNING),
        ("???", RunStatus.UNKNOWN),
    ],
)
def test_stage_mapping(status: str, expected: RunStatus) -> None:
    assert map_stage(status) is expected


def test_job_paths_are_nested_and_encoded() -> None:
    assert job_path("billing/main") == "/job/billing/job/main"
    assert job_path("/acme/reports/feature%2Fnext/") == "/job/acme/job/reports/job/feature%252Fnext"
    assert jenkins_auth_headers("u", None) == {"Accept": "application/json"}
    assert jenkins_auth_headers("u", "t")["Authorization"] == "Basic dTp0"


async def test_the_builds_request_asks_for_a_bounded_tree() -> None:
    m = mock(lambda request: builds_answer(build(20)))
    (pipeline,) = (await m.adapter.poll()).pipelines
    (request,) = m.seen
    assert request.url.path == "/ci/job/acme/job/reports/job/main/api/json"
    assert request.url.params["tree"] == (
        "builds[number,result,building,timestamp,duration,estimatedDuration,url,"
        "actions[lastBuiltRevision[SHA1,branch[name]]]]{0,20}"
    )
    assert request.headers["Authorization"] == "Basic Y2ktYm90OjExZDI="
    assert (pipeline.status, pipeline.commit, pipeline.duration_s) == (
        RunStatus.SUCCESS,
        SHA,
        200.0,
    )


async def test_the_configured_branch_picks_the_revision_not_the_shared_library() -> None:
    m = mock(lambda request: builds_answer(build(20)), job="acme/reports/main", branch="main")
    (pipeline,) = (await m.adapter.poll()).pipelines
    assert (pipeline.commit, pipeline.branch) == (SHA, "main")
    other = mock(lambda request: builds_answer(build(20)), job="legacy-reports", branch="develop")
    (first,) = (await other.adapter.poll()).pipelines
    assert first.commit == "f" * 40, "no match: the first revision, as Jenkins lists it"


async def test_an_empty_job_has_no_runs_and_an_unknown_one_is_not_found() -> None:
    assert (await mock(lambda request: builds_answer()).adapter.poll()).pipelines == ()
    missing = mock(lambda request: html(404, "<html><body>Not Found</body></html>"))
    with pytest.raises(SourceError) as caught:
        await missing.adapter.poll()
    assert caught.value.kind is ErrorKind.NOT_FOUND and "acme/reports/main" in caught.value.message


async def test_remote_text_in_builds_and_stages_is_sanitised() -> None:
    evil = build(20, None)
    evil["url"] = f"{JOB_URL}20/\x1b]8;;http://evil\x07"
    for action in evil["actions"]:
        if "lastBuiltRevision" in action:
            action["lastBuiltRevision"]["branch"][0]["name"] = "main\x1b[2J"
    stage = {"name": "build \x1b[31mred\x1b[0m\x9b6n", "status": "IN_PROGRESS"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/wfapi/describe"):
            return httpx.Response(200, json={"status": "IN_PROGRESS", "stages": [stage]})
        return builds_answer(evil)

    (pipeline,) = (await mock(handler).adapter.poll()).pipelines
    assert "\x1b" not in pipeline.url and "\x07" not in pipeline.url
    assert "\x1b" not in pipeline.branch
    assert pipeline.running_step == "build red"


# The console ----------------------------------------------------------------------------


async def test_the_next_start_is_x_text_size_not_the_bytes_received() -> None:
    raw_size = 500  # the raw log holds console notes the text does not show

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["start"] == "0":
            return console(b"Started by user Ada\r\n+ make\r\npart", raw_size, more=True)
        return console(b"ial\r\nFinished: SUCCESS\r\n", raw_size + 40)

    m = mock(handler)
    first = await m.adapter.read_log(run(), Job("21", "main", RunStatus.RUNNING))
    assert (first.text, first.more, first.cursor.offset) == (
        "Started by user Ada\n+ make\n",
        True,
        500,
    )
    second = await m.adapter.read_log(run(), Job("21", "main", RunStatus.RUNNING), first.cursor)
    assert m.seen[-1].url.params["start"] == "500"
    assert (second.text, second.more) == ("partial\nFinished: SUCCESS\n", False)


async def test_a_console_that_rolled_over_starts_again() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return console(b"new build log\r\n", 15, more=True)

    m = mock(handler)
    stale = await m.adapter.read_log(run(), Job("21", "main", RunStatus.RUNNING))
    moved = type(stale.cursor)("21", 9_999, b"half a li")
    chunk = await m.adapter.read_log(run(), Job("21", "main", RunStatus.RUNNING), moved)
    assert chunk.text == "new build log\n" and chunk.cursor.offset == 15


async def test_a_huge_console_is_probed_then_read_from_its_tail() -> None:
    size = 100 * 1024 * 1024

    async def never_read() -> AsyncIterator[bytes]:
        raise AssertionError("the probe must not read a 100 MB body")
        yield b""  # pragma: no cover

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        if start == 0:
            headers = {"Content-Type": "text/plain", "X-Text-Size": str(size)}
            return httpx.Response(200, content=never_read(), headers=headers)
        return console(
            b"tail of a line\nERROR: script returned exit code 137\nFinished: FAILURE\n", size
        )

    m = mock(handler, tail_bytes=64 * 1024)
    chunk = await m.adapter.read_log(
        run(status=RunStatus.FAILURE), Job("21", "main", RunStatus.FAILURE)
    )
    assert [r.url.params["start"] for r in m.seen] == ["0", str(size - 64 * 1024)]
    assert chunk.text == "ERROR: script returned exit code 137\nFinished: FAILURE\n"
    assert chunk.skipped_bytes == size - 64 * 1024 and chunk.cursor.offset == size


async def test_console_escapes_notes_and_invalid_utf8_are_stripped() -> None:
    text = b"\x1b[8mha:////4H+H6gi=\x1b[0mAda \x1b[1;31mred\x1b[0m \xff\xfe\r\n"
    text += b"clear\x1b[2J\x1b]0;t\x07\r\n"
    m = mock(lambda request: console(text, len(text)))
    chunk = await m.adapter.read_log(
        run(status=RunStatus.SUCCESS), Job("21", "main", RunStatus.SUCCESS)
    )
    assert chunk.text == "Ada red \ufffd\ufffd\nclear\n"


# Triage ---------------------------------------------------------------------------------


def _failed(history: list[dict[str, Any]], log: bytes) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/progressiveText"):
            return console(log, len(log))
        if request.url.path.endswith("/wfapi/describe"):
            return httpx.Response(404, text="not here")
        return builds_answer(build(21, "FAILURE"), *history)

    return handler


async def test_a_failure_whose_same_sha_rebuild_passed_is_flaky() -> None:
    log = b"FAILED tests/test_sums.py::test_total - AssertionError: assert 3 == 4\n"
    log += b"Finished: FAILURE\n"
    m = mock(_failed([build(20, "SUCCESS"), build(19, "SUCCESS", sha=OTHER)], log))
    (pipeline,) = (await m.adapter.poll()).pipelines
    assert pipeline.triage is not None and pipeline.triage.failure_class == "flaky"
    assert (
        pipeline.triage.evidence[0]
        == f"history: the job passed on attempt 1 of the same commit {SHA[:7]}"
    )
    assert pipeline.jobs[0].steps == ()  # no Stage View: no stages, still triaged
    await m.adapter.poll()
    assert len([r for r in m.seen if r.url.path.endswith("/progressiveText")]) == 1


async def test_an_unstable_build_is_a_code_failure() -> None:
    log = b"[ERROR] Tests run: 12, Failures: 1\n"
    log += b"[ERROR] ReportTest.totals:42 expected:<3> but was:<4>\n"
    history = [build(20, "SUCCESS", sha=OTHER)]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/api/json"):
            return builds_answer(build(21, "UNSTABLE"), *history)
        return _failed(history, log)(request)

    (pipeline,) = (await mock(handler).adapter.poll()).pipelines
    assert pipeline.status is RunStatus.FAILURE
    assert pipeline.triage is not None and pipeline.triage.failure_class == "code"


# Auth, crumbs and rebuilds --------------------------------------------------------------


async def test_a_200_login_page_is_a_bad_response_naming_the_login_page() -> None:
    m = mock(lambda request: html(200, "<!DOCTYPE html><html><title>Sign in [Jenkins]</title>"))
    with pytest.raises(SourceError) as caught:
        await m.adapter.poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and "login page" in caught.value.message


async def test_a_403_from_jenkins_is_an_auth_error_about_the_login_page() -> None:
    page = html(403, "<html>Authentication required</html>", **{"X-Jenkins": "2.479.1"})
    with pytest.raises(SourceError) as caught:
        await mock(lambda request: page).adapter.poll()
    assert caught.value.kind is ErrorKind.AUTH and "login page" in caught.value.message
    assert "API token" in caught.value.hint


def _rebuild_world(posted: list[httpx.Request], *, crumb: bool, valid: bool) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/crumbIssuer/api/json"):
            if not crumb:
                return html(404, "<html>Not Found</html>")
            body = {"_class": "hudson.security.csrf.DefaultCrumbIssuer", "crumb": "c0ffee"}
            return httpx.Response(200, json={**body, "crumbRequestField": "Jenkins-Crumb"})
        if request.method == "POST":
            posted.append(request)
            if crumb and not valid:
                return html(403, "<html>No valid crumb was included in the request</html>")
            return httpx.Response(201, headers={"Location": f"{ROOT}/queue/item/7/"})
        parameters = [
            {"_class": "hudson.model.StringParameterValue", "name": "GIT_SHA", "value": SHA}
        ]
        return httpx.Response(200, json={"actions": [{}, {"parameters": parameters}]})

    return handler


async def test_a_rebuild_reposts_the_parameters_with_the_crumb() -> None:
    posted: list[httpx.Request] = []
    m = mock(_rebuild_world(posted, crumb=True, valid=True))
    result = await m.adapter.rerun(run(21, RunStatus.FAILURE))
    (post,) = posted
    assert post.url.path == "/ci/job/acme/job/reports/job/main/buildWithParameters"
    assert dict(post.url.params) == {"GIT_SHA": SHA, "delay": "0sec"}
    assert post.headers["Jenkins-Crumb"] == "c0ffee"
    assert result.url == f"{ROOT}/queue/item/7/" and result.run_id == "21"
    parameters = m.seen[0]
    assert parameters.url.params["tree"] == "actions[parameters[name,value]]"


async def test_a_missing_crumb_issuer_means_no_crumb() -> None:
    posted: list[httpx.Request] = []
    await mock(_rebuild_world(posted, crumb=False, valid=True)).adapter.rerun(run(21))
    assert "Jenkins-Crumb" not in posted[0].headers


async def test_a_crumb_refused_twice_is_a_clear_auth_error() -> None:
    posted: list[httpx.Request] = []
    m = mock(_rebuild_world(posted, crumb=True, valid=False))
    with pytest.raises(SourceError) as caught:
        await m.adapter.rerun(run(21))
    assert len(posted) == 2, "one fresh crumb, then give up"
    assert caught.value.kind is ErrorKind.AUTH
    assert "no valid crumb was included in the request" in caught.value.message
