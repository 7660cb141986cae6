"""Pure builders of GitHub REST bodies from scenario state (schema-complete, see the tests).

Every body carries all the properties GitHub's OpenAPI description marks required, with the
right types (ids are ints, timestamps RFC 3339 with `Z`, URLs absolute). Builders take the API
base (`http://host:port` or GHE's `.../api/v3`) and the web base, so links point back at the sim.
`paginate` cuts the page a request asks for out of a listing, with GitHub's `Link` header.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from cockpit.sim.scenario import CiRunState
from cockpit.sim.server import Request

DOCS = "https://docs.github.com/rest"
RUNS_DOCS = f"{DOCS}/actions/workflow-runs#list-workflow-runs-for-a-repository"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


def paginate(items: Sequence[Any], request: Request) -> tuple[list[Any], str]:
    """The requested page and the RFC 8288 Link header GitHub would send (empty: one page)."""
    per_page = min(100, max(1, _int(request.query.get("per_page"), 30)))
    page = max(1, _int(request.query.get("page"), 1))
    last = max(1, -(-len(items) // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    if last == 1:
        return chunk, ""

    def link(number: int, rel: str) -> str:
        query = {**request.query, "per_page": str(per_page), "page": str(number)}
        return f'<{request.base_url}{request.path}?{urlencode(query)}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links.append(link(1, "first"))
    return chunk, ", ".join(links)


def ts(moment: datetime | None) -> str | None:
    """GitHub's timestamp form: `2026-11-23T10:00:00Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_id(*parts: object, digits: int = 8) -> int:
    """A deterministic positive id (Python's hash() is salted per process)."""
    value = zlib.crc32(":".join(map(str, parts)).encode())
    low: int = 10 ** (digits - 1)
    return low + value % (9 * low)


def node_id(prefix: str, number: int) -> str:
    return f"{prefix}_kw{number:x}"


def error(message: str, status: int, documentation_url: str = DOCS) -> dict[str, Any]:
    """GitHub's Basic Error body."""
    return {"message": message, "documentation_url": documentation_url, "status": str(status)}


def user(login: str, api: str, web: str, *, kind: str = "User") -> dict[str, Any]:
    """A Simple User."""
    uid = stable_id("user", login)
    base = f"{api}/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("U", uid),
        "avatar_url": f"{web}/avatars/{login}.png",
        "gravatar_id": "",
        "url": base,
        "html_url": f"{web}/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": kind,
        "site_admin": False,
    }


_REPO_TEMPLATED = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "statuses_url": "/statuses/{sha}",
    "trees_url": "/git/trees{/sha}",
}
_REPO_PLAIN = {
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "hooks_url": "/hooks",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "stargazers_url": "/stargazers",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
}


def repository(full_name: str, api: str, web: str) -> dict[str, Any]:
    """A Minimal Repository, as embedded in workflow runs."""
    owner, name = full_name.split("/", 1)
    rid = stable_id("repo", full_name, digits=9)
    base = f"{api}/repos/{full_name}"
    body: dict[str, Any] = {
        "id": rid,
        "node_id": node_id("R", rid),
        "name": name,
        "full_name": full_name,
        "owner": user(owner, api, web, kind="Organization"),
        "private": True,
        "html_url": f"{web}/{full_name}",
        "description": f"The {name} service",
        "fork": False,
        "url": base,
    }
    body.update({key: base + suffix for key, suffix in _REPO_TEMPLATED.items()})
    body.update({key: base + suffix for key, suffix in _REPO_PLAIN.items()})
    return body


def workflow_id(full_name: str, workflow_file: str) -> int:
    return stable_id("workflow", full_name, workflow_file)


def workflow_run(
    state: CiRunState,
    full_name: str,
    api: str,
    web: str,
    *,
    attempt: int = 1,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """A Workflow Run for the run's state at the scenario moment it was computed.

    For a re-run, `state` is the attempt's (its plan created when the attempt was requested),
    `attempt` its number and `created_at` the run's original creation.
    """
    plan = state.plan
    base = f"{api}/repos/{full_name}/actions/runs/{plan.run_id}"
    wid = workflow_id(full_name, plan.workflow_file)
    suite = stable_id("suite", plan.run_id, digits=11)
    actor = user(plan.author, api, web)
    repo = repository(full_name, api, web)
    email = f"{plan.author}@example.com"
    return {
        "id": plan.run_id,
        "name": plan.workflow,
        "node_id": node_id("WFR", plan.run_id),
        "head_branch": plan.branch,
        "head_sha": plan.commit,
        "path": f".github/workflows/{plan.workflow_file}",
        "display_title": plan.message,
        "run_number": plan.run_number,
        "event": plan.event,
        "status": state.status,
        "conclusion": state.conclusion,
        "workflow_id": wid,
        "check_suite_id": suite,
        "check_suite_node_id": node_id("CS", suite),
        "url": base,
        "html_url": f"{web}/{full_name}/actions/runs/{plan.run_id}",
        "pull_requests": [],
        "created_at": ts(created_at or plan.created_at),
        "updated_at": ts(state.updated_at),
        "actor": actor,
        "triggering_actor": actor,
        "run_attempt": attempt,
        "referenced_workflows": [],
        # GitHub sets run_started_at when the attempt is created, queue time included.
        "run_started_at": ts(plan.created_at),
        "jobs_url": f"{base}/jobs",
        "logs_url": f"{base}/logs",
        "check_suite_url": f"{api}/repos/{full_name}/check-suites/{suite}",
        "artifacts_url": f"{base}/artifacts",
        "cancel_url": f"{base}/cancel",
        "rerun_url": f"{base}/rerun",
        "previous_attempt_url": f"{base}/attempts/{attempt - 1}" if attempt > 1 else None,
        "workflow_url": f"{api}/repos/{full_name}/actions/workflows/{wid}",
        "head_commit": {
            "id": plan.commit,
            "tree_id": hashlib.sha1(f"tree:{plan.commit}".encode()).hexdigest(),
            "message": plan.message,
            "timestamp": ts(plan.created_at),
            "author": {"name": plan.author.title(), "email": email},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": repo,
        "head_repository": repo,
    }


def job(
    state: CiRunState,
    full_name: str,
    api: str,
    web: str,
    *,
    attempt: int = 1,
    job_id: int | None = None,
) -> dict[str, Any]:
    """The run's one Job (GitHub shows no steps until a runner picks the job up).

    A re-run attempt's job is a new job: give its `attempt` number and its own `job_id`.
    """
    plan = state.plan
    jid = plan.job_id if job_id is None else job_id
    queued = state.status == "queued"
    runner = stable_id("runner", plan.run_id, digits=2)
    steps = [
        {
            "name": step.name,
            "status": step.status,
            "conclusion": step.conclusion,
            "number": step.number,
            "started_at": ts(step.started_at),
            "completed_at": ts(step.completed_at),
        }
        for step in state.steps
    ]
    return {
        "id": jid,
        "run_id": plan.run_id,
        "run_url": f"{api}/repos/{full_name}/actions/runs/{plan.run_id}",
        "run_attempt": attempt,
        "node_id": node_id("CR", jid),
        "head_sha": plan.commit,
        "url": f"{api}/repos/{full_name}/actions/jobs/{jid}",
        "html_url": f"{web}/{full_name}/actions/runs/{plan.run_id}/job/{jid}",
        "status": state.status,
        "conclusion": state.conclusion,
        "created_at": ts(plan.created_at),
        "started_at": ts(plan.created_at if queued else plan.started_at),
        "completed_at": ts(state.completed_at),
        "name": plan.job_name,
        "steps": [] if queued else steps,
        "check_run_url": f"{api}/repos/{full_name}/check-runs/{jid}",
        "labels": ["ubuntu-latest"],
        "runner_id": None if queued else runner,
        "runner_name": None if queued else f"GitHub Actions {runner}",
        "runner_group_id": None if queued else 2,
        "runner_group_name": None if queued else "GitHub Actions",
        "workflow_name": plan.workflow,
        "head_branch": plan.branch,
    }


# Checks and statuses -------------------------------------------------------------------------

ACTIONS_APP_ID = 15368


def actions_app(api: str, web: str) -> dict[str, Any]:
    """The GitHub Actions app, as embedded in its check runs."""
    return {
        "id": ACTIONS_APP_ID,
        "slug": "github-actions",
        "node_id": node_id("A", ACTIONS_APP_ID),
        "owner": user("github", api, web, kind="Organization"),
        "name": "GitHub Actions",
        "description": "Automate your workflow from idea to production",
        "external_url": "https://help.github.com/en/actions",
        "html_url": f"{web}/apps/github-actions",
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2019-12-10T19:04:12Z",
        "permissions": {"actions": "write", "checks": "write", "contents": "write"},
        "events": ["check_run", "check_suite", "pull_request", "push", "workflow_dispatch"],
    }


def check_run(
    state: CiRunState, full_name: str, api: str, web: str, *, job_id: int | None = None
) -> dict[str, Any]:
    """The check run GitHub Actions creates for the run's job (check-run id == job id)."""
    plan = state.plan
    jid = plan.job_id if job_id is None else job_id
    suite = stable_id("suite", plan.run_id, digits=11)
    html = f"{web}/{full_name}/actions/runs/{plan.run_id}/job/{jid}"
    failed = state.conclusion == "failure"
    return {
        "id": jid,
        "head_sha": plan.commit,
        "node_id": node_id("CR", jid),
        "external_id": hashlib.sha1(f"check:{jid}".encode()).hexdigest()[:32],
        "url": f"{api}/repos/{full_name}/check-runs/{jid}",
        "html_url": html,
        "details_url": html,
        "status": state.status,
        "conclusion": state.conclusion,
        "started_at": ts(plan.started_at if state.status != "queued" else plan.created_at),
        "completed_at": ts(state.completed_at),
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 1 if failed else 0,
            "annotations_url": f"{api}/repos/{full_name}/check-runs/{jid}/annotations",
        },
        "name": plan.job_name,
        "check_suite": {"id": suite},
        "app": actions_app(api, web),
        "pull_requests": [],
    }


def commit_status(
    status_id: int,
    *,
    context: str,
    state: str,
    description: str,
    target_url: str | None,
    creator: str,
    at: datetime,
    full_name: str,
    sha: str,
    api: str,
    web: str,
) -> dict[str, Any]:
    """A Status (one report of one context), as listed by `GET .../commits/{ref}/statuses`."""
    author = user(creator, api, web, kind="Bot")
    return {
        "url": f"{api}/repos/{full_name}/statuses/{sha}",
        "avatar_url": author["avatar_url"],
        "id": status_id,
        "node_id": node_id("SC", status_id),
        "state": state,
        "description": description,
        "target_url": target_url,
        "context": context,
        "created_at": ts(at),
        "updated_at": ts(at),
        "creator": author,
    }


def combined_state(states: list[str]) -> str:
    """GitHub's rule: failure on any error or failure, pending on any pending (or on none)."""
    if any(s in ("error", "failure") for s in states):
        return "failure"
    if not states or "pending" in states:
        return "pending"
    return "success"


def combined_status(
    page: list[dict[str, Any]],
    latest: list[dict[str, Any]],
    full_name: str,
    sha: str,
    api: str,
    web: str,
) -> dict[str, Any]:
    """The Combined Commit Status: its state over every context's `latest` status, one `page`."""
    commit_url = f"{api}/repos/{full_name}/commits/{sha}"
    return {
        "state": combined_state([s["state"] for s in latest]),
        "statuses": [
            {key: s[key] for key in s if key != "creator"} | {"required": False} for s in page
        ],
        "sha": sha,
        "total_count": len(latest),
        "repository": repository(full_name, api, web),
        "commit_url": commit_url,
        "url": f"{commit_url}/status",
    }
