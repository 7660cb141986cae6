"""Every kind of GitHub sim response validates against GitHub's published schemas.

Validated at three scenario moments: T+5s (the release runs are queued), T+100s (running, in
the middle of their steps) and T+400s (completed: checkout green, payments red).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cockpit.sim import github_payloads as payloads

from .conftest import ServeFactory, fetch
from .schemas import (
    JOB_LOGS,
    LIST_RUNS,
    documented_headers,
    error_problems,
    jobs_list_problems,
    run_problems,
    runs_list_problems,
)

MOMENTS = pytest.mark.parametrize("at", [5.0, 100.0, 400.0], ids=["queued", "running", "completed"])
RUNS = "/repos/acme/checkout/actions/runs"


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@MOMENTS
def test_runs_list_pages_validate(serve: ServeFactory, at: float) -> None:
    _, api = serve(at)
    first = api.get(RUNS, params={"branch": "main", "per_page": 20})
    body = _ok(first)
    assert runs_list_problems(body) == []
    assert body["total_count"] == 21 and len(body["workflow_runs"]) == 20
    assert "link" in documented_headers(LIST_RUNS, "200")
    next_url = first.links["next"]["url"]
    assert first.links["last"]["url"] == next_url
    second = _ok(api.get(next_url))
    assert runs_list_problems(second) == []
    assert len(second["workflow_runs"]) == 1
    ids = [r["id"] for r in body["workflow_runs"] + second["workflow_runs"]]
    assert len(set(ids)) == 21, "pages must not overlap"


@MOMENTS
def test_every_service_and_filter_validates(serve: ServeFactory, at: float) -> None:
    sim, api = serve(at)
    for service in sim.scenario.services:
        variants: list[dict[str, str | int]] = [
            {},
            {"event": "pull_request", "per_page": 1},
            {"status": "in_progress"},
        ]
        for params in variants:
            body = _ok(api.get(f"/repos/acme/{service}/actions/runs", params=params))
            assert runs_list_problems(body) == [], (service, params)


@MOMENTS
def test_workflow_runs_by_file_and_by_id_validate(serve: ServeFactory, at: float) -> None:
    _, api = serve(at)
    by_file = _ok(api.get("/repos/acme/payments/actions/workflows/ci.yml/runs"))
    assert runs_list_problems(by_file) == []
    workflow_id = by_file["workflow_runs"][0]["workflow_id"]
    by_id = _ok(api.get(f"/repos/acme/payments/actions/workflows/{workflow_id}/runs"))
    assert by_id == by_file


@MOMENTS
def test_single_run_and_jobs_validate(serve: ServeFactory, at: float) -> None:
    sim, api = serve(at)
    for service in sim.scenario.services:
        listing = _ok(api.get(f"/repos/acme/{service}/actions/runs", params={"per_page": 3}))
        for run in listing["workflow_runs"]:
            single = _ok(api.get(f"/repos/acme/{service}/actions/runs/{run['id']}"))
            assert run_problems(single) == []
            assert single == run
            jobs = _ok(api.get(f"/repos/acme/{service}/actions/runs/{run['id']}/jobs"))
            assert jobs_list_problems(jobs) == []
            assert jobs["jobs"][0]["run_id"] == run["id"]


def test_job_and_step_states_follow_the_run(serve: ServeFactory) -> None:
    _, api = serve(100.0)
    run = _ok(api.get(RUNS, params={"per_page": 1}))["workflow_runs"][0]
    job = _ok(api.get(f"{RUNS}/{run['id']}/jobs"))["jobs"][0]
    assert (run["status"], job["status"], job["conclusion"]) == ("in_progress", "in_progress", None)
    assert [(s["name"], s["status"]) for s in job["steps"]] == [
        ("checkout", "completed"),
        ("setup", "completed"),
        ("build", "in_progress"),
        ("test", "queued"),
        ("publish", "queued"),
    ]


def test_queued_job_has_no_steps_and_no_runner(serve: ServeFactory) -> None:
    _, api = serve(5.0)
    run = _ok(api.get(RUNS, params={"per_page": 1}))["workflow_runs"][0]
    job = _ok(api.get(f"{RUNS}/{run['id']}/jobs"))["jobs"][0]
    assert (run["status"], job["steps"], job["runner_name"]) == ("queued", [], None)


@pytest.mark.parametrize(
    "path",
    [
        "/repos/acme/nope/actions/runs",
        "/repos/acme/checkout/actions/workflows/deploy.yml/runs",
        "/repos/acme/checkout/actions/runs/1",
        "/repos/acme/checkout/actions/runs/1/jobs",
        "/repos/acme/checkout/actions/jobs/1/logs",
        "/repos/acme/checkout/not-an-endpoint",
    ],
)
def test_not_found_is_a_basic_error(serve: ServeFactory, path: str) -> None:
    _, api = serve(5.0)
    response = api.get(path)
    assert response.status_code == 404
    assert error_problems(response.json()) == []
    assert response.json()["message"] == "Not Found"
    assert response.json()["documentation_url"].startswith("https://docs.github.com/")


def test_run_of_another_repo_is_not_found(serve: ServeFactory) -> None:
    _, api = serve(5.0)
    run = _ok(api.get(RUNS, params={"per_page": 1}))["workflow_runs"][0]
    assert api.get(f"/repos/acme/payments/actions/runs/{run['id']}").status_code == 404


def test_bad_credentials_is_a_basic_error(serve: ServeFactory) -> None:
    sim, _ = serve(5.0)
    wrong = fetch(sim.api_url + RUNS, headers={"Authorization": "Bearer nope"})
    missing = fetch(sim.api_url + RUNS)
    assert (wrong.status_code, wrong.json()["message"]) == (401, "Bad credentials")
    assert (missing.status_code, missing.json()["message"]) == (401, "Requires authentication")
    assert error_problems(wrong.json()) == [] and error_problems(missing.json()) == []


def test_token_scheme_is_accepted_too(serve: ServeFactory) -> None:
    sim, _ = serve(5.0)
    response = fetch(sim.api_url + RUNS, headers={"Authorization": "token sim-token"})
    assert response.status_code == 200


def test_job_logs_redirect_to_a_plain_text_log(serve: ServeFactory) -> None:
    _, api = serve(400.0)
    run = _ok(api.get("/repos/acme/payments/actions/runs", params={"per_page": 1}))
    job = _ok(api.get(f"/repos/acme/payments/actions/runs/{run['workflow_runs'][0]['id']}/jobs"))
    response = api.get(f"/repos/acme/payments/actions/jobs/{job['jobs'][0]['id']}/logs")
    assert response.status_code == 302
    assert documented_headers(JOB_LOGS, "302") == {"location"}
    log = fetch(response.headers["location"])
    assert log.status_code == 200 and log.headers["content-type"].startswith("text/plain")
    assert "##[group]Run test" in log.text and "AssertionError" in log.text
    assert "Run publish" not in log.text, "steps skipped after the failure have no log"


def test_ghe_prefix_serves_the_same_api(serve: ServeFactory) -> None:
    sim, api = serve(5.0, path_prefix="/api/v3")
    assert sim.api_url.endswith("/api/v3")
    body = _ok(api.get(RUNS))
    assert runs_list_problems(body) == []
    assert body["workflow_runs"][0]["url"].startswith(sim.api_url + "/repos/acme/checkout/")
    assert body["workflow_runs"][0]["html_url"].startswith(sim.url + "/acme/checkout/")
    assert fetch(sim.url + RUNS, headers=api.headers).status_code == 404


def test_validation_bites_on_a_broken_body(serve: ServeFactory) -> None:
    """The schema check is real: a run without `repository` or with a string id is rejected."""
    _, api = serve(5.0)
    run = _ok(api.get(RUNS, params={"per_page": 1}))["workflow_runs"][0]
    broken = {k: v for k, v in run.items() if k != "repository"}
    assert any("'repository' is a required property" in p for p in run_problems(broken))
    assert any(p.startswith("id:") for p in run_problems({**run, "id": str(run["id"])}))
    assert any(p.startswith("created_at:") for p in run_problems({**run, "created_at": "today"}))


def test_payload_builders_are_schema_complete_for_every_scripted_run(serve: ServeFactory) -> None:
    """Every run of every service, at every state change, builds a valid run and job body."""
    sim, _ = serve(0.0)
    scenario = sim.scenario
    for service in scenario.services:
        for plan in scenario.ci_plans(service)[-3:]:
            moments = [plan.created_at, plan.started_at, plan.completed_at]
            for moment in moments:
                state = next(s for s in scenario.ci_runs(service, moment) if s.plan is plan)
                run = payloads.workflow_run(state, scenario.repo(service), "http://a", "http://w")
                job = payloads.job(state, scenario.repo(service), "http://a", "http://w")
                assert run_problems(run) == [], (service, plan.run_number, moment)
                assert jobs_list_problems({"total_count": 1, "jobs": [job]}) == []
