"""GitHub Actions (github.com and GitHub Enterprise Server) as a CI source.

Per configured service it lists workflow runs on the branch (`GET /repos/{o}/{r}/actions/runs`,
or `.../actions/workflows/{file}/runs` per configured workflow), conditionally, so an unchanged
listing costs a 304 and no rate-limit budget. The newest run becomes a `PipelineRun`; the other
completed runs of the same workflow give the history (durations and outcomes, oldest first).
For a running run the jobs are fetched to name the step in progress.

Status mapping (GitHub's documented `status` / `conclusion` values):
- queued, waiting, requested, pending -> queued; in_progress -> running;
- completed + success -> success; failure, timed_out, startup_failure -> failure;
  cancelled -> cancelled;
- completed + neutral or skipped -> success for a run: GitHub's own required status checks treat
  both as passing, and the cockpit must not block a release that GitHub would let merge.
  For a job or a step, skipped means "did not run" and maps to cancelled, so a step skipped after
  a failure never looks green;
- anything else (action_required, stale, null, values GitHub adds later) -> unknown, which no
  gate reads as success.

Durations: `updated_at - run_started_at` for a completed run, `now - run_started_at` for a
running one (GitHub's `run_started_at` is set when the attempt is created, so queue time counts,
as in GitHub's own "total duration"); None while queued.

Actions: `rerun_failed` re-runs a completed run's failed jobs as a new attempt. Approvals, check
runs and combined status come from `GitHubReviewsMixin` (github_reviews.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus, Step, Triage
from cockpit.models.review import ApprovalLookup
from cockpit.sources.base import SourceData
from cockpit.sources.ci.base import PayloadReader, parse_link_header, recent_history
from cockpit.sources.ci.github_reviews import GitHubReviewsMixin
from cockpit.sources.ci.logs import fetch_bounded
from cockpit.sources.ci.triage_support import TriageCache, history_records, triage_log
from cockpit.text import sanitize
from cockpit.triage import RuleSet, RunHistory

Item = TypeVar("Item")

PROVIDER = "github"
API_VERSION = "2022-11-28"
RUNS_PER_PAGE = 20
JOBS_PER_PAGE = 100
MAX_PAGES = 5

_QUEUED = frozenset({"queued", "waiting", "requested", "pending"})
_FAILED = frozenset({"failure", "timed_out", "startup_failure"})
_PASSED_RUN = frozenset({"success", "neutral", "skipped"})
# GitHub answers 403 both for a missing permission and for a run it will not re-run now; these
# phrases (seen in GitHub's messages) mark the second kind.
_NOT_RERUNNABLE = ("already running", "cannot be retried", "cannot be rerun", "not complete")
_RERUN_HINT = (
    "token lacks actions:write (fine-grained token: Actions read and write; classic token: "
    "the repo scope; GITHUB_TOKEN: permissions: actions: write)"
)


class RerunRefused(SourceError):
    """GitHub refused to re-run a run because of the run's state (still running, too old...)."""

    title = "Re-run refused"


def github_headers(token: str | None) -> dict[str, str]:
    """The headers of every GitHub REST call: media type, API version and, given a token, auth."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def map_run_status(status: str | None, conclusion: str | None) -> RunStatus:
    """A workflow run's status and conclusion as a `RunStatus` (see the module docstring)."""
    if status in _QUEUED:
        return RunStatus.QUEUED
    if status == "in_progress":
        return RunStatus.RUNNING
    if status != "completed":
        return RunStatus.UNKNOWN
    if conclusion in _PASSED_RUN:
        return RunStatus.SUCCESS
    if conclusion in _FAILED:
        return RunStatus.FAILURE
    if conclusion == "cancelled":
        return RunStatus.CANCELLED
    return RunStatus.UNKNOWN


def map_job_status(status: str | None, conclusion: str | None) -> RunStatus:
    """A job's or step's status: as a run's, except that skipped means "did not run"."""
    if status == "completed" and conclusion == "skipped":
        return RunStatus.CANCELLED
    return map_run_status(status, conclusion)


# The most of a job log kept in memory (the tail: where failures are).
LOG_TAIL_BYTES = 256 * 1024
# What triage classifies: the end of the failed job's log.
TRIAGE_TAIL_BYTES = 64 * 1024


class GitHubActionsAdapter(GitHubReviewsMixin):
    """GitHub Actions runs for the services that use one `github` source.

    Args:
        name: The configured source name.
        source_cfg: The source's config (`interval` sets the poll interval).
        targets: `(service name, CiTarget)` pairs of the services using this source.
        http: The source's HTTP face; its base URL is `https://api.github.com` or a GitHub
            Enterprise Server API (`https://ghe.example.com/api/v3`), its headers come from
            `github_headers`, and its clock dates running durations.
        history: How many runs per listing to consider (newest plus history).
        max_pages: The most pages followed through `Link: rel="next"` per listing.
        event: Only runs triggered by this event (`push`, ...), when given.
        head_sha: Only runs of this commit, when given.
    """

    kind = PROVIDER
    SUPPORTS_RERUN: ClassVar[bool] = True
    SUPPORTS_LIVE_LOG: ClassVar[bool] = False
    SUPPORTS_JOB_LOG: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        source_cfg: Source,
        targets: Sequence[tuple[str, CiTarget]],
        http: SourceHttp,
        *,
        triage_rules: RuleSet | None = None,
        history: int = RUNS_PER_PAGE,
        max_pages: int = MAX_PAGES,
        event: str | None = None,
        head_sha: str | None = None,
        release_ref: str = "",
        approvals_for: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.source_cfg = source_cfg
        self.targets = list(targets)
        self.http = http
        self.interval_s = float(source_cfg.interval)
        self.history = max(1, history)
        self.max_pages = max(1, max_pages)
        self.event = event
        self.head_sha = head_sha
        self.release_ref = release_ref
        self.approvals_for = tuple(approvals_for)
        self._triage = TriageCache()
        self.triage_rules = triage_rules
        # The jobs of each target's newest run when it had finished, by run id: a finished
        # run's jobs change only when it is re-run, which changes its `updated_at`.
        self._finished_jobs: dict[int, tuple[datetime | None, tuple[Job, ...]]] = {}

    # The engine's interface --------------------------------------------------------------

    async def poll(self) -> SourceData:
        """The newest run of every target (one per configured workflow), in config order.

        With a release ref that is not the target's branch, the runs of the ref itself (a tag
        push names the tag as its branch) are polled too, so `ci_green` can judge the release.
        Services with an `approvals` gate also get their release pull request's approvals.
        """
        jobs = [self._poll_target(service, target) for service, target in self._run_targets()]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        pipelines: list[PipelineRun] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            pipelines.extend(result)
        shown = {p.run_id for p in pipelines}
        self._finished_jobs = {
            run: jobs for run, jobs in self._finished_jobs.items() if str(run) in shown
        }
        lookups = await asyncio.gather(*(self._lookup(s) for s in self.approvals_for))
        return SourceData(pipelines=tuple(pipelines), approvals=tuple(lookups))

    def _run_targets(self) -> list[tuple[str, CiTarget]]:
        targets = list(self.targets)
        ref = self.release_ref
        if ref:
            targets += [
                (service, target.model_copy(update={"branch": ref}))
                for service, target in self.targets
                if target.branch != ref
            ]
        return targets

    async def _lookup(self, service: str) -> ApprovalLookup:
        """The approvals of the service's release PR; a missing PR or permission is a problem.

        Transient failures (timeouts, rate limits, 5xx) fail the poll, so the source is marked
        failing and the gate turns unknown rather than deciding on half the data.
        """
        ref = self.release_ref
        try:
            found = await self.approvals(service, ref=ref or None)
        except SourceError as exc:
            if exc.kind not in (ErrorKind.NOT_FOUND, ErrorKind.CONFIG, ErrorKind.AUTH):
                raise
            missing = exc.kind is ErrorKind.NOT_FOUND
            return ApprovalLookup(
                service, ref, problem=exc.message, missing=missing, source=self.name
            )
        return ApprovalLookup(service, ref, approvals=found, source=self.name)

    async def jobs(self, run: PipelineRun) -> tuple[Job, ...]:
        """The jobs of `run`, with their steps (GitHub's `filter=latest`: the latest attempt)."""
        repo = self._repo(run.service)
        path = f"/repos/{repo}/actions/runs/{quote(run.run_id, safe='')}/jobs"
        params: dict[str, str | int] = {"per_page": JOBS_PER_PAGE, "filter": "latest"}
        what = f"the jobs of run {run.run_id} in {repo}"
        return tuple(await self._list(path, params, "jobs", what, _job))

    async def job_log(self, run: PipelineRun, job: Job, *, max_bytes: int = LOG_TAIL_BYTES) -> str:
        """The tail of the job's plain-text log, at most `max_bytes`, streamed.

        GitHub answers 302 to short-lived storage (followed; httpx drops our Authorization
        header on the way to another host). Only the tail is kept in memory, so a 100 MB log
        costs a stream, not 100 MB.
        """
        repo = self._repo(run.service)
        path = f"/repos/{repo}/actions/jobs/{quote(job.job_id, safe='')}/logs"
        fetched = await fetch_bounded(self.http, path, keep=max_bytes, follow_redirects=True)
        self.http.raise_for_status(fetched.response)
        data = fetched.data
        if fetched.dropped:
            # Start at a line boundary: the first kept line is most likely cut.
            data = data[data.find(b"\n") + 1 :]
        return sanitize(data, keep_newlines=True)

    async def rerun_failed(self, run: PipelineRun) -> None:
        """Re-run the failed jobs of `run` (and the jobs that depend on them) as a new attempt.

        `POST /repos/{o}/{r}/actions/runs/{id}/rerun-failed-jobs`; GitHub answers 201.

        Raises:
            SourceError: auth when the token may not write Actions (hint: actions:write);
                `RerunRefused` when GitHub will not re-run the run now (still running, or not
                retryable); not_found, rate_limited, ... as for any request.
        """
        repo = self._repo(run.service)
        path = f"/repos/{repo}/actions/runs/{quote(run.run_id, safe='')}/rerun-failed-jobs"
        http = self.http
        request = http.client.build_request(
            "POST", http.url(path), headers=http.headers, timeout=http.timeout
        )
        response = await http.send(request)
        try:
            http.raise_for_status(response)
        except SourceError as exc:
            if exc.kind is not ErrorKind.AUTH or response.status_code != 403:
                raise
            raise _rerun_refusal(self.name, repo, run.run_id, response.content) from exc

    # Polling -----------------------------------------------------------------------------

    def _repo(self, service: str) -> str:
        target = next((t for s, t in self.targets if s == service), None)
        if target is None or not target.repo:
            raise SourceError(
                ErrorKind.CONFIG,
                f"{self.name}: service {service!r} has no GitHub `repo` (owner/name)",
                source=self.name,
                hint="give the service's ci a `repo: owner/name`",
            )
        return target.repo

    async def _poll_target(self, service: str, target: CiTarget) -> list[PipelineRun]:
        repo = self._repo(service)
        params: dict[str, str | int] = {"per_page": min(RUNS_PER_PAGE, self.history)}
        if target.branch:
            params["branch"] = target.branch
        if self.event:
            params["event"] = self.event
        if self.head_sha:
            params["head_sha"] = self.head_sha
        params["exclude_pull_requests"] = "true"
        if not target.workflows:
            runs = await self._runs(f"/repos/{repo}/actions/runs", params, repo, None)
            pipeline = await self._pipeline(service, repo, runs, same_workflow=True)
            return [] if pipeline is None else [pipeline]
        pipelines = []
        for workflow in target.workflows:
            path = f"/repos/{repo}/actions/workflows/{quote(workflow, safe='')}/runs"
            runs = await self._runs(path, params, repo, workflow)
            pipeline = await self._pipeline(service, repo, runs, same_workflow=False)
            if pipeline is not None:
                pipelines.append(pipeline)
        return pipelines

    async def _runs(
        self, path: str, params: Mapping[str, str | int], repo: str, workflow: str | None
    ) -> list[_Run]:
        what = f"the runs of {repo}" + (f" workflow {workflow!r}" if workflow else "")
        try:
            return await self._list(path, params, "workflow_runs", what, _Run, want=self.history)
        except SourceError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise
            if workflow is None:
                message = f"{self.name}: repository {repo} not found (or the token cannot see it)"
                hint = "check the service's `repo` and the token's access to it"
            else:
                message = (
                    f"{self.name}: workflow {workflow!r} not found in {repo} (deleted or renamed?)"
                )
                hint = "check the service's `workflows` (a file name such as ci.yml, or an id)"
            raise SourceError(ErrorKind.NOT_FOUND, message, source=self.name, hint=hint) from exc

    async def _list(
        self,
        path: str,
        params: Mapping[str, str | int],
        key: str,
        what: str,
        read: Callable[[PayloadReader, Mapping[str, Any]], Item],
        *,
        want: int | None = None,
    ) -> list[Item]:
        """Items of a paginated listing, following `Link: rel="next"` for at most max_pages.

        Each page's items are read once per ETag: an unchanged page costs no parsing.
        """
        reader = self._reader(what)

        def read_page(data: Any) -> tuple[Item, ...]:
            return tuple(read(reader, item) for item in reader.items(data, key))

        items: list[Item] = []
        url: str | None = path
        for _ in range(self.max_pages):
            if url is None or (want is not None and len(items) >= want):
                break
            result = await self.http.get(url, params=params if url == path else None)
            items.extend(result.derived(key, read_page))
            link = next((v for k, v in result.headers.items() if k.lower() == "link"), None)
            url = self._same_origin(parse_link_header(link).get("next"))
        return items if want is None else items[:want]

    async def _pipeline(
        self, service: str, repo: str, listed: list[_Run], *, same_workflow: bool
    ) -> PipelineRun | None:
        runs = sorted(listed, key=_Run.order, reverse=True)
        if not runs:
            return None
        newest = runs[0]
        history = [
            r
            for r in reversed(runs[1:])
            if r.raw_status == "completed"
            and (not same_workflow or r.workflow_key == newest.workflow_key)
        ]
        now = self.http.clock.now()
        recent = recent_history(history, now)
        pipeline = PipelineRun(
            service=service,
            provider=PROVIDER,
            run_id=str(newest.run_id),
            name=newest.name,
            status=newest.status,
            commit=newest.head_sha,
            branch=newest.branch,
            url=newest.url,
            started_at=newest.started_at,
            duration_s=newest.duration(now),
            recent_durations_s=recent.durations,
            recent_outcomes=recent.outcomes,
            source=self.name,
        )
        if pipeline.status not in (RunStatus.RUNNING, RunStatus.FAILURE):
            return pipeline
        jobs = await self._jobs_of(newest, pipeline)
        pipeline = _with_jobs(pipeline, jobs)
        if pipeline.status is RunStatus.FAILURE:
            records = history_records((r.head_sha, r.status, str(r.run_id)) for r in history)
            triage = await self._triage_failed(pipeline, jobs, records, newest.author)
            pipeline = replace(pipeline, triage=triage)
        return pipeline

    async def _jobs_of(self, newest: _Run, pipeline: PipelineRun) -> tuple[Job, ...]:
        """The run's jobs; a finished run's are asked for once (until it is re-run)."""
        if newest.raw_status != "completed":
            return await self.jobs(pipeline)
        known = self._finished_jobs.get(newest.run_id)
        if known is not None and known[0] == newest.updated_at:
            return known[1]
        jobs = await self.jobs(pipeline)
        self._finished_jobs[newest.run_id] = (newest.updated_at, jobs)
        return jobs

    async def _triage_failed(
        self, run: PipelineRun, jobs: tuple[Job, ...], history: RunHistory, author: str
    ) -> Triage | None:
        """Classify the first failed job (the cause; later failures usually follow from it)."""
        failed = next((j for j in jobs if j.status is RunStatus.FAILURE), None)
        if failed is None:
            return None
        key = (run.service, run.run_id, failed.job_id)
        if (cached := self._triage.get(key)) is not None:
            return cached
        try:
            tail = await self.job_log(run, failed, max_bytes=TRIAGE_TAIL_BYTES)
        except SourceError:
            return None  # best effort: an expired or missing log leaves the run untriaged
        return self._triage.put(
            key, triage_log(tail, history, run.commit, author, rules=self.triage_rules)
        )


class _Run:
    """The fields of a workflow run the cockpit uses, read loosely."""

    __slots__ = (
        "author",
        "branch",
        "created_at",
        "head_sha",
        "name",
        "raw_status",
        "run_id",
        "started_at",
        "status",
        "updated_at",
        "url",
        "workflow_key",
    )

    def __init__(self, reader: PayloadReader, item: Mapping[str, Any]) -> None:
        self.run_id = reader.integer(item, "id")
        self.raw_status = reader.text(item, "status", nullable=True)
        self.status = map_run_status(self.raw_status, item.get("conclusion"))
        self.head_sha = sanitize(reader.text(item, "head_sha"))
        head_commit = item.get("head_commit")
        author = head_commit.get("author") if isinstance(head_commit, Mapping) else None
        name = author.get("name") if isinstance(author, Mapping) else None
        self.author = sanitize(name) if isinstance(name, str) else ""
        self.branch = sanitize(reader.text(item, "head_branch", nullable=True))
        self.url = sanitize(reader.text(item, "html_url"))
        self.created_at = reader.time(item, "created_at")
        self.updated_at = reader.time(item, "updated_at")
        self.started_at = reader.time(item, "run_started_at", nullable=True) or self.created_at
        raw_path = item.get("path")
        path = raw_path if isinstance(raw_path, str) else ""
        title = reader.text(item, "name", nullable=True) or path.rsplit("/", 1)[-1]
        self.name = sanitize(title or reader.text(item, "display_title", nullable=True))
        workflow_id = item.get("workflow_id")
        self.workflow_key = str(workflow_id) if workflow_id is not None else path or self.name

    def order(self) -> tuple[datetime, int]:
        return (self.created_at or datetime.min.replace(tzinfo=UTC), self.run_id)

    def duration(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        if self.raw_status == "completed" and self.updated_at is not None:
            return max(0.0, (self.updated_at - self.started_at).total_seconds())
        if self.status is RunStatus.RUNNING:
            return max(0.0, (now - self.started_at).total_seconds())
        return None


def _job(reader: PayloadReader, item: Mapping[str, Any]) -> Job:
    raw_steps = item.get("steps")
    steps = raw_steps if isinstance(raw_steps, list) else []
    return Job(
        job_id=str(reader.integer(item, "id")),
        name=sanitize(reader.text(item, "name")),
        status=map_job_status(reader.text(item, "status", nullable=True), item.get("conclusion")),
        started_at=reader.time(item, "started_at", nullable=True),
        completed_at=reader.time(item, "completed_at", nullable=True),
        url=reader.text(item, "html_url", nullable=True),
        steps=tuple(_step(reader, reader.obj(s, "a step")) for s in steps),
    )


def _step(reader: PayloadReader, item: Mapping[str, Any]) -> Step:
    return Step(
        name=sanitize(reader.text(item, "name")),
        status=map_job_status(reader.text(item, "status", nullable=True), item.get("conclusion")),
        number=reader.integer(item, "number"),
        started_at=reader.time(item, "started_at", nullable=True),
        completed_at=reader.time(item, "completed_at", nullable=True),
    )


def _rerun_refusal(source: str, repo: str, run_id: str, body: bytes) -> SourceError:
    """A 403 to a re-run: the run's state (RerunRefused) or a missing permission (auth)."""
    try:
        said = json.loads(body).get("message", "")
    except (ValueError, AttributeError):
        said = ""
    said = sanitize(said)[:200] if isinstance(said, str) else ""
    if any(phrase in said.lower() for phrase in _NOT_RERUNNABLE):
        running = "running" in said.lower() or "not complete" in said.lower()
        return RerunRefused(
            ErrorKind.BAD_RESPONSE,
            f"{source}: GitHub will not re-run run {run_id} of {repo}: {said}",
            source=source,
            hint="wait until the whole run has completed, then re-run"
            if running
            else "GitHub re-runs a failed run for 30 days and at most 50 times; push a new commit",
        )
    return SourceError(
        ErrorKind.AUTH,
        f"{source}: not allowed to re-run run {run_id} of {repo} (HTTP 403"
        + (f": {said})" if said else ")"),
        source=source,
        hint=_RERUN_HINT,
    )


def running_step(jobs: Sequence[Job]) -> str:
    """The step in progress (`job / step` when several jobs run), or a running job's name."""
    running = [j for j in jobs if j.status is RunStatus.RUNNING]
    names = []
    for job in running:
        step = next((s.name for s in job.steps if s.status is RunStatus.RUNNING), "")
        names.append(f"{job.name} / {step}" if step and len(running) > 1 else step or job.name)
    return ", ".join(names)


def _with_jobs(pipeline: PipelineRun, jobs: tuple[Job, ...]) -> PipelineRun:
    return replace(pipeline, running_step=running_step(jobs), jobs=jobs)
