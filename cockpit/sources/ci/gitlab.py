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
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus, Triage
from cockpit.sources.base import SourceData
from cockpit.sources.ci.base import PayloadReader, parse_link_header
from cockpit.sources.ci.gitlab_api import (
    API_PREFIX,
    BODY_HINT,
    FINISHED,
    INFRA_REASONS,
    Pipeline,
    error_message,
    gitlab_headers,
    job_from,
    json_body,
    map_status,
    project_ref,
    raise_for,
    read_trace,
)
from cockpit.sources.ci.logs import DEFAULT_TAIL_BYTES, LogChunk, LogCursor, RerunResult
from cockpit.sources.ci.triage_support import TriageCache, history_records, triage_log
from cockpit.text import sanitize
from cockpit.triage import RunHistory

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
        history: int = PIPELINES_PER_PAGE,
        max_pages: int = MAX_PAGES,
        tail_bytes: int = DEFAULT_TAIL_BYTES,
    ) -> None:
        self.name = name
        self.source_cfg = source_cfg
        self.targets = list(targets)
        self.http = http
        self.interval_s = float(source_cfg.interval)
        self.history = max(1, history)
        self.max_pages = max(1, max_pages)
        self.tail_bytes = max(1024, tail_bytes)
        self._triage = TriageCache()
        self._api = "" if http.base_url.rstrip("/").endswith(API_PREFIX) else API_PREFIX

    # The engine's interface --------------------------------------------------------------

    async def poll(self) -> SourceData:
        """The newest pipeline of every target, in config order."""
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
        return SourceData(pipelines=tuple(pipelines))

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
            recent_durations_s=tuple(d for r in history if (d := r.duration(now)) is not None),
            recent_outcomes=tuple(r.status for r in history),
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


def _run_order(pair: tuple[Job, dict[str, Any]]) -> tuple[bool, datetime, int]:
    """Jobs in the order they ran (a retried job runs again after the jobs before it), then
    the ones that have not started, in creation order."""
    job = pair[0]
    started = job.started_at or datetime.max.replace(tzinfo=UTC)
    return (job.started_at is None, started, int(job.job_id))
