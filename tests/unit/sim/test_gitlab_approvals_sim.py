"""The GitLab sim's commits, merge requests and approvals over HTTP.

Bodies are checked against GitLab's API documentation (doc/api/commits.md, "Get a single
commit" and "List merge requests associated with a commit"; doc/api/merge_requests.md;
doc/api/merge_request_approvals.md, "Merge request-level MR approvals").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from cockpit.sim.gitlab import GitLabSim
from cockpit.sim.scenario import Scenario

TOKEN = "glpat-sim"
PROJECT = "/projects/acme%2Fledger"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
COMMIT = {"id", "short_id", "title", "author_name", "author_email", "authored_date"}
COMMIT |= {"committer_name", "committer_email", "committed_date", "created_at", "message"}
COMMIT |= {"parent_ids", "web_url", "trailers", "extended_trailers", "stats", "status"}
COMMIT |= {"project_id", "last_pipeline"}
MERGE_REQUEST = {"id", "iid", "project_id", "title", "description", "state", "merged_by"}
MERGE_REQUEST |= {"merge_user", "merged_at", "closed_by", "closed_at", "created_at"}
MERGE_REQUEST |= {"updated_at", "target_branch", "source_branch", "upvotes", "downvotes"}
MERGE_REQUEST |= {"author", "assignee", "assignees", "reviewers", "source_project_id"}
MERGE_REQUEST |= {"target_project_id", "labels", "draft", "work_in_progress", "milestone"}
MERGE_REQUEST |= {"merge_when_pipeline_succeeds", "merge_status", "detailed_merge_status"}
MERGE_REQUEST |= {"sha", "merge_commit_sha", "squash_commit_sha", "user_notes_count"}
MERGE_REQUEST |= {"discussion_locked", "should_remove_source_branch", "web_url", "reference"}
MERGE_REQUEST |= {"force_remove_source_branch", "references", "time_stats", "squash"}
MERGE_REQUEST |= {"task_completion_status", "has_conflicts", "blocking_discussions_resolved"}
APPROVALS = {"id", "iid", "project_id", "title", "description", "state", "created_at"}
APPROVALS |= {"updated_at", "merge_status", "approvals_required", "approvals_left"}
APPROVALS |= {"approved_by", "approved"}
USER = {"id", "username", "name", "state", "avatar_url", "web_url"}


@pytest.fixture
def api(scenario: Scenario) -> Iterator[httpx.Client]:
    with (
        GitLabSim(scenario, token=TOKEN) as sim,
        httpx.Client(base_url=sim.api_url, headers={"PRIVATE-TOKEN": TOKEN}, timeout=10) as client,
    ):
        yield client


def _release_mr(api: httpx.Client, scenario: Scenario) -> dict[str, object]:
    sha = scenario.release_commit("ledger")
    response = api.get(f"{PROJECT}/repository/commits/{sha}/merge_requests")
    assert response.status_code == 200
    (mr,) = response.json()
    assert isinstance(mr, dict)
    return mr


def test_the_release_tag_resolves_to_the_release_commit(
    api: httpx.Client, scenario: Scenario
) -> None:
    response = api.get(f"{PROJECT}/repository/commits/v2.14.0")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= COMMIT
    assert body["id"] == scenario.release_commit("ledger") and body["short_id"] == body["id"][:8]
    assert TIMESTAMP.match(body["committed_date"])
    assert body["project_id"] == scenario.gitlab_project_id("ledger")
    # The numeric project id and a branch name work too.
    by_id = api.get(f"/projects/{scenario.gitlab_project_id('ledger')}/repository/commits/main")
    assert by_id.status_code == 200 and len(by_id.json()["id"]) == 40


def test_an_unknown_ref_is_404_commit_not_found(api: httpx.Client) -> None:
    response = api.get(f"{PROJECT}/repository/commits/v9.9.9")
    assert response.status_code == 404
    assert response.json() == {"message": "404 Commit Not Found"}
    unknown = api.get("/projects/acme%2Fnope/repository/commits/v2.14.0")
    assert unknown.json() == {"message": "404 Project Not Found"}


def test_the_release_commit_has_one_merged_merge_request(
    api: httpx.Client, scenario: Scenario
) -> None:
    mr = _release_mr(api, scenario)
    assert set(mr) >= MERGE_REQUEST
    assert mr["state"] == "merged" and mr["merge_commit_sha"] == scenario.release_commit("ledger")
    assert (mr["source_branch"], mr["target_branch"]) == ("release/2.14.0", "main")
    assert isinstance(mr["author"], dict) and set(mr["author"]) >= USER
    assert isinstance(mr["merged_at"], str) and TIMESTAMP.match(mr["merged_at"])
    assert str(mr["web_url"]).endswith(f"/acme/ledger/-/merge_requests/{mr['iid']}")


def test_merge_requests_filter_by_source_branch_and_state(api: httpx.Client) -> None:
    params = {"source_branch": "release/2.14.0", "state": "merged"}
    merged = api.get(f"{PROJECT}/merge_requests", params=params)
    assert merged.status_code == 200 and len(merged.json()) == 1
    assert merged.headers["x-total"] == "1"
    opened = api.get(f"{PROJECT}/merge_requests", params={**params, "state": "opened"})
    assert opened.json() == []
    other = api.get(f"{PROJECT}/merge_requests", params={"source_branch": "feature/next"})
    assert other.json() == []


def test_the_approvals_follow_the_docs_and_include_the_authors_own(
    api: httpx.Client, scenario: Scenario
) -> None:
    mr = _release_mr(api, scenario)
    response = api.get(f"{PROJECT}/merge_requests/{mr['iid']}/approvals")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= APPROVALS
    assert (body["iid"], body["state"]) == (mr["iid"], "merged")
    assert (body["approvals_required"], body["approvals_left"], body["approved"]) == (2, 0, True)
    users = [entry["user"] for entry in body["approved_by"]]
    assert all(set(user) >= USER for user in users)
    names = [user["username"] for user in users]
    author = mr["author"]
    assert isinstance(author, dict)
    assert len(names) == 3 and names.count(author["username"]) == 1
    missing = api.get(f"{PROJECT}/merge_requests/999/approvals")
    assert missing.status_code == 404


def test_answers_carry_weak_etags_and_revalidate_with_304(
    api: httpx.Client, scenario: Scenario
) -> None:
    mr = _release_mr(api, scenario)
    for path in (
        f"{PROJECT}/repository/commits/v2.14.0",
        f"{PROJECT}/repository/commits/{scenario.release_commit('ledger')}/merge_requests",
        f"{PROJECT}/merge_requests/{mr['iid']}/approvals",
    ):
        first = api.get(path)
        etag = first.headers["etag"]
        assert etag.startswith('W/"')
        again = api.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""


def test_a_wrong_token_is_401(api: httpx.Client) -> None:
    response = api.get(f"{PROJECT}/repository/commits/v2.14.0", headers={"PRIVATE-TOKEN": "x"})
    assert response.status_code == 401
    assert response.json() == {"message": "401 Unauthorized"}
