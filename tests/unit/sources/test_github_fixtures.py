"""The GitHub Actions adapter against httpx.MockTransport with schema-validated recorded bodies."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import RunStatus
from cockpit.sim import github_payloads as payloads
from cockpit.sources.ci.github import github_headers, map_job_status, map_run_status

from .conftest import START, target
from .fixtures import (
    API,
    completed,
    iso,
    job_json,
    jobs_page,
    mock_adapter,
    respond,
    run_json,
    runs_page,
)
from .schemas import error_problems

RUNS_PATH = "/repos/acme/checkout/actions/runs"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.mark.parametrize(
    ("status", "conclusion", "expected"),
    [
        ("queued", None, RunStatus.QUEUED),
        ("waiting", None, RunStatus.QUEUED),
        ("requested", None, RunStatus.QUEUED),
        ("pending", None, RunStatus.QUEUED),
        ("in_progress", None, RunStatus.RUNNING),
        ("completed", "success", RunStatus.SUCCESS),
        ("completed", "failure", RunStatus.FAILURE),
        ("completed", "timed_out", RunStatus.FAILURE),
        ("completed", "startup_failure", RunStatus.FAILURE),
        ("completed", "cancelled", RunStatus.CANCELLED),
        ("completed", "neutral", RunStatus.SUCCESS),
        ("completed", "skipped", RunStatus.SUCCESS),
        ("completed", "action_required", RunStatus.UNKNOWN),
        ("completed", "stale", RunStatus.UNKNOWN),
        ("completed", None, RunStatus.UNKNOWN),
        ("frobnicating", None, RunStatus.UNKNOWN),
        (None, None, RunStatus.UNKNOWN),
    ],
)
async def test_status_mapping(
    clock: FakeClock, status: str | None, conclusion: str | None, expected: RunStatus
) -> None:
    assert map_run_status(status, conclusion) is expected
    body = runs_page([run_json(1, status=status, conclusion=conclusion)])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/jobs"):
            return respond(jobs_page())
        return respond(body)

    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    (run,) = (await mock.adapter.poll()).pipelines
    assert run.status is expected


def test_a_skipped_step_or_job_did_not_run() -> None:
    assert map_job_status("completed", "skipped") is RunStatus.CANCELLED
    assert map_job_status("completed", "success") is RunStatus.SUCCESS
    assert map_job_status("in_progress", None) is RunStatus.RUNNING


async def test_request_shape_and_github_headers(clock: FakeClock) -> None:
    mock = mock_adapter(lambda r: respond(runs_page([])), [target("checkout")], clock=clock)
    mock.adapter.event, mock.adapter.head_sha = "push", "abc123"
    await mock.adapter.poll()
    (request,) = mock.seen
    assert request.url.path == RUNS_PATH
    assert dict(request.url.params) == {
        "per_page": "20",
        "branch": "main",
        "event": "push",
        "head_sha": "abc123",
        "exclude_pull_requests": "true",
    }
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["authorization"] == "Bearer t0ken"


def test_github_headers_without_a_token_send_no_authorization() -> None:
    assert github_headers(None) == {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    assert github_headers("")["Accept"] == "application/vnd.github+json"
    assert "Authorization" not in github_headers("")


async def test_durations_history_and_running_step(clock: FakeClock) -> None:
    newest = run_json(
        10,
        status="in_progress",
        conclusion=None,
        created_at=iso(START - timedelta(seconds=150)),
        run_started_at=iso(START - timedelta(seconds=120)),
        updated_at=iso(START - timedelta(seconds=30)),
    )
    older = [
        completed(9, START - timedelta(hours=1), 300, "failure"),
        run_json(  # not completed: no history
            8, status="in_progress", conclusion=None, created_at=iso(START - timedelta(minutes=90))
        ),
        completed(
            7, START - timedelta(hours=2), 250, "success", workflow_id=999
        ),  # another workflow
        completed(6, START - timedelta(hours=3), 200, "success"),
    ]
    running_job = job_json(
        1,
        "build",
        "in_progress",
        [("checkout", "completed", "success"), ("test", "in_progress", None)],
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"{RUNS_PATH}/10/jobs":
            assert request.url.params["filter"] == "latest"
            return respond(jobs_page(running_job))
        return respond(runs_page([newest, *older]))

    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    (run,) = (await mock.adapter.poll()).pipelines
    assert (run.run_id, run.status, run.running_step) == ("10", RunStatus.RUNNING, "test")
    assert run.duration_s == 120.0  # now - run_started_at
    assert run.recent_durations_s == (200.0, 300.0)  # oldest first, same workflow, completed only
    assert run.recent_outcomes == (RunStatus.SUCCESS, RunStatus.FAILURE)
    assert run.jobs[0].steps[1].status is RunStatus.RUNNING


async def test_several_running_jobs_name_job_and_step(clock: FakeClock) -> None:
    body = runs_page([run_json(10, status="in_progress", conclusion=None)])
    jobs = jobs_page(
        job_json(1, "lint", "in_progress", [("ruff", "in_progress", None)]),
        job_json(2, "test", "in_progress", [("pytest", "in_progress", None)]),
        job_json(3, "deploy", "queued", []),
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return respond(jobs if request.url.path.endswith("/jobs") else body)

    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    (run,) = (await mock.adapter.poll()).pipelines
    assert run.running_step == "lint / ruff, test / pytest"


async def test_the_newest_run_is_chosen_by_creation_time(clock: FakeClock) -> None:
    old = completed(1, START - timedelta(hours=2), 100, "failure")
    new = completed(2, START - timedelta(hours=1), 100, "success")
    mock = mock_adapter(lambda r: respond(runs_page([old, new])), [target("checkout")], clock=clock)
    (run,) = (await mock.adapter.poll()).pipelines
    assert (run.run_id, run.recent_outcomes) == ("2", (RunStatus.FAILURE,))


async def test_pagination_follows_link_next_across_three_pages(clock: FakeClock) -> None:
    runs = [completed(100 - i, START - timedelta(hours=i + 1), 200 + i) for i in range(50)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        chunk = runs[(page - 1) * 20 : page * 20]
        links = []
        if page < 3:
            links.append(
                f'<{API}/repositories/42/actions/runs?per_page=20&page={page + 1}>; rel="next"'
            )
            links.append(f'<{API}/repositories/42/actions/runs?per_page=20&page=3>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return respond(runs_page(chunk, total=50), headers=headers)

    mock = mock_adapter(handler, [target("checkout")], clock=clock, history=50)
    (run,) = (await mock.adapter.poll()).pipelines
    assert mock.paths == [
        RUNS_PATH,
        "/repositories/42/actions/runs",
        "/repositories/42/actions/runs",
    ]
    assert [r.url.params.get("page") for r in mock.seen] == [None, "2", "3"]
    assert run.run_id == "100" and len(run.recent_durations_s) == 49
    assert run.recent_durations_s[0] == 249.0 and run.recent_durations_s[-1] == 201.0


async def test_pagination_is_bounded(clock: FakeClock) -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        run = completed(1000 - page, START - timedelta(hours=page), 100)
        link = f'<{API}{RUNS_PATH}?page={page + 1}>; rel="next"'
        return respond(runs_page([run], total=10_000), headers={"Link": link})

    mock = mock_adapter(endless, [target("checkout")], clock=clock, history=1000, max_pages=3)
    (run,) = (await mock.adapter.poll()).pipelines
    assert len(mock.seen) == 3 and len(run.recent_outcomes) == 2


async def test_a_next_link_to_another_host_never_gets_our_token(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return respond(runs_page([completed(1, START - timedelta(hours=2), 100)], total=2))
        link = '<https://evil.example.com/steal?page=2>; rel="next"'
        return respond(
            runs_page([completed(2, START - timedelta(hours=1), 100)], total=2),
            headers={"Link": link},
        )

    mock = mock_adapter(handler, [target("checkout")], clock=clock, history=2)
    await mock.adapter.poll()
    assert {r.url.host for r in mock.seen} == {"api.github.com"}
    assert mock.seen[1].url.path == "/steal"


async def test_escape_sequences_in_remote_names_are_stripped(clock: FakeClock) -> None:
    hostile = "\x1b]0;owned\x07\x1b[31mci\x1b[0m\x9b2J"
    body = runs_page(
        [
            run_json(
                1, name=hostile, head_branch="main\x1b[2J", status="in_progress", conclusion=None
            )
        ]
    )
    jobs = jobs_page(
        job_json(
            1, "b\x1b[1muild", "in_progress", [("te\x1b]52;c;eA==\x07st", "in_progress", None)]
        )
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return respond(jobs if request.url.path.endswith("/jobs") else body)

    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    (run,) = (await mock.adapter.poll()).pipelines
    assert (run.name, run.branch, run.running_step) == ("ci", "main", "test")
    assert run.jobs[0].name == "build"


async def test_an_empty_repository_has_no_runs(clock: FakeClock) -> None:
    mock = mock_adapter(
        lambda r: respond(runs_page([], total=0)), [target("checkout")], clock=clock
    )
    assert (await mock.adapter.poll()).pipelines == ()


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"total_count": 1}, "`workflow_runs` is missing"),
        ({"message": "Moved"}, "`workflow_runs` is missing"),
        ([], "the body is not an object"),
        ({"total_count": 1, "workflow_runs": ["x"]}, "not an object"),
        ({"total_count": 1, "workflow_runs": [{"status": "queued"}]}, "`id` is missing"),
        (
            {"total_count": 1, "workflow_runs": [{**run_json(1), "id": "1"}]},
            "`id` is missing or not",
        ),
        (
            {"total_count": 1, "workflow_runs": [{**run_json(1), "created_at": "noon"}]},
            "`created_at`",
        ),
        ({"total_count": 1, "workflow_runs": [{**run_json(1), "head_sha": None}]}, "`head_sha`"),
    ],
)
async def test_malformed_bodies_are_bad_responses_naming_the_source(
    clock: FakeClock, body: object, complaint: str
) -> None:
    mock = mock_adapter(lambda r: respond(body), [target("checkout")], clock=clock)
    with pytest.raises(SourceError) as caught:
        await mock.adapter.poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and caught.value.source == "gh"
    assert caught.value.message.startswith("gh: ") and complaint in caught.value.message
    assert "acme/checkout" in caught.value.message


async def test_deleted_workflow_404_names_the_workflow(clock: FakeClock) -> None:
    not_found = payloads.error("Not Found", 404, payloads.RUNS_DOCS)
    assert error_problems(not_found) == []
    mock = mock_adapter(
        lambda r: respond(not_found, 404),
        [target("checkout", workflows=("release.yml",))],
        clock=clock,
    )
    with pytest.raises(SourceError) as caught:
        await mock.adapter.poll()
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert "workflow 'release.yml' not found in acme/checkout" in caught.value.message
    assert mock.paths == ["/repos/acme/checkout/actions/workflows/release.yml/runs"]


async def test_401_bad_credentials_is_an_auth_error(clock: FakeClock) -> None:
    body = payloads.error("Bad credentials", 401)
    assert error_problems(body) == []
    mock = mock_adapter(lambda r: respond(body, 401), [target("checkout")], clock=clock)
    with pytest.raises(SourceError) as caught:
        await mock.adapter.poll()
    assert caught.value.kind is ErrorKind.AUTH


async def test_github_enterprise_base_url_keeps_its_api_path(clock: FakeClock) -> None:
    base = "https://ghe.example.com/api/v3"
    mock = mock_adapter(
        lambda r: respond(runs_page([completed(1, START - timedelta(hours=1), 60)])),
        [target("checkout")],
        clock=clock,
        base_url=base,
    )
    (run,) = (await mock.adapter.poll()).pipelines
    (request,) = mock.seen
    assert str(request.url).startswith(f"{base}/repos/acme/checkout/actions/runs?")
    assert run.duration_s == 60.0


async def test_a_target_without_repo_is_a_config_error(clock: FakeClock) -> None:
    mock = mock_adapter(
        lambda r: respond(runs_page([])), [target("x", repo=None, job="a/b")], clock=clock
    )
    with pytest.raises(SourceError) as caught:
        await mock.adapter.poll()
    assert caught.value.kind is ErrorKind.CONFIG and "'x'" in caught.value.message
    assert mock.seen == []


async def test_several_targets_keep_config_order(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        run_id = 1 if "/acme/alpha/" in request.url.path else 2
        return respond(runs_page([completed(run_id, START - timedelta(hours=1), 10)]))

    mock = mock_adapter(handler, [target("beta"), target("alpha")], clock=clock)
    pipelines = (await mock.adapter.poll()).pipelines
    assert [(p.service, p.run_id) for p in pipelines] == [("beta", "2"), ("alpha", "1")]
