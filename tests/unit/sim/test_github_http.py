"""GitHub sim HTTP behaviour: ETags and 304s, the rate-limit budget, and time moving on."""

from __future__ import annotations

from datetime import timedelta

import httpx

from cockpit.clock import FakeClock
from cockpit.sim import GitHubSim, Scenario

from .conftest import AUTH, START, TLS, ServeFactory

RUNS = "/repos/acme/checkout/actions/runs"


def _remaining(response: httpx.Response) -> int:
    return int(response.headers["x-ratelimit-remaining"])


def test_every_answer_carries_github_rate_limit_headers(serve: ServeFactory) -> None:
    _, api = serve(5.0)
    response = api.get(RUNS)
    headers = response.headers
    assert headers["x-ratelimit-limit"] == "5000"
    assert _remaining(response) == 4999 and headers["x-ratelimit-used"] == "1"
    assert int(headers["x-ratelimit-reset"]) == int((START + timedelta(hours=1)).timestamp()) - 5
    assert headers["x-ratelimit-resource"] == "core"
    assert headers["x-github-api-version-selected"] == "2022-11-28"


def test_304_costs_no_budget_and_200_costs_one(serve: ServeFactory) -> None:
    sim, api = serve(5.0)
    first = api.get(RUNS)
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = api.get(RUNS, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert _remaining(again) == _remaining(first)
    other = api.get(RUNS, params={"per_page": 5})
    assert _remaining(other) == _remaining(first) - 1
    assert (sim.stats.requests, sim.stats.not_modified, sim.stats.charged) == (3, 1, 2)
    assert sim.remaining == _remaining(other)


def test_single_run_honours_if_modified_since(serve: ServeFactory) -> None:
    _, api = serve(400.0)
    run = api.get(RUNS, params={"per_page": 1}).json()["workflow_runs"][0]
    first = api.get(f"{RUNS}/{run['id']}")
    again = api.get(
        f"{RUNS}/{run['id']}", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert again.status_code == 304


async def test_etag_changes_only_when_the_scenario_changes() -> None:
    clock = FakeClock(START)
    with GitHubSim(Scenario(clock)) as sim:
        async with httpx.AsyncClient(verify=TLS, base_url=sim.api_url) as api:
            tags = []
            for step in (25, 1, 10):  # T+25 (checkout step), T+26 (same), T+36 (setup step)
                await clock.advance(step)
                tags.append((await api.get(RUNS + "?per_page=1")).headers["etag"])
    assert tags[0] == tags[1] != tags[2]


async def test_spent_budget_answers_403_until_the_window_resets() -> None:
    clock = FakeClock(START)
    with GitHubSim(Scenario(clock), rate_limit=2) as sim:
        async with httpx.AsyncClient(verify=TLS, base_url=sim.api_url, headers=AUTH) as api:
            assert [(await api.get(RUNS)).status_code for _ in range(2)] == [200, 200]
            refused = await api.get(RUNS)
            assert refused.status_code == 403
            assert refused.json()["message"].startswith("API rate limit exceeded")
            assert _remaining(refused) == 0
            await clock.advance(3600)
            renewed = await api.get(RUNS)
            assert (renewed.status_code, _remaining(renewed)) == (200, 1)


async def test_runs_appear_and_progress_with_scenario_time() -> None:
    clock = FakeClock(START - timedelta(seconds=30))
    scenario = Scenario(clock, start=START)
    with GitHubSim(scenario) as sim:
        async with httpx.AsyncClient(verify=TLS, base_url=sim.api_url) as api:
            before = (await api.get(RUNS)).json()
            await clock.advance(30 + 300)  # both release runs have completed
            after = (await api.get(RUNS)).json()
    # The release push on main and the release tag's push, both on the release commit.
    assert before["total_count"] + 2 == after["total_count"]
    newest, release = after["workflow_runs"][:2]
    assert newest["head_branch"] == scenario.release_ref == "v2.14.0"
    assert release["head_branch"] == "main"
    for run in (newest, release):
        assert (run["status"], run["conclusion"]) == ("completed", "success")
        assert run["head_sha"] == scenario.release_commit("checkout")


def test_filters(serve: ServeFactory) -> None:
    sim, api = serve(5.0)
    pulls = api.get(RUNS, params={"event": "pull_request"}).json()
    assert pulls["total_count"] == 2
    assert {r["head_branch"] for r in pulls["workflow_runs"]} == {"feature/next"}
    sha = sim.scenario.release_commit("checkout")
    by_sha = api.get(RUNS, params={"head_sha": sha}).json()
    assert [r["head_sha"] for r in by_sha["workflow_runs"]] == [sha]
    queued = api.get(RUNS, params={"status": "queued"}).json()
    assert [r["status"] for r in queued["workflow_runs"]] == ["queued"]
    failed = api.get("/repos/acme/search/actions/runs", params={"status": "failure"}).json()
    assert failed["total_count"] > 0
    assert {r["conclusion"] for r in failed["workflow_runs"]} == {"failure"}


def test_link_header_on_a_middle_page(serve: ServeFactory) -> None:
    _, api = serve(5.0)
    response = api.get(RUNS, params={"per_page": 5, "page": 2, "branch": "main"})
    links = {rel: link["url"] for rel, link in response.links.items()}
    assert set(links) == {"prev", "next", "last", "first"}
    assert (
        "page=3" in links["next"] and "page=5" in links["last"] and "branch=main" in links["next"]
    )
    assert len(response.json()["workflow_runs"]) == 5
    beyond = api.get(RUNS, params={"per_page": 5, "page": 9}).json()
    assert beyond["workflow_runs"] == [] and beyond["total_count"] == 23


def test_empty_repository_lists_no_runs(serve: ServeFactory) -> None:
    _, api = serve(5.0, empty_repos=["acme/empty"])
    body = api.get("/repos/acme/empty/actions/runs").json()
    assert body == {"total_count": 0, "workflow_runs": []}
