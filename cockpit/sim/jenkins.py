"""A Jenkins simulator on loopback, backed by a `Scenario`.

Serves the scenario's Jenkins-built services (`Scenario.jenkins_services`) as multibranch
Pipeline jobs `owner/service/<branch>` (`/job/acme/job/reports/job/main/`), as Jenkins does:
- `GET <job>/api/json` and `GET <job>/<n>/api/json`, honouring `tree=` (fields, nesting and
  `{m,n}` ranges; without `tree`, the default depth-0 export);
- `GET <job>/<n>/wfapi/describe` (Pipeline: Stage View plugin), unless `stage_view=False`;
- `GET <job>/<n>/logText/progressiveText?start=N`: the text after raw byte N, console notes
  stripped, CRLF line ends, `X-Text-Size` (the next start) and `X-More-Data: true` while the
  build runs;
- `GET /crumbIssuer/api/json` (404 with `crumb=False`), and `POST <job>/build` or
  `<job>/buildWithParameters` (201, `Location: <root>/queue/item/<id>/`), which need the crumb
  in a `Jenkins-Crumb` header and queue a rebuild of the branch head: the scenario re-runs that
  commit (an infra failure passes); `GET /queue/item/<id>/api/json` follows it;
- `X-Jenkins` and `X-Jenkins-Session` on every answer; with `user`/`token`, HTTP basic auth:
  no credentials get the 403 "Authentication required" page that redirects to `/login`, wrong
  ones the 401 "Invalid password/token" page, and with `login_page=True` (a single-sign-on
  proxy in front) a 200 HTML login form instead.

Usage:
    with JenkinsSim(Scenario(FakeClock()), user="ci", token="11aa") as sim:
        base_url = sim.url
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from cockpit.sim import jenkins_payloads as payloads
from cockpit.sim.scenario import CiRunPlan, Scenario, run_state
from cockpit.sim.server import Handler, Request, Response, Router, SimServer, SimService

VERSION = "2.479.1"
CRUMB_FIELD = "Jenkins-Crumb"
_JOB = r"(?P<job>(?:/job/[^/]+)+)"
_LOGIN_FORM = """<!DOCTYPE html><html><head><title>Sign in [Jenkins]</title></head><body>
<form method="post" name="login" action="j_spring_security_check">
<input name="j_username" autocomplete="username"><input name="j_password" type="password">
<button type="submit">Sign in</button></form></body></html>"""
_AUTH_REQUIRED = """<html><head><meta http-equiv='refresh' content='1;url=/login?from={path}'/>
<script id='redirect' data-redirect-url='/login?from={path}' src='/static/redirect.js'></script>
</head><body style='background-color:white; color:white;'>
Authentication required
</body></html>"""
_ERROR_PAGE = """<html><head><title>Error {status} {reason}</title></head><body>
<h2>HTTP ERROR {status} {reason}</h2></body></html>"""


@dataclass(slots=True)
class SimStats:
    """What the sim answered, for tests."""

    requests: int = 0
    crumbs_issued: int = 0
    builds_queued: int = 0


class JenkinsSim(SimService):
    """The Jenkins simulator.

    Args:
        scenario: The world to serve; its clock decides "now" for every request.
        user: With `token`, the one user whose basic auth is accepted.
        token: That user's API token.
        crumb: CSRF protection on: POSTs need the crumb from `/crumbIssuer/api/json`.
        login_page: Answer missing or wrong credentials with a 200 HTML login form.
        stage_view: The Pipeline Stage View plugin is installed (`wfapi/describe` exists).
        console_padding: Bytes of download noise in every console (to make large logs).
        name: For thread names.
    """

    def __init__(
        self,
        scenario: Scenario,
        user: str | None = None,
        token: str | None = None,
        crumb: bool = True,
        *,
        login_page: bool = False,
        stage_view: bool = True,
        console_padding: int = 0,
        name: str = "jenkins",
    ) -> None:
        self.scenario = scenario
        self.user = user
        self.token = token
        self.crumb = crumb
        self.login_page = login_page
        self.stage_view = stage_view
        self.console_padding = console_padding
        self.stats = SimStats()
        self.session = hashlib.sha1(f"{scenario.seed}".encode()).hexdigest()[:8]
        self._crumb_salt = 0
        self._lock = threading.Lock()
        self._queue: dict[int, tuple[CiRunPlan, str]] = {}
        self._queue_ids = itertools.count(101)
        self.router = Router()
        self.router.fallback = lambda request: _error_page(404, "Not Found")
        self._add_routes()
        self.server = SimServer(self.router, name=name)

    @property
    def api_url(self) -> str:
        return self.server.url

    def expire_crumbs(self) -> None:
        """Invalidate every crumb issued so far (as a restart or an expired session does)."""
        with self._lock:
            self._crumb_salt += 1

    def current_crumb(self) -> str:
        with self._lock:
            salt = self._crumb_salt
        return hashlib.sha256(f"{self.user}:{self.session}:{salt}".encode()).hexdigest()

    # Routing -----------------------------------------------------------------------------

    def _add_routes(self) -> None:
        api, route = self._api, self.router.add
        route("GET", r"/crumbIssuer/api/json", api(self._crumb))
        route("GET", _JOB + r"/api/json", api(self._job))
        route("GET", _JOB + r"/(?P<number>\d+)/api/json", api(self._build))
        route("GET", _JOB + r"/(?P<number>\d+)/wfapi/describe", api(self._describe))
        route("GET", _JOB + r"/(?P<number>\d+)/logText/progressiveText", api(self._progressive))
        route("POST", _JOB + r"/(?P<endpoint>build|buildWithParameters)", api(self._trigger))
        route("GET", r"/queue/item/(?P<item>\d+)/api/json", api(self._queue_item))

    def _api(self, handler: Handler) -> Handler:
        def wrapped(request: Request) -> Response:
            with self._lock:
                self.stats.requests += 1
            response = self._refusal(request) or handler(request)
            response.headers.setdefault("X-Jenkins", VERSION)
            response.headers.setdefault("X-Jenkins-Session", self.session)
            return response

        return wrapped

    def _refusal(self, request: Request) -> Response | None:
        if self.user is None or self.token is None:
            return None
        scheme, _, encoded = request.header("authorization").partition(" ")
        given = ""
        if scheme.lower() == "basic":
            try:
                given = base64.b64decode(encoded).decode()
            except ValueError:
                given = ""
        if given == f"{self.user}:{self.token}":
            crumb_needed = request.method == "POST" and self.crumb
            if crumb_needed and request.header(CRUMB_FIELD.lower()) != self.current_crumb():
                return _error_page(403, "No valid crumb was included in the request")
            return None
        if self.login_page:
            return Response(200, {"Content-Type": "text/html;charset=utf-8"}, _LOGIN_FORM.encode())
        if not given:
            body = _AUTH_REQUIRED.format(path=request.path.replace("/", "%2F"))
            headers = {
                "Content-Type": "text/html;charset=utf-8",
                "X-You-Are-Authenticated-As": "anonymous",
                "X-You-Are-In-Group-Disabled": "JENKINS-39402: use -Dhudson.security."
                "AccessDeniedException2.REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose",
                "X-Required-Permission": "hudson.model.Hudson.Read",
                "X-Permission-Implied-By": "hudson.model.Hudson.Administer",
            }
            return Response(403, headers, body.encode())
        return _error_page(401, f"Invalid password/token for user: {given.partition(':')[0]}")

    # Jobs and builds ---------------------------------------------------------------------

    def _branch_job(self, request: Request) -> tuple[str, str] | None:
        """(service, branch) of a job path `/job/<owner>/job/<service>/job/<branch>`."""
        parts = [unquote(unquote(p)) for p in request.params["job"].split("/job/") if p]
        if len(parts) != 3 or parts[0] != self.scenario.owner:
            return None
        service, branch = parts[1], parts[2]
        if service not in self.scenario.jenkins_services:
            return None
        return service, branch

    def _views(self, service: str, branch: str, base_url: str) -> list[payloads.BuildView]:
        """The builds of the branch job that exist now (started), oldest first."""
        now = self.scenario.now()
        plans = [p for p in self.scenario.ci_plans(service) if p.branch == branch]
        job_url = base_url + _job_path(self.scenario.jenkins_job(service, branch)) + "/"
        library = hashlib.sha1(f"library:{self.scenario.seed}".encode()).hexdigest()
        return [
            payloads.BuildView(number, run_state(plan, now), job_url, library)
            for number, plan in enumerate(plans, 1)
            if plan.started_at <= now
        ]

    def _found(self, request: Request) -> tuple[list[payloads.BuildView], str] | None:
        job = self._branch_job(request)
        if job is None:
            return None
        return self._views(*job, request.base_url), job[1]

    def _job(self, request: Request) -> Response:
        found = self._found(request)
        if found is None:
            return _error_page(404, "Not Found")
        views, branch = found
        export = payloads.job(views, branch, views[0].job_url if views else request.path)
        tree = request.query.get("tree")
        if tree:
            now = self.scenario.now()
            export["builds"] = [self._build_export(views, v, now) for v in reversed(views)]
            export = payloads.apply_tree(export, tree)
        return Response.json(export)

    def _build_export(
        self, views: list[payloads.BuildView], view: payloads.BuildView, now: Any
    ) -> dict[str, Any]:
        done = [
            v for v in views if not v.building and v.result == "SUCCESS" and v.number < view.number
        ]
        recent = done[-3:]
        estimated = -1
        if recent:
            estimated = sum(
                payloads.millis(v.state.completed_at) - payloads.millis(v.plan.started_at)
                for v in recent
            ) // len(recent)
        previous = next((v for v in reversed(views) if v.number < view.number), None)
        return payloads.build(view, previous, estimated, now)

    def _one(self, request: Request) -> tuple[list[payloads.BuildView], payloads.BuildView] | None:
        found = self._found(request)
        if found is None:
            return None
        number = int(request.params["number"])
        view = next((v for v in found[0] if v.number == number), None)
        return None if view is None else (found[0], view)

    def _build(self, request: Request) -> Response:
        found = self._one(request)
        if found is None:
            return _error_page(404, "Not Found")
        export = self._build_export(*found, self.scenario.now())
        tree = request.query.get("tree")
        return Response.json(payloads.apply_tree(export, tree) if tree else export)

    def _describe(self, request: Request) -> Response:
        found = self._one(request) if self.stage_view else None
        if found is None:
            return _error_page(404, "Not Found")
        body = payloads.describe(found[1], request.params["job"], self.scenario.now())
        return Response.json(body)

    def _progressive(self, request: Request) -> Response:
        found = self._one(request)
        if found is None:
            return _error_page(404, "Not Found")
        view = found[1]
        raw = payloads.console(view, self.console_padding)
        start = request.query.get("start", "0")
        text, size = payloads.progressive_text(raw, int(start) if start.isdigit() else 0)
        headers = {"Content-Type": "text/plain;charset=UTF-8", "X-Text-Size": str(size)}
        if view.building:
            headers["X-More-Data"] = "true"
        return Response(200, headers, text)

    # CSRF, triggering and the queue ------------------------------------------------------

    def _crumb(self, request: Request) -> Response:
        if not self.crumb:
            return _error_page(404, "Not Found")
        with self._lock:
            self.stats.crumbs_issued += 1
        body = {
            "_class": "hudson.security.csrf.DefaultCrumbIssuer",
            "crumb": self.current_crumb(),
            "crumbRequestField": CRUMB_FIELD,
        }
        return Response.json(body)

    def _trigger(self, request: Request) -> Response:
        job = self._branch_job(request)
        if job is None:
            return _error_page(404, "Not Found")
        if request.params["endpoint"] == "buildWithParameters":
            return _error_page(400, "This job is not parameterized")
        service, branch = job
        now = self.scenario.now()
        heads = [
            p for p in self.scenario.ci_plans(service) if p.branch == branch and p.created_at <= now
        ]
        if not heads:
            return _error_page(404, "Not Found")
        plan = self.scenario.rerun(heads[-1].run_id, at=now)
        with self._lock:
            item = next(self._queue_ids)
            self._queue[item] = (plan, branch)
            self.stats.builds_queued += 1
        location = f"{request.base_url}/queue/item/{item}/"
        return Response(201, {"Location": location, "Content-Length": "0"}, b"")

    def _queue_item(self, request: Request) -> Response:
        item = int(request.params["item"])
        with self._lock:
            queued = self._queue.get(item)
        if queued is None:
            return _error_page(404, "Not Found")
        plan, branch = queued
        now = self.scenario.now()
        job_url = (
            request.base_url + _job_path(self.scenario.jenkins_job(plan.service, branch)) + "/"
        )
        task = {"_class": payloads.WORKFLOW_JOB, "name": branch, "url": job_url}
        body: dict[str, Any] = {
            "id": item,
            "inQueueSince": payloads.millis(plan.created_at),
            "params": "",
            "stuck": False,
            "task": task,
            "url": f"queue/item/{item}/",
        }
        if plan.started_at > now:
            wait = int((plan.started_at - now).total_seconds())
            body.update(_class="hudson.model.Queue$WaitingItem", blocked=False, buildable=False)
            body.update(why=f"In the quiet period. Expires in {wait} sec")
            return Response.json(body)
        views = self._views(plan.service, branch, request.base_url)
        view = next(v for v in views if v.plan.run_id == plan.run_id)
        body.update(_class="hudson.model.Queue$LeftItem", cancelled=False, why=None)
        body["executable"] = {
            "_class": payloads.WORKFLOW_RUN,
            "number": view.number,
            "url": view.url,
        }
        return Response.json(body)


def _job_path(job: str) -> str:
    return "".join(f"/job/{quote(part, safe='')}" for part in job.split("/") if part)


def _error_page(status: int, reason: str) -> Response:
    body = _ERROR_PAGE.format(status=status, reason=re.sub(r"[<>&]", "", reason))
    return Response(status, {"Content-Type": "text/html;charset=utf-8"}, body.encode())
