"""A GitHub Actions REST simulator on loopback, backed by a `Scenario`.

Speaks the subset of the REST API (version 2022-11-28) the cockpit uses, as GitHub does:
- `GET /repos/{o}/{r}/actions/runs` and `.../actions/workflows/{id or file}/runs` with the
  `branch`, `event`, `head_sha` and `status` filters, `per_page` (max 100) / `page`, and RFC 8288
  `Link` headers (`next`, `last`, `first`, `prev`);
- `GET .../actions/runs/{id}`, `.../actions/runs/{id}/jobs` (`filter=latest|all` attempts);
- `GET .../actions/jobs/{id}/logs`: a 302 to a plain-text log served by the same sim (as GitHub
  redirects to short-lived blob storage);
- `POST .../actions/runs/{id}/rerun-failed-jobs`: 201 and a new attempt (see github_reruns.py);
  403 when the run is not completed or not failed, or when the sim's token may not write
  Actions (`actions_write=False`);
- release pull requests, their reviews, check runs and commit statuses (github_pulls_api.py);
- a strong ETag on every 200 and 304 for a matching `If-None-Match`; `x-ratelimit-*` headers, where
  a 304 costs nothing (GitHub: conditional requests answered 304 do not count) and any other API
  answer costs one request; 403 "API rate limit exceeded" when the budget is spent;
- 404 Basic Error bodies for unknown repositories, workflows, runs and jobs; with a token,
  401 "Bad credentials" / "Requires authentication" for a wrong or missing `Authorization`.

Usage:
    scenario = Scenario(FakeClock())
    with GitHubSim(scenario, token="t0ken") as sim:
        base_url = sim.api_url         # e.g. http://127.0.0.1:40123 (or .../api/v3 with a prefix)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cockpit.sim import github_payloads as payloads
from cockpit.sim.github_pulls_api import PullsApi
from cockpit.sim.github_reruns import Reruns, RunView
from cockpit.sim.scenario import CiRunState, Scenario
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

API_VERSION = "2022-11-28"
RATE_WINDOW_S = 3600
_OWNER_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_JOB_LOG_BLOB = "/_blobs/job-logs/"


@dataclass(slots=True)
class SimStats:
    """What the sim answered, for tests and benchmarks."""

    requests: int = 0
    not_modified: int = 0
    charged: int = 0


class GitHubSim(SimService):
    """The GitHub Actions simulator.

    Args:
        scenario: The world to serve; its clock decides "now" for every request.
        token: When given, every API request must carry `Authorization: Bearer <token>`
            (or `token <token>`).
        path_prefix: e.g. `/api/v3` to look like GitHub Enterprise Server.
        rate_limit: The primary rate-limit budget per hour of scenario time.
        empty_repos: Extra repositories (`owner/name`) that exist but have no runs.
        actions_write: The token may write Actions (re-run); False answers re-runs with 403.
        name: For thread names.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        token: str | None = None,
        path_prefix: str = "",
        rate_limit: int = 5000,
        empty_repos: Sequence[str] = (),
        actions_write: bool = True,
        name: str = "github",
    ) -> None:
        self.scenario = scenario
        self.token = token
        self.path_prefix = "/" + path_prefix.strip("/") if path_prefix.strip("/") else ""
        self.rate_limit = rate_limit
        self.empty_repos = tuple(empty_repos)
        self.actions_write = actions_write
        self.reruns = Reruns()
        self.pulls = PullsApi(self)
        self.stats = SimStats()
        self._lock = threading.Lock()
        self._remaining = rate_limit
        self._reset_at = int(scenario.start.timestamp()) + RATE_WINDOW_S
        self.router = Router()
        self.router.fallback = self._api(lambda request: _not_found())
        self._add_routes()
        self.server = SimServer(self.router, name=name)

    # Lifecycle ---------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The API base URL to configure a source with (root plus `path_prefix`)."""
        return self.server.url + self.path_prefix

    @property
    def remaining(self) -> int:
        """The rate-limit budget left in the current window."""
        with self._lock:
            self._roll_window()
            return self._remaining

    # Routing -----------------------------------------------------------------------------

    def _add_routes(self) -> None:
        prefix = re.escape(self.path_prefix) + _OWNER_REPO
        api = self._api
        self.router.get(prefix + r"/actions/runs", api(self._list_runs))
        self.router.get(
            prefix + r"/actions/workflows/(?P<workflow>[^/]+)/runs", api(self._list_runs)
        )
        self.router.get(prefix + r"/actions/runs/(?P<run_id>\d+)", api(self._get_run))
        self.router.get(prefix + r"/actions/runs/(?P<run_id>\d+)/jobs", api(self._list_jobs))
        self.router.get(prefix + r"/actions/jobs/(?P<job_id>\d+)/logs", api(self._job_logs))
        self.router.add(
            "POST", prefix + r"/actions/runs/(?P<run_id>\d+)/rerun-failed-jobs", api(self._rerun)
        )
        self.router.get(re.escape(_JOB_LOG_BLOB) + r"(?P<job_id>\d+)", self._log_blob)
        self.pulls.add_routes(self.router, prefix, api)

    def _api(self, handler: Handler) -> Handler:
        """Wrap a handler with auth, rate limiting, conditional answers and GitHub's headers."""

        def wrapped(request: Request) -> Response:
            refusal = self._check_auth(request)
            with self._lock:
                self._roll_window()
                exhausted = self._remaining <= 0
            if refusal is None and exhausted:
                refusal = Response.json(
                    payloads.error(
                        "API rate limit exceeded. Check the x-ratelimit-reset header.",
                        403,
                        f"{payloads.DOCS}/using-the-rest-api/rate-limits-for-the-rest-api",
                    ),
                    403,
                )
            response = refusal if refusal is not None else handler(request)
            if refusal is None:
                response = conditional(request, response)
            with self._lock:
                self.stats.requests += 1
                if response.status == 304:
                    self.stats.not_modified += 1
                elif not exhausted:
                    self._remaining -= 1
                    self.stats.charged += 1
                response.headers.update(self._rate_headers())
            response.headers.update(
                {
                    "X-GitHub-Api-Version-Selected": API_VERSION,
                    "X-GitHub-Media-Type": "github.v3; format=json",
                    "Cache-Control": "private, max-age=60, s-maxage=60",
                    "Vary": "Accept, Authorization, Cookie",
                }
            )
            return response

        return wrapped

    def _check_auth(self, request: Request) -> Response | None:
        if self.token is None:
            return None
        given = request.header("authorization")
        if not given:
            return Response.json(payloads.error("Requires authentication", 401), 401)
        scheme, _, credential = given.partition(" ")
        if scheme.lower() not in ("bearer", "token") or credential.strip() != self.token:
            return Response.json(payloads.error("Bad credentials", 401), 401)
        return None

    def _roll_window(self) -> None:
        now = int(self.scenario.clock.now().timestamp())
        if now >= self._reset_at:
            windows = (now - self._reset_at) // RATE_WINDOW_S + 1
            self._reset_at += windows * RATE_WINDOW_S
            self._remaining = self.rate_limit

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(0, self._remaining)),
            "x-ratelimit-used": str(self.rate_limit - max(0, self._remaining)),
            "x-ratelimit-reset": str(self._reset_at),
            "x-ratelimit-resource": "core",
        }

    # Handlers ----------------------------------------------------------------------------

    def service_for(self, request: Request) -> str | None:
        """The scenario service behind owner/repo, "" for an empty repo, None if unknown."""
        full_name = f"{request.params['owner']}/{request.params['repo']}".lower()
        if full_name in (r.lower() for r in self.empty_repos):
            return ""
        return next(
            (s for s in self.scenario.services if self.scenario.repo(s).lower() == full_name),
            None,
        )

    def bases(self, request: Request) -> tuple[str, str]:
        """The API base and the web base for links in bodies."""
        return request.base_url + self.path_prefix, request.base_url

    def full_name(self, request: Request) -> str:
        return f"{request.params['owner']}/{request.params['repo']}"

    def _list_runs(self, request: Request) -> Response:
        service = self.service_for(request)
        if service is None:
            return _not_found()
        now = self.scenario.clock.now()
        runs = self.scenario.ci_runs(service) if service else ()
        workflow = request.params.get("workflow")
        full_name = self.full_name(request)
        if workflow is not None:
            runs = tuple(r for r in runs if _is_workflow(r, full_name, workflow))
            known = {p.workflow_file for p in self.scenario.ci_plans(service)} if service else set()
            ids = {str(payloads.workflow_id(full_name, f)) for f in known}
            if workflow not in known | ids:
                return _not_found()
        views = [self.reruns.view(r, now) for r in runs]
        views = [v for v in views if _matches(v.state, request.query)]
        page, link = payloads.paginate(views, request)
        body = {
            "total_count": len(views),
            "workflow_runs": [self._run_body(v, request) for v in page],
        }
        return Response.json(body, headers={"Link": link} if link else None)

    def _get_run(self, request: Request) -> Response:
        view = self._view(request, int(request.params["run_id"]))
        if view is None:
            return _not_found()
        body = self._run_body(view, request)
        return Response.json(body, headers={"Last-Modified": http_date(view.state.updated_at)})

    def _list_jobs(self, request: Request) -> Response:
        state = self._run(request, int(request.params["run_id"]))
        if state is None:
            return _not_found()
        now = self.scenario.clock.now()
        if request.query.get("filter") == "all":
            views = self.reruns.views(state, now)
        else:
            views = [self.reruns.view(state, now)]
        api, web = self.bases(request)
        full_name = self.full_name(request)
        jobs = [
            payloads.job(v.state, full_name, api, web, attempt=v.attempt, job_id=v.job_id)
            for v in views
        ]
        page_jobs, link = payloads.paginate(jobs, request)
        body = {"total_count": len(jobs), "jobs": page_jobs}
        return Response.json(body, headers={"Link": link} if link else None)

    def _job_logs(self, request: Request) -> Response:
        job_id = int(request.params["job_id"])
        now = self.scenario.clock.now()
        rerun = self.reruns.job(job_id, now)
        state = rerun.state if rerun is not None else self.scenario.ci_run_for_job(job_id)
        if state is None or self._run(request, state.plan.run_id) is None:
            return _not_found()
        expires = int(now.timestamp()) + 60
        location = f"{request.base_url}{_JOB_LOG_BLOB}{job_id}?expires={expires}"
        return Response(302, {"Location": location}, b"")

    def _log_blob(self, request: Request) -> Response:
        job_id = int(request.params["job_id"])
        text = self.reruns.job_log(job_id, self.scenario.clock.now())
        if text is None:
            text = self.scenario.job_log(job_id)
        if text is None:
            return Response.text("BlobNotFound", 404)
        return Response.text(text)

    def _rerun(self, request: Request) -> Response:
        state = self._run(request, int(request.params["run_id"]))
        if state is None:
            return _not_found()
        docs = f"{payloads.DOCS}/actions/workflow-runs#re-run-failed-jobs-from-a-workflow-run"
        if not self.actions_write:
            message = "Resource not accessible by personal access token"
            return Response.json(payloads.error(message, 403, docs), 403)
        refusal = self.reruns.request(state, self.scenario.clock.now())
        if refusal is not None:
            return Response.json(payloads.error(refusal, 403, docs), 403)
        return Response.json({}, 201)

    def _run_body(self, view: RunView, request: Request) -> dict[str, Any]:
        api, web = self.bases(request)
        return payloads.workflow_run(
            view.state,
            self.full_name(request),
            api,
            web,
            attempt=view.attempt,
            created_at=view.created_at,
        )

    def _view(self, request: Request, run_id: int) -> RunView | None:
        state = self._run(request, run_id)
        return None if state is None else self.reruns.view(state, self.scenario.clock.now())

    def _run(self, request: Request, run_id: int) -> CiRunState | None:
        """The scripted run `run_id` of the request's repository (attempt 1), if it exists."""
        service = self.service_for(request)
        state = self.scenario.ci_run(run_id)
        if not service or state is None or state.plan.service != service:
            return None
        return state


def _not_found() -> Response:
    return Response.json(payloads.error("Not Found", 404, payloads.RUNS_DOCS), 404)


def _is_workflow(run: CiRunState, full_name: str, workflow: str) -> bool:
    plan = run.plan
    return workflow in (
        plan.workflow_file,
        str(payloads.workflow_id(full_name, plan.workflow_file)),
    )


def _matches(run: CiRunState, query: Any) -> bool:
    plan = run.plan
    if query.get("branch") and plan.branch != query["branch"]:
        return False
    if query.get("event") and plan.event != query["event"]:
        return False
    if query.get("head_sha") and plan.commit != query["head_sha"]:
        return False
    status = query.get("status")
    return not status or status in (run.status, run.conclusion)
