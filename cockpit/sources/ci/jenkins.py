"""Jenkins (Pipeline and freestyle jobs, folders, multibranch) as a CI source.

Per configured service (`job: folder/name/branch`, folders separated by /) it reads the newest
builds with one bounded request, never the whole tree:
`GET /job/<a>/job/<b>/api/json?tree=builds[number,result,building,timestamp,duration,
estimatedDuration,url,actions[lastBuiltRevision[SHA1,branch[name]]]]{0,20}`.
The newest build becomes a `PipelineRun`; the other finished builds give the history. For a
running or failed build the Pipeline stages come from `/<n>/wfapi/describe` (Pipeline: Stage
View plugin; a freestyle job or a Jenkins without it has no stages, which is fine), and a failed
build's console tail is classified (triage). Jenkins sends no validators on `api/json`, so these
reads are plain GETs.

Result mapping: building -> running (whatever `result` says meanwhile); SUCCESS -> success;
FAILURE and UNSTABLE (tests failed) -> failure; ABORTED and NOT_BUILT -> cancelled; anything
else -> unknown. Builds waiting in the queue are not builds yet, so a run is never "queued".

Logs (`SUPPORTS_LIVE_LOG`): `/<n>/logText/progressiveText?start=N`, honouring `X-Text-Size`
(the next `start`) and `X-More-Data` (still running); see `jenkins_api.read_console`.

Re-runs (`SUPPORTS_RERUN`): Jenkins core has no "rebuild build n" endpoint (that is the
Rebuilder plugin's `/<n>/rebuild`, or Pipeline's `replay`, neither of which is always installed).
We use core's `POST /job/<path>/build`, or `buildWithParameters` with the failed build's own
parameter values when it had any. For a branch job that builds the branch head, which is the
same commit unless someone pushed since; a job parameterised with the commit gets the same one.
POSTs carry the CSRF crumb from `/crumbIssuer/api/json` (a 404 there means CSRF protection is
off: we proceed without), refreshed once if Jenkins answers "No valid crumb".
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import unquote

import httpx

from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus, Step, Triage
from cockpit.sources.base import SourceData
from cockpit.sources.ci.base import PayloadReader, recent_history
from cockpit.sources.ci.jenkins_api import (
    BODY_HINT,
    BUILDS_TREE,
    PARAMETERS_TREE,
    Build,
    check_answer,
    jenkins_auth_headers,
    job_path,
    map_result,
    map_stage,
    names,
    parameters_from,
    read_console,
    stages_from,
)
from cockpit.sources.ci.logs import DEFAULT_TAIL_BYTES, LogChunk, LogCursor, RerunResult
from cockpit.sources.ci.triage_support import TriageCache, history_records, triage_log
from cockpit.text import sanitize
from cockpit.triage import RuleSet, RunHistory

__all__ = ["JenkinsAdapter", "jenkins_auth_headers", "job_path", "map_result", "map_stage"]

PROVIDER = "jenkins"
HISTORY = 20
_FINISHED = (RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELLED)


class JenkinsAdapter:
    """Jenkins builds for the services that use one `jenkins` source.

    Args:
        name: The configured source name.
        source_cfg: The source's config (`interval` sets the poll interval).
        targets: `(service name, CiTarget)` pairs; each target has `job` and maybe `branch`
            (which picks the right revision when a build checked out several repositories).
        http: The source's HTTP face: base URL the Jenkins root (with any context path),
            headers from `jenkins_auth_headers(user, api_token)`.
        history: How many builds to read per job (newest plus history).
        tail_bytes: The most of a console read at once, and what triage classifies.
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
        history: int = HISTORY,
        tail_bytes: int = DEFAULT_TAIL_BYTES,
    ) -> None:
        self.name = name
        self.source_cfg = source_cfg
        self.targets = list(targets)
        self.http = http
        self.interval_s = float(source_cfg.interval)
        self.history = max(1, history)
        self.tail_bytes = max(1024, tail_bytes)
        self._triage = TriageCache()
        self.triage_rules = triage_rules
        self._crumb: dict[str, str] | None = None

    # The engine's interface --------------------------------------------------------------

    async def poll(self) -> SourceData:
        """The newest build of every target, in config order."""
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
        """The build as one job whose steps are its Pipeline stages."""
        steps = await self._stages(self._path(run.service), run.run_id)
        return (_build_job(run, steps),)

    async def job_log(self, run: PipelineRun, job: Job) -> str:
        """The build's console, bounded to its last `tail_bytes`, sanitised."""
        chunk = await self.read_log(run, job)
        if chunk.more and chunk.cursor.pending:
            return chunk.text + sanitize(chunk.cursor.pending, keep_newlines=True)
        return chunk.text

    async def read_log(
        self, run: PipelineRun, job: Job, cursor: LogCursor | None = None
    ) -> LogChunk:
        """The console's bounded tail (no cursor) or only what was written since `cursor`."""
        if cursor is not None and cursor.job_id != run.run_id:
            cursor = None
        build = f"{self._path(run.service)}/{run.run_id}"
        return await read_console(self.http, build, run.run_id, cursor, tail_bytes=self.tail_bytes)

    async def rerun(self, run: PipelineRun, job: Job | None = None) -> RerunResult:
        """Queue a new build of the job, with the failed build's parameters if it had any.

        `job` is ignored: Jenkins re-runs a build as a whole (see the module docstring).
        """
        path = self._path(run.service)
        body = await self._get_json(
            f"{path}/{run.run_id}/api/json",
            {"tree": PARAMETERS_TREE},
            f"the parameters of build {run.run_id}",
        )
        parameters = parameters_from(body)
        endpoint = "buildWithParameters" if parameters else "build"
        response = await self._post(f"{path}/{endpoint}", {**parameters, "delay": "0sec"})
        queued = sanitize(response.headers.get("location", ""))
        job_name = sanitize(self._target(run.service).job or "")
        message = f"queued a new build of {job_name}" + (f" ({queued})" if queued else "")
        return RerunResult(run.run_id, "", queued, message)

    # Polling -----------------------------------------------------------------------------

    def _reader(self, what: str) -> PayloadReader:
        return PayloadReader(self.name, what, BODY_HINT)

    def _target(self, service: str) -> CiTarget:
        target = next((t for s, t in self.targets if s == service), None)
        if target is None or not target.job:
            raise SourceError(
                ErrorKind.CONFIG,
                f"{self.name}: service {service!r} has no Jenkins `job` (folder/name path)",
                source=self.name,
                hint="give the service's ci a `job: folder/name`",
            )
        return target

    def _path(self, service: str) -> str:
        return job_path(self._target(service).job or "")

    async def _poll_target(self, service: str, target: CiTarget) -> PipelineRun | None:
        path, job = self._path(service), sanitize(target.job or "")
        try:
            body = await self._get_json(
                f"{path}/api/json", {"tree": BUILDS_TREE % self.history}, f"the builds of {job}"
            )
        except SourceError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise
            raise SourceError(
                ErrorKind.NOT_FOUND,
                f"{self.name}: Jenkins job {job} not found (deleted, renamed, or the user "
                "cannot see it)",
                source=self.name,
                hint="check the service's `job` (folders separated by /) and the user's access",
            ) from exc
        reader = self._reader(f"the builds of {job}")
        items = reader.items(body, "builds")[: self.history]
        branch = target.branch or _branch_of(target.job or "")
        builds = sorted((Build(reader, i, branch) for i in items), key=_newest)
        if not builds:
            return None
        newest, now = builds[0], self.http.clock.now()
        history = [b for b in reversed(builds[1:]) if b.status in _FINISHED]
        recent = recent_history(history, now)
        pipeline = PipelineRun(
            service=service,
            provider=PROVIDER,
            run_id=str(newest.number),
            name=job,
            status=newest.status,
            commit=newest.sha,
            branch=newest.branch or (target.branch or ""),
            url=newest.url,
            started_at=newest.started_at,
            duration_s=newest.duration(now),
            recent_durations_s=recent.durations,
            recent_outcomes=recent.outcomes,
            source=self.name,
        )
        if newest.status not in (RunStatus.RUNNING, RunStatus.FAILURE):
            return pipeline
        steps = await self._stages(path, pipeline.run_id)
        pipeline = replace(
            pipeline,
            running_step=names(steps, RunStatus.RUNNING),
            jobs=(_build_job(pipeline, steps),),
        )
        if newest.status is RunStatus.FAILURE:
            records = history_records((b.sha, b.status, str(b.number)) for b in history)
            key = (path, pipeline.run_id)
            triage = self._triage.get(key) or await self._triage_failed(key, pipeline, records)
            pipeline = replace(pipeline, triage=triage)
        return pipeline

    async def _stages(self, path: str, number: str) -> tuple[Step, ...]:
        """The Pipeline stages of build `number`; none for a freestyle job (404)."""
        what = f"the stages of build {number}"
        try:
            body = await self._get_json(f"{path}/{number}/wfapi/describe", None, what)
        except SourceError as exc:
            if exc.kind is ErrorKind.NOT_FOUND:
                return ()
            raise
        return stages_from(self._reader(what), body)

    async def _triage_failed(
        self, key: tuple[str, str], pipeline: PipelineRun, records: RunHistory
    ) -> Triage | None:
        build = f"{key[0]}/{pipeline.run_id}"
        try:
            read = await read_console(
                self.http, build, pipeline.run_id, None, tail_bytes=self.tail_bytes
            )
        except SourceError:
            return None  # best effort: a deleted or rotated console leaves the run untriaged
        tail = read.text + sanitize(read.cursor.pending, keep_newlines=True)
        return self._triage.put(
            key, triage_log(tail, records, pipeline.commit, rules=self.triage_rules)
        )

    # HTTP --------------------------------------------------------------------------------

    async def _get_json(self, path: str, params: Mapping[str, str | int] | None, what: str) -> Any:
        response = await self._send("GET", path, params)
        check_answer(self.http, response, response.content, what)
        try:
            return response.json()
        except ValueError as exc:
            raise self._reader(what).fail("the body is not JSON") from exc

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        request = self.http.client.build_request(
            method,
            self.http.url(path),
            params=params,
            headers={**self.http.headers, **(headers or {})},
            timeout=self.http.timeout,
        )
        return await self.http.send(request)

    async def _crumb_header(self) -> dict[str, str]:
        """The CSRF crumb header; none when the crumb issuer is absent (404)."""
        if self._crumb is None:
            response = await self._send("GET", "/crumbIssuer/api/json", None)
            if response.status_code == 404:
                self._crumb = {}
            else:
                check_answer(self.http, response, response.content, "the CSRF crumb")
                reader = self._reader("the CSRF crumb")
                body = reader.obj(response.json(), "the body")
                field = reader.text(body, "crumbRequestField")
                self._crumb = {field: reader.text(body, "crumb")}
        return self._crumb

    async def _post(self, path: str, params: Mapping[str, str]) -> httpx.Response:
        for attempt in range(2):
            crumb = await self._crumb_header()
            response = await self._send("POST", path, params, crumb)
            refused = response.status_code == 403 and b"no valid crumb" in response.content.lower()
            if refused and attempt == 0:
                self._crumb = None  # expired with its session: fetch a fresh one once
                continue
            break
        check_answer(self.http, response, response.content, f"POST {path}")
        return response


def _branch_of(job: str) -> str:
    """A multibranch job's last segment names its branch (`feature%2Fx` is `feature/x`)."""
    return unquote(job.strip("/").rsplit("/", 1)[-1])


def _newest(build: Build) -> int:
    return -build.number


def _build_job(run: PipelineRun, steps: tuple[Step, ...]) -> Job:
    completed = None
    if run.status is not RunStatus.RUNNING and run.started_at and run.duration_s is not None:
        completed = run.started_at + timedelta(seconds=run.duration_s)
    return Job(
        job_id=run.run_id,
        name=run.name,
        status=run.status,
        started_at=run.started_at,
        completed_at=completed,
        url=run.url,
        steps=steps,
    )
