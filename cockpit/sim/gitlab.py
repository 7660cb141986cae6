"""A GitLab CI (REST API v4) simulator on loopback, backed by a `Scenario`.

Serves the scenario's GitLab-hosted services (`Scenario.gitlab_services`, project
`owner/service`, addressable by URL-encoded path or numeric id) as GitLab does:
- `GET /api/v4/projects/:id/pipelines` with `ref`, `sha`, `status`, `source`, `order_by`
  (`id`, `updated_at`), `sort`, and offset pagination (`page`, `per_page` up to 100) with
  `x-page`, `x-per-page`, `x-total`, `x-total-pages`, `x-next-page`, `x-prev-page` and `Link`;
- `GET .../pipelines/:pipeline_id`, `GET .../pipelines/:pipeline_id/jobs` (`include_retried`);
- `GET .../jobs/:job_id`, `GET .../jobs/:job_id/trace` (plain text; `Range` honoured only with
  `trace_ranges=True`, since GitLab documents none);
- `POST .../jobs/:job_id/retry` and `POST .../pipelines/:pipeline_id/retry` (201), which add an
  in-place attempt to the scenario: the flaky job passes on retry;
- `GET .../repository/commits/:sha` (a SHA, branch or tag; 404 `{"message": "404 Commit Not
  Found"}` for anything else), `GET .../repository/commits/:sha/merge_requests`,
  `GET .../merge_requests` (`state`, `source_branch`, `target_branch`, offset pagination) and
  `GET .../merge_requests/:iid/approvals`: the release merge request of each service and its
  approvals (see `gitlab_payloads`);
- weak ETags (`W/"..."`) and 304 for a matching `If-None-Match`; `RateLimit-*` headers on every
  answer (every request counts, 304s too, as on GitLab) and 429 "Retry later" when spent;
- 401 `{"message": "401 Unauthorized"}` without the right `PRIVATE-TOKEN` (or bearer token),
  404 `{"message": "404 Project Not Found"}` for unknown projects.

Usage:
    with GitLabSim(Scenario(FakeClock()), token="glpat-x") as sim:
        base_url = sim.url              # the instance root; the API is sim.api_url
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlencode

from cockpit.sim import gitlab_payloads as payloads
from cockpit.sim.scenario import CiRunPlan, Scenario
from cockpit.sim.server import (
    Handler,
    Request,
    Response,
    Router,
    SimServer,
    SimService,
    conditional,
    http_date,
)

API = "/api/v4"
RATE_WINDOW_S = 60
_PROJECT = re.escape(API) + r"/projects/(?P<project>[^/]+)"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@dataclass(slots=True)
class SimStats:
    """What the sim answered, for tests."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0


class GitLabSim(SimService):
    """The GitLab CI simulator.

    Args:
        scenario: The world to serve; its clock decides "now" for every request.
        token: When given, every request must carry it (`PRIVATE-TOKEN` or bearer).
        rate_limit: Requests per minute of scenario time.
        empty_projects: Extra project paths that exist but have no pipelines.
        trace_ranges: Answer `Range` requests on traces with 206 (as a Workhorse/object storage
            front can); off, the whole trace comes back with 200 (GitLab's documented answer).
        trace_padding: Bytes of download noise in every trace (to make large logs).
        name: For thread names.
    """

    def __init__(
        self,
        scenario: Scenario,
        token: str | None = None,
        *,
        rate_limit: int = 2000,
        empty_projects: Sequence[str] = ("acme/empty",),
        trace_ranges: bool = False,
        trace_padding: int = 0,
        name: str = "gitlab",
    ) -> None:
        self.scenario = scenario
        self.token = token
        self.rate_limit = rate_limit
        self.empty_projects = tuple(p.lower() for p in empty_projects)
        self.trace_ranges = trace_ranges
        self.trace_padding = trace_padding
        self.stats = SimStats()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._observed = 0
        self._window = int(scenario.start.timestamp()) // RATE_WINDOW_S
        self.router = Router()
        self.router.fallback = lambda request: Response.json(payloads.error(404), 404)
        self._add_routes()
        self.server = SimServer(self.router, name=name)

    @property
    def api_url(self) -> str:
        return self.server.url + API

    # Routing -----------------------------------------------------------------------------

    def _add_routes(self) -> None:
        api, route = self._api, self.router.add
        route("GET", _PROJECT + r"/pipelines", api(self._pipelines))
        route("GET", _PROJECT + r"/pipelines/(?P<pipeline>\d+)", api(self._pipeline))
        route("GET", _PROJECT + r"/pipelines/(?P<pipeline>\d+)/jobs", api(self._jobs))
        route("POST", _PROJECT + r"/pipelines/(?P<pipeline>\d+)/retry", api(self._retry_pipeline))
        route("GET", _PROJECT + r"/jobs/(?P<job>\d+)", api(self._job))
        route("GET", _PROJECT + r"/jobs/(?P<job>\d+)/trace", api(self._trace))
        route("POST", _PROJECT + r"/jobs/(?P<job>\d+)/retry", api(self._retry_job))
        route("GET", _PROJECT + r"/repository/commits/(?P<ref>[^/]+)", api(self._commit))
        commit_mrs = r"/repository/commits/(?P<ref>[^/]+)/merge_requests"
        route("GET", _PROJECT + commit_mrs, api(self._commit_merge_requests))
        route("GET", _PROJECT + r"/merge_requests", api(self._merge_requests))
        mr_approvals = r"/merge_requests/(?P<iid>\d+)/approvals"
        route("GET", _PROJECT + mr_approvals, api(self._approvals))

    def _api(self, handler: Handler) -> Handler:
        """Auth, rate limit, weak ETags and 304s, and GitLab's headers around a handler."""

        def wrapped(request: Request) -> Response:
            with self._lock:
                self.stats.requests += 1
                window = int(self.scenario.now().timestamp()) // RATE_WINDOW_S
                if window != self._window:
                    self._window, self._observed = window, 0
                self._observed += 1
                limited = self._observed > self.rate_limit
            if not self._authorised(request):
                response = Response.json(payloads.error(401), 401)
            elif limited:
                retry = (self._window + 1) * RATE_WINDOW_S - int(self.scenario.now().timestamp())
                response = Response.text("Retry later\n", 429, {"Retry-After": str(retry)})
            else:
                response = handler(request)
                content_type = response.header("Content-Type") or ""
                if request.method == "GET" and content_type.startswith("application/json"):
                    response = conditional(request, response)
                    if "ETag" in response.headers:  # GitLab's ETags are weak
                        response.headers["ETag"] = "W/" + response.headers["ETag"]
                    if response.status == 304:
                        with self._lock:
                            self.stats.not_modified += 1
            response.headers.update(self._headers())
            return response

        return wrapped

    def _authorised(self, request: Request) -> bool:
        if self.token is None:
            return True
        given = request.header("private-token")
        scheme, _, credential = request.header("authorization").partition(" ")
        return given == self.token or (scheme.lower() == "bearer" and credential == self.token)

    def _headers(self) -> dict[str, str]:
        with self._lock:
            observed = min(self._observed, self.rate_limit)
            reset = (self._window + 1) * RATE_WINDOW_S
            request_id = next(self._ids)
        return {
            "Cache-Control": "max-age=0, private, must-revalidate",
            "Vary": "Origin, Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "SAMEORIGIN",
            "X-Gitlab-Meta": json.dumps({"correlation_id": f"sim{request_id:08x}", "version": "1"}),
            "X-Request-Id": f"sim{request_id:08x}",
            "RateLimit-Limit": str(self.rate_limit),
            "RateLimit-Observed": str(observed),
            "RateLimit-Remaining": str(self.rate_limit - observed),
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": http_date(datetime.fromtimestamp(reset, UTC)),
        }

    # Handlers ----------------------------------------------------------------------------

    def _project(self, request: Request) -> tuple[str, int, str] | None:
        """(service or "" for an empty project, project id, path) or None when unknown."""
        wanted = unquote(request.params["project"]).lower()
        for service in self.scenario.gitlab_services:
            pid = self.scenario.gitlab_project_id(service)
            if wanted in (str(pid), self.scenario.repo(service).lower()):
                return service, pid, self.scenario.repo(service)
        for index, path in enumerate(self.empty_projects):
            if wanted in (str(4900 + index), path):
                return "", 4900 + index, path
        return None

    def _views(self, service: str) -> list[payloads.PipelineView]:
        now = self.scenario.now()
        plans = (
            [p for p in self.scenario.ci_plans(service) if p.created_at <= now] if service else []
        )
        return [payloads.pipeline_view(self.scenario, plan, now) for plan in plans]

    def _pipelines(self, request: Request) -> Response:
        found = self._project(request)
        if found is None:
            return _project_not_found()
        service, pid, path = found
        query = request.query
        views = [v for v in self._views(service) if _matches(v, query)]
        key = (lambda v: v.updated_at) if query.get("order_by") == "updated_at" else None
        views.sort(key=key or (lambda v: v.plan.run_id), reverse=query.get("sort") != "asc")
        page, headers = _paginate(views, request)
        web = request.base_url
        body = [payloads.pipeline_item(v, pid, path, web) for v in page]
        return Response.json(body, headers=headers)

    def _find_pipeline(self, request: Request) -> tuple[payloads.PipelineView, int, str] | None:
        found = self._project(request)
        plan = self._plan(found, int(request.params["pipeline"]))
        if found is None or plan is None:
            return None
        return payloads.pipeline_view(self.scenario, plan, self.scenario.now()), found[1], found[2]

    def _plan(self, found: tuple[str, int, str] | None, pipeline_id: int) -> CiRunPlan | None:
        if not found or not found[0]:
            return None
        state = self.scenario.ci_run(pipeline_id)
        if state is None or state.plan.service != found[0] or state.plan.in_place:
            return None
        return state.plan

    def _pipeline(self, request: Request) -> Response:
        found = self._find_pipeline(request)
        if found is None:
            return Response.json(payloads.error(404), 404)
        view, pid, path = found
        return Response.json(payloads.pipeline(view, pid, path, request.base_url))

    def _jobs(self, request: Request) -> Response:
        found = self._find_pipeline(request)
        if found is None:
            return Response.json(payloads.error(404), 404)
        view, pid, path = found
        jobs = list(view.jobs)
        if request.query.get("include_retried") == "true":
            jobs += view.retried
        jobs.sort(key=lambda j: j.id, reverse=True)  # GitLab 13.5+: newest first
        page, headers = _paginate(jobs, request)
        now, web = self.scenario.now(), request.base_url
        body = [payloads.job(j, view, pid, path, web, now) for j in page]
        return Response.json(body, headers=headers)

    def _find_job(
        self, request: Request
    ) -> tuple[payloads.JobView, payloads.PipelineView, int, str] | None:
        found = self._project(request)
        job_id = int(request.params["job"])
        plan = self._plan(found, job_id // 10)
        if plan is None:
            retry = self.scenario.ci_run(job_id // 10)
            root = retry.plan.retry_of if retry and retry.plan.in_place else None
            plan = self._plan(found, root) if root else None
        if found is None or plan is None:
            return None
        view = payloads.pipeline_view(self.scenario, plan, self.scenario.now())
        job = next((j for j in (*view.jobs, *view.retried) if j.id == job_id), None)
        return None if job is None else (job, view, found[1], found[2])

    def _job(self, request: Request) -> Response:
        found = self._find_job(request)
        if found is None:
            return Response.json(payloads.error(404, "Job"), 404)
        job, view, pid, path = found
        return Response.json(
            payloads.job(job, view, pid, path, request.base_url, self.scenario.now())
        )

    def _trace(self, request: Request) -> Response:
        found = self._find_job(request)
        if found is None:
            return Response.json(payloads.error(404, "Job"), 404)
        body = payloads.trace(found[0], self.trace_padding)
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        wanted = _RANGE.match(request.header("range").strip())
        if not self.trace_ranges or wanted is None:
            return Response(200, headers, body)
        first, last = wanted.groups()
        total = len(body)
        if first == "":
            start, end = max(0, total - int(last or 0)), total - 1
        else:
            start, end = int(first), min(total - 1, int(last) if last else total - 1)
        if start >= total or end < start:
            return Response(416, {**headers, "Content-Range": f"bytes */{total}"}, b"")
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        return Response(206, headers, body[start : end + 1])

    def _retry_job(self, request: Request) -> Response:
        found = self._find_job(request)
        if found is None:
            return Response.json(payloads.error(404, "Job"), 404)
        job, view, pid, path = found
        current = any(j.id == job.id for j in view.jobs)
        if not current or job.status not in ("failed", "canceled"):
            return Response.json({"message": "403 Forbidden  - Job is not retryable"}, 403)
        return self._retry(
            view, job.plan.first_step + job.step.number - 1, pid, path, request, job=True
        )

    def _retry_pipeline(self, request: Request) -> Response:
        found = self._find_pipeline(request)
        if found is None:
            return Response.json(payloads.error(404), 404)
        view, pid, path = found
        failed = [j for j in view.jobs if j.status in ("failed", "canceled")]
        if not failed:  # "If there are no failed or canceled jobs ... no effect."
            return Response.json(payloads.pipeline(view, pid, path, request.base_url), 201)
        step = failed[0].plan.first_step + failed[0].step.number - 1
        return self._retry(view, step, pid, path, request, job=False)

    def _retry(
        self,
        view: payloads.PipelineView,
        step: int,
        pid: int,
        path: str,
        request: Request,
        *,
        job: bool,
    ) -> Response:
        now = self.scenario.now()
        attempt = self.scenario.rerun(view.plan.run_id, at=now, from_step=step, in_place=True)
        with self._lock:
            self.stats.retries += 1
        after = payloads.pipeline_view(self.scenario, view.plan, now)
        web = request.base_url
        if not job:
            return Response.json(payloads.pipeline(after, pid, path, web), 201)
        new_id = attempt.run_id * 10 + step + 1
        new = next(j for j in after.jobs if j.id == new_id)
        return Response.json(payloads.job(new, after, pid, path, web, now), 201)

    # Commits, merge requests and approvals ------------------------------------------------

    def _sha(self, service: str, request: Request) -> str | None:
        ref = unquote(request.params["ref"])
        if not service:
            return None
        return payloads.resolve(self.scenario, service, ref, self.scenario.now())

    def _commit(self, request: Request) -> Response:
        found = self._project(request)
        if found is None:
            return _project_not_found()
        service, pid, path = found
        sha = self._sha(service, request)
        if sha is None:
            return _commit_not_found()
        views = [v for v in self._views(service) if v.plan.commit == sha]
        web = request.base_url
        last = None
        if views:
            newest = max(views, key=lambda v: v.plan.run_id)
            last = payloads.pipeline_item(newest, pid, path, web)
        body = payloads.commit(self.scenario, service, sha, pid, path, web, last)
        return Response.json(body)

    def _commit_merge_requests(self, request: Request) -> Response:
        found = self._project(request)
        if found is None:
            return _project_not_found()
        service, pid, path = found
        sha = self._sha(service, request)
        if sha is None:
            return _commit_not_found()
        now = self.scenario.now()
        mrs = [
            mr
            for mr in payloads.merge_requests(self.scenario, service, now)
            if sha in (mr.sha, mr.merge_commit_sha if mr.state_at(now) == "merged" else None)
        ]
        page, headers = _paginate(mrs, request)
        body = [payloads.merge_request(mr, pid, path, request.base_url, now) for mr in page]
        return Response.json(body, headers=headers)

    def _merge_requests(self, request: Request) -> Response:
        found = self._project(request)
        if found is None:
            return _project_not_found()
        service, pid, path = found
        now, query = self.scenario.now(), request.query
        mrs = payloads.merge_requests(self.scenario, service, now) if service else []
        state = query.get("state", "all")
        mrs = [
            mr
            for mr in mrs
            if state in ("all", mr.state_at(now))
            and query.get("source_branch", mr.source_branch) == mr.source_branch
            and query.get("target_branch", mr.target_branch) == mr.target_branch
        ]
        mrs.sort(key=lambda mr: mr.created_at, reverse=query.get("sort") != "asc")
        page, headers = _paginate(mrs, request)
        body = [payloads.merge_request(mr, pid, path, request.base_url, now) for mr in page]
        return Response.json(body, headers=headers)

    def _approvals(self, request: Request) -> Response:
        found = self._project(request)
        if found is None:
            return _project_not_found()
        service, pid, path = found
        now, iid = self.scenario.now(), int(request.params["iid"])
        mrs = payloads.merge_requests(self.scenario, service, now) if service else []
        mr = next((m for m in mrs if m.iid == iid), None)
        if mr is None:
            return Response.json(payloads.error(404), 404)
        return Response.json(payloads.approvals(mr, pid, path, request.base_url, now))


def _commit_not_found() -> Response:
    return Response.json(payloads.error(404, "Commit"), 404)


def _project_not_found() -> Response:
    return Response.json(payloads.error(404, "Project"), 404)


def _matches(view: payloads.PipelineView, query: Any) -> bool:
    plan = view.plan
    for key, value in (("ref", plan.branch), ("sha", plan.commit), ("source", plan.event)):
        if query.get(key) and query[key] != value:
            return False
    return not query.get("status") or query["status"] == view.status


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


def _paginate(items: Sequence[Any], request: Request) -> tuple[list[Any], dict[str, str]]:
    """The requested page and GitLab's offset-pagination headers."""
    per_page = min(100, max(1, _int(request.query.get("per_page"), 20)))
    page = max(1, _int(request.query.get("page"), 1))
    pages = max(1, -(-len(items) // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])

    def link(number: int, rel: str) -> str:
        query = {**request.query, "page": str(number), "per_page": str(per_page)}
        return f'<{request.base_url}{request.path}?{urlencode(query)}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(page - 1, "prev"))
    if page < pages:
        links.append(link(page + 1, "next"))
    links += [link(1, "first"), link(pages, "last")]
    headers = {
        "Link": ", ".join(links),
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Total": str(len(items)),
        "X-Total-Pages": str(pages),
        "X-Next-Page": str(page + 1) if page < pages else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    return chunk, headers
