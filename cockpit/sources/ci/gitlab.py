"""GitLab CI (gitlab.com and self-managed, REST API v4) as a CI source.

Per configured service (`project: group/name` or a numeric id, `branch`) it lists pipelines
(`GET /projects/:id/pipelines?ref=&per_page=20&order_by=id&sort=desc`), following `Link:
rel="next"` or `X-Next-Page`, conditionally: GitLab sends an ETag, so an unchanged listing costs
a 304. The newest pipeline becomes a `PipelineRun`; the other finished ones give the history.
For a running or failed pipeline the jobs are fetched (`/pipelines/:id/jobs`) to name the job
in progress, and for a failed one the first failed job's log tail is classified (triage).

Status mapping (GitLab's documented pipeline and job statuses):
- created, waiting_for_resource, preparing, pending, scheduled, manual -> queued (not started:
  `manual` waits for a person to press play);
- running -> running; success -> success; failed -> failure;
- canceled, canceling -> cancelled; skipped -> cancelled ("did not run"): GitLab itself does not
  count a skipped pipeline as passing unless a project allows it, so neither do we;
- anything else -> unknown, which no gate reads as success.

Durations: GitLab's pipeline listing has no start or finish time, only `created_at` and
`updated_at`, so a finished pipeline's duration is `updated_at - created_at` (queue time
included, as the GitHub adapter counts it) and a running one's is `now - created_at`.

Logs (`SUPPORTS_LIVE_LOG`): `GET /projects/:id/jobs/:job_id/trace`, first as a `Range` suffix
(the last 64 KiB), then `Range: bytes=N-` for the new bytes only. GitLab documents no range
support for traces: when the answer is a 200 with the whole trace it is streamed, the bytes
already seen are skipped and only a bounded tail is kept (see `cockpit.sources.ci.logs`).

Re-runs (`SUPPORTS_RERUN`): `POST /projects/:id/jobs/:job_id/retry` for one job,
`POST /projects/:id/pipelines/:id/retry` for every failed job of a pipeline.

Approvals (for the `approvals` gate): the release ref is resolved to its commit
(`GET /projects/:id/repository/commits/:ref`), its merge request found among those associated
with the commit (`.../repository/commits/:sha/merge_requests`; else by source branch,
`GET /projects/:id/merge_requests?source_branch=&state=`), merged ones first, then open ones,
and its approvals read (`GET /projects/:id/merge_requests/:iid/approvals`, `approved_by`). The
author's own approval never counts (`self_approved` says it happened).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus, Triage
from cockpit.models.review import ApprovalLookup, Approvals
from cockpit.sources.base import SourceData
from cockpit.sources.ci.base import PayloadReader, parse_link_header, recent_history
from cockpit.sources.ci.gitlab_api import (
    API_PREFIX,
    BODY_HINT,
    FINISHED,
    FULL_SHA,
    INFRA_REASONS,
    Pipeline,
    approvals_from,
    error_message,
    gitlab_headers,
    job_from,
    json_body,
    map_status,
    pick_merge_request,
    project_ref,
    raise_for,
    read_trace,
)
from cockpit.sources.ci.logs import DEFAULT_TAIL_BYTES, LogChunk, LogCursor, RerunResult
from cockpit.sources.ci.triage_support import TriageCache, history_records, triage_log
from cockpit.text import sanitize
from cockpit.triage import RuleSet, RunHistory

__all__ = ["GitLabCIAdapter", "gitlab_headers", "map_status", "project_ref"]

PROVIDER = "gitlab"
PIPELINES_PER_PAGE = 20
JOBS_PER_PAGE = 100
MAX_PAGES = 5


class GitLabCIAdapter:
    """GitLab CI pipelines for the services that use one `gitlab` source.

    Args:
        name: The configured source name.
        source_cfg: The source's config (`interval` sets the poll interval).
        targets: `(service name, CiTarget)` pairs; each target has `project` and maybe `branch`.
        http: The source's HTTP face: base URL the instance (`https://gitlab.example.com`) or
            its API (`.../api/v4`), headers from `gitlab_headers`.
        history: How many pipelines per listing to consider (newest plus history).
        max_pages: The most pages followed per listing.
        tail_bytes: The most of a log read at once, and what triage classifies.
        release_ref: The release's tag, branch or SHA: whose merge request the approvals are.
        approvals_for: Services with an `approvals` gate: `poll` reads their approvals too.
    """

    kind = PROVIDER
    SUPPORTS_RERUN: ClassVar[bool] = True
    SUPPORTS_LIVE_LOG: ClassVar[bool] = True
    SUPPORTS_JOB_LOG: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        source_cfg: Source,
        targets: Sequence[tuple[str, CiTarget]],
        http: SourceHttp,
        *,
        triage_rules: RuleSet | None = None,
        history: int = PIPELINES_PER_PAGE,
        max_pages: int = MAX_PAGES,
        tail_bytes: int = DEFAULT_TAIL_BYTES,
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
        self.tail_bytes = max(1024, tail_bytes)
        self.release_ref = release_ref
        self.approvals_for = tuple(approvals_for)
        self._triage = TriageCache()
        self.triage_rules = triage_rules
        self._api = "" if http.base_url.rstrip("/").endswith(API_PREFIX) else API_PREFIX

    # The engine's interface --------------------------------------------------------------

    async def poll(self) -> SourceData:
        """The newest pipeline of every target, in config order; services with an `approvals`
        gate also get their release merge request's approvals."""
        results = await asyncio.gather(
            *(self._poll_target(service, target) for service, target in self.targets),
            return_exceptions=True,
        )
        pipelines: list[PipelineRun] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            if result is not None:
                pipelines.append(result)
        lookups = await asyncio.gather(*(self._lookup(s) for s in self.approvals_for))
        return SourceData(pipelines=tuple(pipelines), approvals=tuple(lookups))

    async def approvals(self, service: str, *, ref: str | None) -> Approvals:
        """The approvals of the merge request that brought `ref` (a tag, branch or SHA).

        Raises:
            SourceError: not_found when `ref` is not a commit of the project or no merge
                request goes with it, config without a ref, auth when the token may not read
                the merge request or its approvals, and the usual remote failures.
        """
        project = sanitize(self._target(service).project or "")
        pid = self._project(service)
        if not ref:
            raise SourceError(
                ErrorKind.CONFIG,
                f"{self.name}: approvals of {project} need a release ref",
                source=self.name,
                hint="set release.ref (the release's tag, branch or SHA)",
            )
        sha = await self._commit_sha(pid, project, ref)
        mr = await self._merge_request(pid, project, ref, sha)
        reader = self._reader(f"the merge requests of {project}")
        iid = reader.integer(mr, "iid")
        path = f"{self._api}/projects/{pid}/merge_requests/{iid}/approvals"
        what = f"the approvals of !{iid} in {project}"
        try:
            result = await self.http.get(path)
        except SourceError as exc:
            if exc.kind is not ErrorKind.AUTH:
                raise
            raise SourceError(
                ErrorKind.AUTH,
                f"{self.name}: not allowed to read {what} ({_http_status(exc.message)})",
                source=self.name,
                hint="the token needs read_api and at least Reporter access to the project",
            ) from exc
        body = self._reader(what).obj(result.json(), "the body")
        return approvals_from(self._reader(what), mr, body)

    async def _lookup(self, service: str) -> ApprovalLookup:
        """The approvals of the service's release merge request; a missing merge request or
        permission is a problem. Transient failures (timeouts, rate limits, 5xx) fail the
        poll, so the gate turns unknown rather than deciding on half the data."""
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
        """The latest jobs of `run` (retried attempts left out), in the order they ran."""
        return tuple(job for job, _ in await self._jobs(self._project(run.service), run.run_id))

    async def job_log(self, run: PipelineRun, job: Job) -> str:
        """The job's log, bounded to its last `tail_bytes`, sanitised."""
        return (await self._read_trace(self._project(run.service), job.job_id, None, False)).text

    async def read_log(
        self, run: PipelineRun, job: Job, cursor: LogCursor | None = None
    ) -> LogChunk:
        """The log's bounded tail (no cursor) or only the bytes written since `cursor`."""
        pid = self._project(run.service)
        more = job.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        if cursor is not None and cursor.job_id != job.job_id:
            cursor = None
        return await self._read_trace(pid, job.job_id, cursor, more)

    async def rerun(self, run: PipelineRun, job: Job | None = None) -> RerunResult:
        """Retry one job (a new attempt of it) or every failed job of the pipeline."""
        pid = self._project(run.service)
        if job is None:
            body = await self._post(f"/projects/{pid}/pipelines/{quote(run.run_id)}/retry")
            url = sanitize(str(body.get("web_url") or run.url))
            return RerunResult(run.run_id, "", url, f"retrying the failed jobs of {run.run_id}")
        body = await self._post(f"/projects/{pid}/jobs/{quote(job.job_id)}/retry")
        new_id = str(body.get("id", ""))
        url = sanitize(str(body.get("web_url") or ""))
        return RerunResult(run.run_id, new_id, url, f"retrying {job.name} as job {new_id}")

    # Polling -----------------------------------------------------------------------------

    def _reader(self, what: str) -> PayloadReader:
        return PayloadReader(self.name, what, BODY_HINT)

    def _target(self, service: str) -> CiTarget:
        target = next((t for s, t in self.targets if s == service), None)
        if target is None or not target.project:
            raise SourceError(
                ErrorKind.CONFIG,
                f"{self.name}: service {service!r} has no GitLab `project` (group/name or id)",
                source=self.name,
                hint="give the service's ci a `project: group/name`",
            )
        return target

    def _project(self, service: str) -> str:
        return project_ref(self._target(service).project or "")

    async def _poll_target(self, service: str, target: CiTarget) -> PipelineRun | None:
        pid = self._project(service)
        project = sanitize(target.project or "")
        params: dict[str, str | int] = {
            "per_page": min(PIPELINES_PER_PAGE, self.history),
            "order_by": "id",
            "sort": "desc",
        }
        if target.branch:
            params["ref"] = target.branch
        try:
            items = await self._list(
                f"/projects/{pid}/pipelines", params, f"the pipelines of {project}", self.history
            )
        except SourceError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise
            raise SourceError(
                ErrorKind.NOT_FOUND,
                f"{self.name}: project {project} not found (deleted, renamed, or the token "
                "cannot see it)",
                source=self.name,
                hint="check the service's `project` and the token's access to it",
            ) from exc
        reader = self._reader(f"the pipelines of {project}")
        runs = sorted((Pipeline(reader, item) for item in items), key=lambda p: -p.id)
        if not runs:
            return None
        newest, now = runs[0], self.http.clock.now()
        history = [r for r in reversed(runs[1:]) if r.status in FINISHED]
        recent = recent_history(history, now)
        pipeline = PipelineRun(
            service=service,
            provider=PROVIDER,
            run_id=str(newest.id),
            name=newest.name,
            status=newest.status,
            commit=newest.sha,
            branch=newest.ref,
            url=newest.web_url,
            started_at=newest.created_at,
            duration_s=newest.duration(now),
            recent_durations_s=recent.durations,
            recent_outcomes=recent.outcomes,
            source=self.name,
        )
        if newest.status not in (RunStatus.RUNNING, RunStatus.FAILURE):
            return pipeline
        jobs = await self._jobs(pid, pipeline.run_id)
        running = ", ".join(j.name for j, _ in jobs if j.status is RunStatus.RUNNING)
        pipeline = replace(pipeline, running_step=running, jobs=tuple(j for j, _ in jobs))
        if newest.status is RunStatus.FAILURE:
            records = history_records((r.sha, r.status, str(r.id)) for r in history)
            triage = await self._triage_failed(pid, pipeline, jobs, records)
            pipeline = replace(pipeline, triage=triage)
        return pipeline

    async def _list(
        self, path: str, params: Mapping[str, str | int], what: str, want: int | None = None
    ) -> list[dict[str, Any]]:
        """A paginated listing: `Link: rel="next"` when sent, else `X-Next-Page`."""
        reader = self._reader(what)
        items: list[dict[str, Any]] = []
        url, query = self._api + path, dict(params)
        for _ in range(self.max_pages):
            result = await self.http.get(url, params=query or None)
            body = result.json()
            if not isinstance(body, list):
                raise reader.fail("the body is not a list")
            items.extend(reader.obj(item, "an item") for item in body)
            if want is not None and len(items) >= want:
                break
            headers = {k.lower(): v for k, v in result.headers.items()}
            link = parse_link_header(headers.get("link")).get("next")
            next_page = headers.get("x-next-page", "").strip()
            if link:
                url, query = self._same_origin(link), {}
            elif next_page.isdigit():
                query = {**query, "page": int(next_page)}
            else:
                break
        return items if want is None else items[:want]

    def _same_origin(self, url: str) -> str:
        """A next link moved onto our base URL's origin: the token never leaves it."""
        base, link = urlsplit(self.http.url("/")), urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, link.path, link.query, ""))

    async def _jobs(self, pid: str, pipeline_id: str) -> list[tuple[Job, dict[str, Any]]]:
        path = f"/projects/{pid}/pipelines/{quote(pipeline_id)}/jobs"
        what = f"the jobs of pipeline {pipeline_id}"
        items = await self._list(path, {"per_page": JOBS_PER_PAGE}, what)
        reader = self._reader(what)
        jobs = [(job_from(reader, item), item) for item in items]
        return sorted(jobs, key=_run_order)

    # Approvals ---------------------------------------------------------------------------

    async def _commit_sha(self, pid: str, project: str, ref: str) -> str:
        """The commit a tag, branch or SHA names (`GET .../repository/commits/:ref`)."""
        path = f"{self._api}/projects/{pid}/repository/commits/{quote(ref, safe='')}"
        try:
            result = await self.http.get(path)
        except SourceError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise
            raise SourceError(
                ErrorKind.NOT_FOUND,
                f"{self.name}: {ref!r} is not a commit, branch or tag of {project}",
                source=self.name,
                hint="check release.ref (a tag, branch or SHA pushed to GitLab)",
            ) from exc
        reader = self._reader(f"the commit of {ref!r} in {project}")
        sha = sanitize(reader.text(reader.obj(result.json(), "the body"), "id")).lower()
        if not FULL_SHA.fullmatch(sha):
            raise reader.fail(f"`id` is not a commit SHA ({sha[:40]!r})")
        return sha

    async def _merge_request(self, pid: str, project: str, ref: str, sha: str) -> Mapping[str, Any]:
        """The merge request of commit `sha`: merged ones first, then open ones; else, for a
        branch, the merged or open merge request from that branch."""
        what = f"the merge requests of {project}"
        path = f"/projects/{pid}/repository/commits/{sha}/merge_requests"
        found = pick_merge_request(await self._list(path, {"per_page": 100}, what), sha)
        if found is None and ref.lower() != sha:
            branch = ref.removeprefix("refs/heads/")
            for state in ("merged", "opened"):
                params: dict[str, str | int] = {"source_branch": branch, "state": state}
                params["per_page"] = 20
                listed = await self._list(f"/projects/{pid}/merge_requests", params, what, 20)
                if (found := pick_merge_request(listed, sha)) is not None:
                    break
        if found is None:
            raise SourceError(
                ErrorKind.NOT_FOUND,
                f"{self.name}: no merge request for {ref} in {project}",
                source=self.name,
                hint="was the release merged without a merge request?",
            )
        return found

    # Triage ------------------------------------------------------------------------------

    async def _triage_failed(
        self,
        pid: str,
        pipeline: PipelineRun,
        jobs: Sequence[tuple[Job, dict[str, Any]]],
        records: RunHistory,
    ) -> Triage | None:
        """Classify the first failed job that may not fail (the cause; later ones follow it)."""
        failed = [(j, raw) for j, raw in jobs if j.status is RunStatus.FAILURE]
        blocking = [(j, raw) for j, raw in failed if raw.get("allow_failure") is not True]
        if not blocking:
            return None
        job, raw = blocking[0]
        key = (pid, pipeline.run_id, job.job_id)
        if (cached := self._triage.get(key)) is not None:
            return cached
        try:
            tail = (await self._read_trace(pid, job.job_id, None, False)).text
        except SourceError:
            return None  # best effort: a missing or erased log leaves the run untriaged
        reason = raw.get("failure_reason")
        commit = raw.get("commit")
        author = commit.get("author_name") if isinstance(commit, dict) else None
        triage = triage_log(
            tail,
            records,
            pipeline.commit,
            str(author or ""),
            infra_reason=reason if reason in INFRA_REASONS else None,
            where=f"GitLab failure_reason: {reason}",
            rules=self.triage_rules,
        )
        return self._triage.put(key, triage)

    # Logs and actions --------------------------------------------------------------------

    async def _read_trace(
        self, pid: str, job_id: str, cursor: LogCursor | None, more: bool
    ) -> LogChunk:
        path = f"{self._api}/projects/{pid}/jobs/{quote(job_id)}/trace"
        return await read_trace(
            self.http, path, job_id, cursor, more=more, tail_bytes=self.tail_bytes
        )

    async def _post(self, path: str) -> dict[str, Any]:
        request = self.http.client.build_request(
            "POST",
            self.http.url(self._api + path),
            headers=self.http.headers,
            timeout=self.http.timeout,
        )
        response = await self.http.send(request)
        if response.status_code in (400, 403, 409):
            message = error_message(response.content)
            if response.status_code != 403 or "retry" in message.lower():
                raise SourceError(
                    ErrorKind.BAD_RESPONSE,
                    f"{self.name}: GitLab refused the retry: {message or response.status_code}",
                    source=self.name,
                    hint="only a finished (failed or canceled) job or pipeline can be retried",
                )
        raise_for(self.http, response, response.content, path)
        return self._reader(path).obj(json_body(response, self.name), "the body")


def _http_status(message: str) -> str:
    """`HTTP 403` (or 401) as `SourceHttp` words it in an error message."""
    found = re.search(r"HTTP \d{3}", message)
    return found.group(0) if found else "refused"


def _run_order(pair: tuple[Job, dict[str, Any]]) -> tuple[bool, datetime, int]:
    """Jobs in the order they ran (a retried job runs again after the jobs before it), then
    the ones that have not started, in creation order."""
    job = pair[0]
    started = job.started_at or datetime.max.replace(tzinfo=UTC)
    return (job.started_at is None, started, int(job.job_id))
