"""GitLab CI as the scenario shows it: pipelines, jobs and traces, as GitLab's REST v4 bodies.

A scenario run is a GitLab pipeline whose steps are its jobs, one stage each. Job ids are
`run_id * 10 + step number`. Retrying a job adds an in-place attempt (`Scenario.rerun(...,
in_place=True)`): the retried job gets a new id, the jobs after it that were skipped are reset
and run again under their old ids, and the pipeline's status follows its latest attempt.

Every GitLab service has a release merge request (`release/<version>` into main), merged as the
release commit two minutes before its release pipeline is created, approved by two people other
than its author and by the author themselves (the project allows it; the cockpit never counts
it). `resolve` names a commit by the release tag, a branch, or a SHA (a unique prefix of 7+).

Bodies carry the fields GitLab's API documentation shows for each endpoint (`doc/api/
pipelines.md`, `doc/api/jobs.md`, `doc/api/commits.md`, `doc/api/merge_requests.md`,
`doc/api/merge_request_approvals.md`), with GitLab's types: ids are ints, times are ISO 8601
with milliseconds and `Z`, durations are seconds (floats for jobs, ints for pipelines).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cockpit.sim.scenario import CiRunPlan, CiRunState, Scenario, StepState, run_state

RUNNER_VERSION = "17.5.1 (ab12cd34)"
APPROVERS = ("ada", "grace", "linus", "margaret", "ken")
APPROVALS_REQUIRED = 2
_HEX = re.compile(r"[0-9a-f]{7,40}")
STAGES = {"checkout": "prepare", "setup": "setup", "build": "build", "test": "test"}
_ESC = "\x1b"


def ts(moment: datetime | None) -> str | None:
    """GitLab's timestamp form: `2026-11-23T10:00:00.000Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error(status: int, what: str = "") -> dict[str, Any]:
    """GitLab's error body: `{"message": "404 Project Not Found"}`."""
    reason = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(status, "Error")
    return {"message": f"{status} {what + ' ' if what else ''}{reason}".strip()}


@dataclass(frozen=True, slots=True)
class JobView:
    """One job of a pipeline at one moment, in GitLab's vocabulary."""

    id: int
    name: str
    stage: str
    status: str
    plan: CiRunPlan
    step: StepState
    created_at: datetime
    queued_at: datetime


@dataclass(frozen=True, slots=True)
class PipelineView:
    """A pipeline at one moment: its current jobs, the retried ones, and its own status."""

    plan: CiRunPlan
    status: str
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration: int | None
    jobs: tuple[JobView, ...]
    retried: tuple[JobView, ...]


def _job_status(state: CiRunState, step: StepState, first_waiting: int) -> str:
    if step.status == "in_progress":
        return "running"
    if step.status == "completed":
        return {"success": "success", "failure": "failed"}.get(step.conclusion or "", "skipped")
    return "pending" if step.number == first_waiting else "created"


def _jobs(plan: CiRunPlan, state: CiRunState, ids: dict[int, int]) -> dict[int, JobView]:
    # The next job waits for a runner ("pending"); later stages wait for it ("created").
    busy = any(s.status == "in_progress" for s in state.steps)
    waiting = [s.number for s in state.steps if s.status == "queued"]
    first_waiting = waiting[0] if waiting and not busy else -1
    previous_end = plan.started_at
    views = {}
    for step in state.steps:
        number = plan.first_step + step.number
        queued_at = previous_end if step.number > 1 else plan.created_at
        views[number] = JobView(
            id=ids.get(number, plan.run_id * 10 + number),
            name=step.name,
            stage=STAGES.get(step.name, "deploy"),
            status=_job_status(state, step, first_waiting),
            plan=plan,
            step=step,
            created_at=plan.created_at,
            queued_at=queued_at,
        )
        previous_end = step.completed_at or previous_end
    return views


def pipeline_view(scenario: Scenario, plan: CiRunPlan, at: datetime) -> PipelineView:
    """The pipeline of `plan` (a scripted run) at `at`, retries included."""
    state = run_state(plan, at)
    jobs = _jobs(plan, state, {})
    retried: list[JobView] = []
    attempts = [state]
    for retry in scenario.retries_of(plan.run_id):
        if retry.created_at > at:
            continue
        retry_state = run_state(retry, at)
        attempts.append(retry_state)
        first = retry.first_step + 1
        retried.append(jobs[first])
        keep = {n: jobs[n].id for n in jobs if n > first}
        jobs.update(_jobs(retry, retry_state, keep))
    latest = attempts[-1]
    if latest.status == "completed":
        status = "success" if latest.conclusion == "success" else "failed"
    elif latest.status == "in_progress" or len(attempts) > 1:
        status = "running"
    else:
        status = "pending"
    finished = latest.completed_at if latest.status == "completed" else None
    duration = sum(
        int(((a.completed_at or at) - a.plan.started_at).total_seconds())
        for a in attempts
        if a.status != "queued"
    )
    return PipelineView(
        plan=plan,
        status=status,
        updated_at=max(a.updated_at for a in attempts),
        started_at=plan.started_at if at >= plan.started_at else None,
        finished_at=finished,
        duration=duration if state.status != "queued" else None,
        jobs=tuple(jobs[n] for n in sorted(jobs)),
        retried=tuple(retried),
    )


def user(login: str, web: str) -> dict[str, Any]:
    """The user entity embedded in pipelines and jobs."""
    return {
        "id": 100 + sum(map(ord, login)),
        "username": login,
        "name": login.title(),
        "state": "active",
        "locked": False,
        "avatar_url": f"{web}/uploads/-/system/user/avatar/{login}/avatar.png",
        "web_url": f"{web}/{login}",
    }


def pipeline_item(view: PipelineView, project_id: int, path: str, web: str) -> dict[str, Any]:
    """A pipeline as `GET /projects/:id/pipelines` lists it."""
    plan = view.plan
    return {
        "id": plan.run_id,
        "iid": plan.run_number,
        "project_id": project_id,
        "sha": plan.commit,
        "ref": plan.branch,
        "status": view.status,
        "source": plan.event,
        "created_at": ts(plan.created_at),
        "updated_at": ts(view.updated_at),
        "web_url": f"{web}/{path}/-/pipelines/{plan.run_id}",
        "name": None,
    }


def pipeline(view: PipelineView, project_id: int, path: str, web: str) -> dict[str, Any]:
    """A pipeline as `GET /projects/:id/pipelines/:pipeline_id` (and retry) returns it."""
    plan = view.plan
    icon = {"failed": "failed", "success": "success", "running": "running"}.get(view.status)
    return {
        **pipeline_item(view, project_id, path, web),
        "before_sha": "0" * 40,
        "tag": False,
        "yaml_errors": None,
        "user": user(plan.author, web),
        "started_at": ts(view.started_at),
        "finished_at": ts(view.finished_at),
        "committed_at": None,
        "duration": view.duration,
        "queued_duration": plan.queue_s,
        "coverage": None,
        "detailed_status": {
            "icon": f"status_{icon or 'pending'}",
            "text": view.status,
            "label": view.status,
            "group": view.status,
            "tooltip": view.status,
            "has_details": True,
            "details_path": f"/{path}/-/pipelines/{plan.run_id}",
            "illustration": None,
            "favicon": f"/assets/ci_favicons/favicon_status_{icon or 'pending'}.png",
        },
    }


def job(
    view: JobView, pipe: PipelineView, project_id: int, path: str, web: str, at: datetime
) -> dict[str, Any]:
    """A job as `GET .../pipelines/:id/jobs`, `GET .../jobs/:id` and retry return it."""
    plan, step = view.plan, view.step
    started, finished = step.started_at, step.completed_at
    running_for = ((finished or at) - started).total_seconds() if started else None
    body: dict[str, Any] = {
        "commit": {
            "author_email": f"{plan.author}@example.com",
            "author_name": plan.author.title(),
            "created_at": ts(plan.created_at),
            "id": plan.commit,
            "message": plan.message,
            "short_id": plan.commit[:8],
            "title": plan.message,
        },
        "coverage": None,
        "archived": False,
        "allow_failure": False,
        "created_at": ts(view.created_at),
        "started_at": ts(started),
        "finished_at": ts(finished),
        "erased_at": None,
        "duration": running_for,
        "queued_duration": (started - view.queued_at).total_seconds() if started else None,
        "artifacts_expire_at": None,
        "tag_list": ["docker", "linux"],
        "id": view.id,
        "name": view.name,
        "pipeline": {
            "id": plan.retry_of if plan.in_place and plan.retry_of else plan.run_id,
            "project_id": project_id,
            "ref": plan.branch,
            "sha": plan.commit,
            "status": pipe.status,
        },
        "ref": plan.branch,
        "artifacts": [],
        "runner": None if started is None else runner(plan.run_id),
        "stage": view.stage,
        "status": view.status,
        "tag": False,
        "web_url": f"{web}/{path}/-/jobs/{view.id}",
        "project": {"ci_job_token_scope_enabled": False},
        "user": user(plan.author, web),
    }
    if view.status == "failed":
        body["failure_reason"] = "script_failure"
    return body


def runner(seed: int) -> dict[str, Any]:
    number = seed % 7 + 1
    return {
        "id": number,
        "description": f"acme-runner-{number}",
        "ip_address": None,
        "active": True,
        "paused": False,
        "is_shared": False,
        "runner_type": "group_type",
        "name": "gitlab-runner",
        "online": True,
        "status": "online",
    }


def trace(view: JobView, padding: int = 0) -> bytes:
    """The job's log so far, as gitlab-runner writes it: colours, sections and all.

    `padding` adds that many bytes of dependency-download noise before the script, to make a
    large log.
    """
    step, plan = view.step, view.plan
    if step.started_at is None or view.status == "skipped":
        return b""
    stamp = int(step.started_at.timestamp())
    bold, cyan, green, red, reset = (
        f"{_ESC}[1m",
        f"{_ESC}[36;1m",
        f"{_ESC}[32;1m",
        f"{_ESC}[31;1m",
        f"{_ESC}[0;m",
    )
    clear = f"\r{_ESC}[0K"
    lines = [
        f"{_ESC}[0K{bold}Running with gitlab-runner {RUNNER_VERSION}{reset}",
        f"{_ESC}[0K  on acme-runner-{plan.run_id % 7 + 1} sYz{plan.run_id % 9973:05d}",
        f"section_start:{stamp}:prepare_executor{clear}{_ESC}[0K{cyan}Preparing the "
        f'"docker" executor{reset}',
        f"section_end:{stamp}:prepare_executor{clear}",
        f"section_start:{stamp}:step_script{clear}{_ESC}[0K{cyan}Executing "
        f'"step_script" stage of the job script{reset}',
        f"{green}$ ./ci/{view.name}.sh{reset}",
    ]
    body = "\n".join(lines) + "\n"
    if padding > 0:
        filler = "Downloading https://pypi.example.com/packages/wheel-0.42.0.tar.gz (cached)\n"
        body += (filler * (padding // len(filler) + 1))[:padding]
        body += "\n" if not body.endswith("\n") else ""
    logged = _logged(plan, step)
    body += "".join(f"{line}\n" for line in logged)
    if view.status in ("success", "failed"):
        ended = int((step.completed_at or step.started_at).timestamp())
        body += f"section_end:{ended}:step_script{clear}\n"
        if view.status == "success":
            body += f"{green}Job succeeded{reset}\n"
        else:
            code = 137 if plan.failure_kind == "infra" else 1
            body += f"{red}ERROR: Job failed: exit code {code}{reset}\n"
    return body.encode()


def _logged(plan: CiRunPlan, step: StepState) -> tuple[str, ...]:
    scripted = plan.steps[step.number - 1].log
    return scripted if step.status == "completed" else scripted[:1]


# Merge requests, approvals and commits -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MergeRequestPlan:
    """A scripted merge request: opened, approved, and maybe merged, at fixed moments."""

    id: int
    iid: int
    service: str
    title: str
    author: str
    source_branch: str
    target_branch: str
    sha: str
    created_at: datetime
    merged_at: datetime | None
    merge_commit_sha: str | None
    approvals: tuple[tuple[str, datetime], ...]

    def state_at(self, at: datetime) -> str:
        return "merged" if self.merged_at is not None and self.merged_at <= at else "opened"

    def approved_by(self, at: datetime) -> list[tuple[str, datetime]]:
        return [(who, when) for who, when in self.approvals if when <= at]

    def updated_at(self, at: datetime) -> datetime:
        moments = [self.created_at, *(when for _, when in self.approved_by(at))]
        if self.merged_at is not None and self.merged_at <= at:
            moments.append(self.merged_at)
        return max(moments)


def _sha(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def merge_requests(scenario: Scenario, service: str, at: datetime) -> list[MergeRequestPlan]:
    """The merge requests of a GitLab service opened by `at`, newest first."""
    if service not in scenario.gitlab_services:
        return []
    index = scenario.gitlab_services.index(service)
    release = next((p for p in scenario.ci_plans(service) if p.release), None)
    release_at = release.created_at if release else scenario.at(-600)
    merged_at = release_at - timedelta(minutes=2)
    opened = merged_at - timedelta(hours=2)
    author = release.author if release else APPROVERS[index % len(APPROVERS)]
    others = [name for name in APPROVERS if name != author]
    iid = 57 + 11 * index
    plan = MergeRequestPlan(
        id=31_000 + iid,
        iid=iid,
        service=service,
        title=f"Release {service} {scenario.release_name}",
        author=author,
        source_branch=f"release/{scenario.release_name}",
        target_branch="main",
        sha=_sha(scenario.seed, service, "gitlab-release-head"),
        created_at=opened,
        merged_at=merged_at,
        merge_commit_sha=scenario.release_commit(service),
        approvals=(
            (author, opened + timedelta(minutes=5)),  # the author's own: never counted
            (others[0], opened + timedelta(minutes=40)),
            (others[1], opened + timedelta(minutes=65)),
        ),
    )
    return [plan] if plan.created_at <= at else []


def resolve(scenario: Scenario, service: str, ref: str, at: datetime) -> str | None:
    """The commit SHA that `ref` (the release tag, a branch, or a SHA) names at `at`, or None."""
    name = ref.removeprefix("refs/").removeprefix("heads/").removeprefix("tags/")
    if name == scenario.release_ref:
        return scenario.release_commit(service)
    runs = [r for r in scenario.ci_runs(service, at) if r.plan.branch == name]
    if runs:
        return runs[0].plan.commit
    mr = next((m for m in merge_requests(scenario, service, at) if m.source_branch == name), None)
    if mr is not None:
        return mr.sha
    if not _HEX.fullmatch(name.lower()):
        return None
    matches = {c for c in commits(scenario, service, at) if c.startswith(name.lower())}
    return matches.pop() if len(matches) == 1 else None


def commits(scenario: Scenario, service: str, at: datetime) -> set[str]:
    """Every commit the service's project has at `at`."""
    known = {r.plan.commit for r in scenario.ci_runs(service, at)}
    known.add(scenario.release_commit(service))
    known.update(m.sha for m in merge_requests(scenario, service, at))
    return known


def commit(
    scenario: Scenario,
    service: str,
    sha: str,
    project_id: int,
    path: str,
    web: str,
    last_pipeline: dict[str, Any] | None,
) -> dict[str, Any]:
    """A commit as `GET /projects/:id/repository/commits/:sha` returns it."""
    at = scenario.now()
    plan = next((r.plan for r in scenario.ci_runs(service, at) if r.plan.commit == sha), None)
    mr = next((m for m in merge_requests(scenario, service, at) if m.sha == sha), None)
    if plan is not None:
        author, message, when = plan.author, plan.message, plan.created_at
    elif mr is not None:
        author, message, when = mr.author, f"Prepare {mr.title}", mr.created_at
    else:
        author, message, when = "ada", "Initial commit", scenario.at(-86_400)
    stamp = ts(when)
    return {
        "id": sha,
        "short_id": sha[:8],
        "title": message,
        "author_name": author.title(),
        "author_email": f"{author}@example.com",
        "authored_date": stamp,
        "committer_name": author.title(),
        "committer_email": f"{author}@example.com",
        "committed_date": stamp,
        "created_at": stamp,
        "message": message,
        "parent_ids": [_sha(scenario.seed, service, "parent", sha)],
        "web_url": f"{web}/{path}/-/commit/{sha}",
        "trailers": {},
        "extended_trailers": {},
        "stats": {"additions": 15, "deletions": 4, "total": 19},
        "status": None if last_pipeline is None else last_pipeline["status"],
        "project_id": project_id,
        "last_pipeline": last_pipeline,
    }


def merge_request(
    mr: MergeRequestPlan, project_id: int, path: str, web: str, at: datetime
) -> dict[str, Any]:
    """A merge request as `GET /projects/:id/merge_requests` (and the commit's) list it."""
    state = mr.state_at(at)
    merged = state == "merged"
    author = user(mr.author, web)
    merger = user(next(who for who in APPROVERS if who != mr.author), web) if merged else None
    return {
        "id": mr.id,
        "iid": mr.iid,
        "project_id": project_id,
        "title": mr.title,
        "description": f"Release {mr.service}: changelog, version bump and migrations.",
        "state": state,
        "imported": False,
        "imported_from": "none",
        "merged_by": merger,
        "merge_user": merger,
        "merged_at": ts(mr.merged_at) if merged else None,
        "merge_after": None,
        "prepared_at": ts(mr.created_at),
        "closed_by": None,
        "closed_at": None,
        "created_at": ts(mr.created_at),
        "updated_at": ts(mr.updated_at(at)),
        "target_branch": mr.target_branch,
        "source_branch": mr.source_branch,
        "upvotes": 0,
        "downvotes": 0,
        "author": author,
        "assignee": author,
        "assignees": [author],
        "reviewers": [user(who, web) for who, _ in mr.approvals if who != mr.author],
        "source_project_id": project_id,
        "target_project_id": project_id,
        "labels": ["release"],
        "draft": False,
        "work_in_progress": False,
        "milestone": None,
        "merge_when_pipeline_succeeds": False,
        "merge_status": "can_be_merged",
        "detailed_merge_status": "not_open" if merged else "mergeable",
        "sha": mr.sha,
        "merge_commit_sha": mr.merge_commit_sha if merged else None,
        "squash_commit_sha": None,
        "user_notes_count": 3,
        "discussion_locked": None,
        "should_remove_source_branch": True,
        "force_remove_source_branch": True,
        "allow_collaboration": False,
        "allow_maintainer_to_push": False,
        "reference": f"!{mr.iid}",
        "references": {
            "short": f"!{mr.iid}",
            "relative": f"!{mr.iid}",
            "full": f"{path}!{mr.iid}",
        },
        "web_url": f"{web}/{path}/-/merge_requests/{mr.iid}",
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": None,
            "human_total_time_spent": None,
        },
        "squash": False,
        "squash_on_merge": False,
        "task_completion_status": {"count": 0, "completed_count": 0},
        "has_conflicts": False,
        "blocking_discussions_resolved": True,
        "approvals_before_merge": None,
    }


def approvals(
    mr: MergeRequestPlan, project_id: int, path: str, web: str, at: datetime
) -> dict[str, Any]:
    """`GET /projects/:id/merge_requests/:iid/approvals`: the merge request's approval state.

    The project lets authors approve their own merge requests, so GitLab counts the author's
    approval in `approvals_left` and `approved` (the cockpit does not).
    """
    given = mr.approved_by(at)
    left = max(0, APPROVALS_REQUIRED - len(given))
    return {
        "id": mr.id,
        "iid": mr.iid,
        "project_id": project_id,
        "title": mr.title,
        "description": f"Release {mr.service}: changelog, version bump and migrations.",
        "state": mr.state_at(at),
        "created_at": ts(mr.created_at),
        "updated_at": ts(mr.updated_at(at)),
        "merge_status": "can_be_merged",
        "approved": left == 0,
        "approvals_required": APPROVALS_REQUIRED,
        "approvals_left": left,
        "approved_by": [{"user": user(who, web)} for who, _ in given],
    }
