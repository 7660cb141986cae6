"""The GitHub sim's pull requests, reviews, check runs, commit statuses and re-runs.

Every new kind of response is validated against GitHub's published schemas (reviews, check runs,
statuses, combined status, Basic Error); pull requests, which the schema file does not cover,
against the required properties of GitHub's "Pull Request Simple" (transcribed below), with
their users and repositories checked against the file's Simple User and Minimal Repository.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.sim import GitHubSim, Scenario
from cockpit.sim.github_pulls import PullsWorld
from cockpit.sim.github_reruns import RERUN_QUEUE_S, attempt_job_id, is_flaky

from .conftest import AUTH, TLS, ServeFactory
from .schemas import error_problems, jobs_list_problems, problems, run_problems

REVIEWS = "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews"
CHECKS = "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"
STATUSES = "GET /repos/{owner}/{repo}/commits/{ref}/statuses"
COMBINED = "GET /repos/{owner}/{repo}/commits/{ref}/status"
MOMENTS = pytest.mark.parametrize("at", [5.0, 100.0, 400.0], ids=["queued", "running", "completed"])
SERVICES = ("checkout", "payments", "billing", "search")

# GitHub's OpenAPI "pull-request-simple": required properties (the schema file lacks pulls).
PULL_REQUIRED = {
    "_links", "labels", "base", "body", "closed_at", "comments_url", "commits_url", "created_at",
    "diff_url", "head", "html_url", "id", "node_id", "issue_url", "merged_at", "milestone",
    "number", "patch_url", "review_comment_url", "review_comments_url", "statuses_url", "state",
    "locked", "title", "updated_at", "url", "user", "author_association", "auto_merge",
}  # fmt: skip
BRANCH_REQUIRED = {"label", "ref", "repo", "sha", "user"}
LINKS_REQUIRED = {
    "comments", "commits", "statuses", "html", "issue", "review_comments", "review_comment", "self"
}  # fmt: skip
_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def pull_problems(pull: dict[str, Any]) -> list[str]:
    """Violations of Pull Request Simple's required shape (users and repos via the file)."""
    found = [f"missing {key}" for key in sorted(PULL_REQUIRED - pull.keys())]
    user_schema = ("/items/properties/user", REVIEWS)
    repo_schema = ("/properties/repository", COMBINED)
    found += problems(pull["user"], user_schema[1], suffix=user_schema[0])
    for side in ("head", "base"):
        found += [f"{side}: missing {k}" for k in sorted(BRANCH_REQUIRED - pull[side].keys())]
        found += problems(pull[side]["repo"], repo_schema[1], suffix=repo_schema[0])
        found += problems(pull[side]["user"], user_schema[1], suffix=user_schema[0])
    found += [f"_links: missing {k}" for k in sorted(LINKS_REQUIRED - pull["_links"].keys())]
    found += [
        f"{k}: not a string" for k in ("title", "url", "html_url") if type(pull[k]) is not str
    ]
    for key in ("created_at", "updated_at", "closed_at", "merged_at"):
        if pull[key] is not None and not _TS.match(pull[key]):
            found.append(f"{key}: not a timestamp")
    if type(pull["number"]) is not int or type(pull["id"]) is not int:
        found.append("number/id: not integers")
    return found


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _release_pull(api: httpx.Client, sim: GitHubSim, service: str) -> dict[str, Any]:
    sha = sim.scenario.release_commit(service)
    (pull,) = _ok(api.get(f"/repos/acme/{service}/commits/{sha}/pulls"))
    return dict(pull)


def _reviews(api: httpx.Client, service: str, number: int) -> list[tuple[str, str]]:
    body = _ok(api.get(f"/repos/acme/{service}/pulls/{number}/reviews"))
    return [(r["user"]["login"], r["state"]) for r in body]


# Schemas ---------------------------------------------------------------------------------


@MOMENTS
def test_reviews_checks_and_statuses_validate(serve: ServeFactory, at: float) -> None:
    sim, api = serve(at)
    for service in SERVICES:
        base = f"/repos/acme/{service}"
        pull = _release_pull(api, sim, service)
        assert pull_problems(pull) == [], service
        reviews = _ok(api.get(f"{base}/pulls/{pull['number']}/reviews"))
        assert reviews and problems(reviews, REVIEWS) == [], service
        for ref in ("v2.14.0", "main", sim.scenario.release_commit(service), "release/2.14.0"):
            checks = _ok(api.get(f"{base}/commits/{ref}/check-runs"))
            assert problems(checks, CHECKS) == [], (service, ref)
            statuses = _ok(api.get(f"{base}/commits/{ref}/statuses"))
            assert problems(statuses, STATUSES) == [], (service, ref)
            combined = _ok(api.get(f"{base}/commits/{ref}/status"))
            assert problems(combined, COMBINED) == [], (service, ref)


@MOMENTS
def test_pull_listings_and_single_pulls_have_the_required_shape(
    serve: ServeFactory, at: float
) -> None:
    _, api = serve(at)
    for service in SERVICES:
        listing = _ok(api.get(f"/repos/acme/{service}/pulls", params={"state": "all"}))
        assert len(listing) == 2
        for pull in listing:
            assert pull_problems(pull) == []
            single = _ok(api.get(f"/repos/acme/{service}/pulls/{pull['number']}"))
            assert pull_problems(single) == []
            assert single["merged"] is (pull["merged_at"] is not None)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/repos/acme/nope/pulls", 404),
        ("/repos/acme/checkout/pulls/1", 404),
        ("/repos/acme/checkout/pulls/1/reviews", 404),
        ("/repos/acme/checkout/commits/0000000/check-runs", 422),
        ("/repos/acme/checkout/commits/no-such-branch/status", 422),
        ("/repos/acme/checkout/commits/tags/v9.9.9/statuses", 422),
        ("/repos/acme/checkout/commits/deadbeef/pulls", 422),
        ("/repos/acme/empty/commits/main/status", 409),
    ],
)
def test_errors_are_basic_errors(serve: ServeFactory, path: str, status: int) -> None:
    _, api = serve(5.0, empty_repos=["acme/empty"])
    response = api.get(path)
    assert response.status_code == status
    assert error_problems(response.json()) == []
    if status == 422:
        assert response.json()["message"].startswith("No commit found for SHA: ")


# Pull requests and reviews -----------------------------------------------------------------


def test_release_pulls_and_their_scripted_reviews(serve: ServeFactory) -> None:
    sim, api = serve(5.0)
    pulls = {s: _release_pull(api, sim, s) for s in SERVICES}
    for service, pull in pulls.items():
        assert pull["merge_commit_sha"] == sim.scenario.release_commit(service)
        assert (pull["state"], pull["head"]["ref"]) == ("closed", "release/2.14.0")
        assert pull["merged_at"] is not None and pull["title"].startswith(f"Release {service}")
    author = {s: p["user"]["login"] for s, p in pulls.items()}
    checkout = _reviews(api, "checkout", pulls["checkout"]["number"])
    states = [state for _, state in checkout]
    assert states == ["CHANGES_REQUESTED", "APPROVED", "APPROVED", "COMMENTED"]
    assert checkout[1][0] == checkout[0][0] and checkout[3][0] == checkout[2][0]
    assert author["checkout"] not in {who for who, _ in checkout}
    payments = _reviews(api, "payments", pulls["payments"]["number"])
    assert payments[0] == (author["payments"], "APPROVED")  # the author's own approval
    assert payments[1][1] == "APPROVED" and payments[1][0] != author["payments"]
    billing = _reviews(api, "billing", pulls["billing"]["number"])
    assert [state for _, state in billing] == ["DISMISSED", "APPROVED"]
    search = _reviews(api, "search", pulls["search"]["number"])
    assert [state for _, state in search] == ["APPROVED", "CHANGES_REQUESTED"]


def test_reviews_paginate_with_link_headers(serve: ServeFactory) -> None:
    sim, api = serve(5.0)
    number = _release_pull(api, sim, "checkout")["number"]
    path = f"/repos/acme/checkout/pulls/{number}/reviews"
    first = api.get(path, params={"per_page": 3})
    assert len(first.json()) == 3 and problems(first.json(), REVIEWS) == []
    second = api.get(first.links["next"]["url"])
    assert len(second.json()) == 1 and "next" not in second.links
    ids = [r["id"] for r in first.json() + second.json()]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert [r["id"] for r in _ok(api.get(path))] == ids


def test_pull_filters_by_head_state_and_commit(serve: ServeFactory) -> None:
    _, api = serve(5.0)
    base = "/repos/acme/checkout"
    assert [p["head"]["ref"] for p in _ok(api.get(f"{base}/pulls"))] == ["feature/next"]
    closed = _ok(api.get(f"{base}/pulls", params={"state": "closed"}))
    assert [p["head"]["ref"] for p in closed] == ["release/2.14.0"]
    by_head = _ok(api.get(f"{base}/pulls", params={"head": "acme:release/2.14.0", "state": "all"}))
    assert [p["number"] for p in by_head] == [p["number"] for p in closed]
    assert _ok(api.get(f"{base}/pulls", params={"head": "other:release/2.14.0"})) == []
    feature = _ok(api.get(f"{base}/pulls"))[0]
    by_feature_head = _ok(api.get(f"{base}/commits/{feature['head']['sha']}/pulls"))
    assert [p["number"] for p in by_feature_head] == [feature["number"]]
    assert _ok(api.get(f"{base}/commits/{feature['base']['sha']}/pulls")) == []


def test_refs_resolve_like_github(serve: ServeFactory) -> None:
    sim, api = serve(5.0)
    scenario = sim.scenario
    release = scenario.release_commit("checkout")
    sha_only = {"Accept": "application/vnd.github.sha"}
    for ref in ("v2.14.0", "tags/v2.14.0", "main", "heads/main", release, release[:7]):
        answer = api.get(f"/repos/acme/checkout/commits/{ref}", headers=sha_only)
        assert (answer.status_code, answer.text) == (200, release), ref
    assert api.get("/repos/acme/checkout/commits/v2.14.0").json()["sha"] == release
    world = PullsWorld(scenario)
    assert world.resolve("checkout", "nope", scenario.now()) is None
    assert world.resolve("billing", "main", scenario.at(100)) != scenario.release_commit("billing")


# Checks and statuses -----------------------------------------------------------------------


async def test_statuses_and_checks_follow_scenario_time(clock: FakeClock) -> None:
    with GitHubSim(Scenario(clock)) as sim:
        async with httpx.AsyncClient(verify=TLS, base_url=sim.api_url) as api:
            base = "/repos/acme/payments/commits/v2.14.0"
            await clock.advance(5)
            early = (await api.get(f"{base}/status")).json()
            checks = (await api.get(f"{base}/check-runs")).json()["check_runs"]
            await clock.advance(200)
            late = (await api.get(f"{base}/status")).json()
            done = (await api.get(f"{base}/check-runs")).json()["check_runs"]
            listed = (await api.get(f"{base}/statuses")).json()
    scan = {s["context"]: s["state"] for s in early["statuses"]}
    assert (early["state"], scan) == (
        "pending",
        {"license/cla": "success", "security/scan": "pending"},
    )
    assert (late["state"], late["total_count"]) == ("failure", 2)
    assert [(c["name"], c["status"]) for c in checks] == [("build", "queued")]
    assert [(c["status"], c["conclusion"], c["app"]["slug"]) for c in done] == [
        ("completed", "failure", "github-actions")
    ]
    assert [s["state"] for s in listed] == ["failure", "pending", "success"]  # newest first


def test_check_run_id_is_the_job_id_and_filters_apply(serve: ServeFactory) -> None:
    _, api = serve(400.0)
    base = "/repos/acme/checkout"
    run = _ok(api.get(f"{base}/actions/runs", params={"per_page": 1}))["workflow_runs"][0]
    (job,) = _ok(api.get(f"{base}/actions/runs/{run['id']}/jobs"))["jobs"]
    (check,) = _ok(api.get(f"{base}/commits/{run['head_sha']}/check-runs"))["check_runs"]
    assert (check["id"], check["head_sha"], check["name"]) == (job["id"], run["head_sha"], "build")
    assert check["html_url"] == job["html_url"]
    for params in ({"check_name": "lint"}, {"status": "queued"}):
        body = _ok(api.get(f"{base}/commits/{run['head_sha']}/check-runs", params=params))
        assert (body["total_count"], body["check_runs"]) == (0, [])


def test_new_endpoints_answer_304_with_etags_and_rate_headers(serve: ServeFactory) -> None:
    sim, api = serve(100.0)
    number = _release_pull(api, sim, "checkout")["number"]
    for path in (
        f"/repos/acme/checkout/pulls/{number}/reviews",
        "/repos/acme/checkout/commits/v2.14.0/check-runs",
        "/repos/acme/checkout/commits/v2.14.0/status",
    ):
        first = api.get(path)
        assert first.headers["x-ratelimit-limit"] == "5000"
        again = api.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]


# Re-runs -------------------------------------------------------------------------------------


@pytest.fixture
async def async_api(clock: FakeClock) -> AsyncIterator[Callable[..., Any]]:
    """An AsyncClient on a fresh sim (scenario T = now) per call; all closed after the test."""
    opened: list[tuple[GitHubSim, httpx.AsyncClient]] = []

    def factory(**kwargs: Any) -> tuple[GitHubSim, httpx.AsyncClient]:
        sim = GitHubSim(Scenario(clock), token="t", **kwargs).start()
        headers = {**AUTH, "Authorization": "Bearer t"}
        client = httpx.AsyncClient(verify=TLS, base_url=sim.api_url, headers=headers)
        opened.append((sim, client))
        return sim, client

    yield factory
    for sim, client in opened:
        await client.aclose()
        sim.stop()


def _flaky_failure(scenario: Scenario) -> int:
    """A failed search run of the history whose failure is a timeout."""
    failed = [
        r for r in scenario.ci_runs("search") if r.conclusion == "failure" and is_flaky(r.plan)
    ]
    return failed[0].plan.run_id


async def test_rerun_of_a_flaky_failure_passes_as_attempt_two(
    async_api: Callable[..., Any], clock: FakeClock
) -> None:
    sim, api = async_api()
    run_id = _flaky_failure(sim.scenario)
    run_path = f"/repos/acme/search/actions/runs/{run_id}"
    before = (await api.get(run_path)).json()
    rerun = await api.post(f"{run_path}/rerun-failed-jobs")
    assert (rerun.status_code, rerun.json()) == (201, {})
    queued = (await api.get(run_path)).json()
    assert run_problems(queued) == []
    assert (queued["run_attempt"], queued["status"], queued["conclusion"]) == (2, "queued", None)
    assert queued["previous_attempt_url"].endswith(f"/actions/runs/{run_id}/attempts/1")
    assert queued["created_at"] == before["created_at"] != queued["run_started_at"]
    await clock.advance(RERUN_QUEUE_S + 1)
    assert (await api.get(run_path)).json()["status"] == "in_progress"
    await clock.advance(600)
    done = (await api.get(run_path)).json()
    assert (done["run_attempt"], done["status"], done["conclusion"]) == (2, "completed", "success")
    jobs = (await api.get(f"{run_path}/jobs")).json()
    assert jobs_list_problems(jobs) == []
    (job,) = jobs["jobs"]
    assert (job["id"], job["run_attempt"]) == (attempt_job_id(run_id, 2), 2)
    assert all(step["conclusion"] == "success" for step in job["steps"])
    every = (await api.get(f"{run_path}/jobs", params={"filter": "all"})).json()
    assert jobs_list_problems(every) == []
    assert [(j["run_attempt"], j["conclusion"]) for j in every["jobs"]] == [
        (1, "failure"),
        (2, "success"),
    ]
    log = await api.get(f"/repos/acme/search/actions/jobs/{job['id']}/logs", follow_redirects=True)
    assert "passed on re-run" in log.text and "ConnectionTimeout" not in log.text


async def test_rerun_of_a_code_failure_fails_again_and_checks_show_the_attempt(
    async_api: Callable[..., Any], clock: FakeClock
) -> None:
    _, api = async_api()
    await clock.advance(200)  # payments failed in `test` at T+2m36s
    run = (await api.get("/repos/acme/payments/actions/runs", params={"per_page": 1})).json()
    run_id = run["workflow_runs"][0]["id"]
    run_path = f"/repos/acme/payments/actions/runs/{run_id}"
    assert (await api.post(f"{run_path}/rerun-failed-jobs")).status_code == 201
    again = await api.post(f"{run_path}/rerun-failed-jobs")
    assert (again.status_code, again.json()["message"]) == (403, "This workflow is already running")
    assert error_problems(again.json()) == []
    await clock.advance(600)
    done = (await api.get(run_path)).json()
    assert (done["run_attempt"], done["conclusion"]) == (2, "failure")
    checks = "/repos/acme/payments/commits/v2.14.0/check-runs"
    latest = (await api.get(checks)).json()
    every = (await api.get(checks, params={"filter": "all"})).json()
    assert problems(latest, CHECKS) == [] and problems(every, CHECKS) == []
    assert [c["id"] for c in latest["check_runs"]] == [attempt_job_id(run_id, 2)]
    assert len(every["check_runs"]) == 2


async def test_rerun_refusals(async_api: Callable[..., Any], clock: FakeClock) -> None:
    sim, api = async_api()
    await clock.advance(100)
    base = "/repos/acme/checkout/actions/runs"
    runs = (await api.get(base, params={"branch": "main"})).json()["workflow_runs"]
    running = runs[0]["id"]
    green = next(r["id"] for r in runs if r["conclusion"] == "success")
    refused = await api.post(f"{base}/{running}/rerun-failed-jobs")
    assert refused.status_code == 403 and error_problems(refused.json()) == []
    assert refused.json()["message"] == "This workflow is already running"
    not_failed = await api.post(f"{base}/{green}/rerun-failed-jobs")
    assert not_failed.status_code == 403
    assert not_failed.json()["message"] == "This workflow run cannot be retried"
    assert (await api.post(f"{base}/1/rerun-failed-jobs")).status_code == 404
    _, read_only = async_api(actions_write=False)
    search_run = f"/repos/acme/search/actions/runs/{_flaky_failure(sim.scenario)}"
    denied = await read_only.post(f"{search_run}/rerun-failed-jobs")
    assert denied.status_code == 403 and error_problems(denied.json()) == []
    assert denied.json()["message"] == "Resource not accessible by personal access token"
    assert (await read_only.get(search_run)).json()["run_attempt"] == 1


def test_rerun_attempts_are_scripted_from_the_failure() -> None:
    scenario = Scenario(FakeClock())
    payments = next(p for p in scenario.ci_plans("payments") if p.release)
    assert not is_flaky(payments)  # an assertion error: a code failure fails again
    flaky = scenario.ci_run(_flaky_failure(scenario))
    assert flaky is not None and is_flaky(flaky.plan)
    job_ids = {p.job_id for s in SERVICES for p in scenario.ci_plans(s)}
    attempt_ids = {
        attempt_job_id(p.run_id, n) for s in SERVICES for p in scenario.ci_plans(s) for n in (2, 50)
    }
    assert not job_ids & attempt_ids and len(attempt_ids) == 2 * len(job_ids)
