"""The GitHub sim's pull request, review, check-run and commit-status endpoints.

Under /repos/{owner}/{repo}: `pulls` (state, head, base, sort, direction), `pulls/{n}`,
`pulls/{n}/reviews`, `commits/{sha}/pulls`, `commits/{ref}/check-runs` (check_name, status,
filter), `commits/{ref}/statuses`, `commits/{ref}/status` and `commits/{ref}` (the bare SHA for
`Accept: application/vnd.github.sha`). Pull requests, reviews and statuses come from
`PullsWorld`; check runs are those of the sim's runs on the commit, re-run attempts included
(`filter=latest`, the default, keeps the newest check run of each name). An unknown ref answers
422 "No commit found for SHA", as GitHub does; every listing paginates like GitHub's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from cockpit.sim import github_payloads as payloads
from cockpit.sim.github_pulls import (
    PullPlan,
    PullsWorld,
    ReviewPlan,
    StatusPlan,
    pull_body,
    review_body,
)
from cockpit.sim.server import Handler, Request, Response, Router

if TYPE_CHECKING:
    from cockpit.sim.github import GitHubSim

_SHA_MEDIA_TYPE = "application/vnd.github.sha"
_DOCS_PULLS = f"{payloads.DOCS}/pulls/pulls"
_DOCS_COMMITS = f"{payloads.DOCS}/commits/commits"


class PullsApi:
    """The HTTP face of `PullsWorld` (and of the check runs of the sim's runs)."""

    def __init__(self, sim: GitHubSim) -> None:
        self.sim = sim
        self.world = PullsWorld(sim.scenario)

    def add_routes(self, router: Router, prefix: str, api: Callable[[Handler], Handler]) -> None:
        """Register the endpoints under `prefix` (the repos pattern), wrapped by `api`."""
        router.get(prefix + r"/pulls", api(self._list_pulls))
        router.get(prefix + r"/pulls/(?P<number>\d+)", api(self._get_pull))
        router.get(prefix + r"/pulls/(?P<number>\d+)/reviews", api(self._list_reviews))
        commits = prefix + r"/commits/(?P<ref>.+)"
        router.get(commits + r"/pulls", api(self._commit_pulls))
        router.get(commits + r"/check-runs", api(self._check_runs))
        router.get(commits + r"/statuses", api(self._list_statuses))
        router.get(commits + r"/status", api(self._combined_status))
        router.get(commits, api(self._commit))

    # Pull requests and reviews -----------------------------------------------------------

    def _list_pulls(self, request: Request) -> Response:
        service = self.sim.service_for(request)
        if service is None:
            return _not_found(_DOCS_PULLS)
        now = self._now()
        pulls = self.world.pulls(service, now) if service else []
        state = request.query.get("state", "open")
        if state != "all":
            pulls = [p for p in pulls if p.state(now) == state]
        if head := request.query.get("head"):
            owner, _, branch = head.rpartition(":")
            mine = not owner or owner.lower() == request.params["owner"].lower()
            pulls = [p for p in pulls if mine and p.head_ref == branch]
        if base := request.query.get("base"):
            pulls = [p for p in pulls if p.base_ref == base]
        sort = request.query.get("sort", "created")
        default_direction = "desc" if sort == "created" else "asc"
        descending = request.query.get("direction", default_direction) == "desc"
        if sort == "updated":
            pulls.sort(key=lambda p: (p.updated_at(now), p.number), reverse=descending)
        else:
            pulls.sort(key=lambda p: (p.created_at, p.number), reverse=descending)
        return self._page(request, pulls, lambda p: self._pull_body(request, p))

    def _get_pull(self, request: Request) -> Response:
        pull = self._pull(request)
        if pull is None:
            return _not_found(_DOCS_PULLS)
        return Response.json(self._pull_body(request, pull, full=True))

    def _list_reviews(self, request: Request) -> Response:
        pull = self._pull(request)
        if pull is None:
            return _not_found(f"{payloads.DOCS}/pulls/reviews")
        now = self._now()
        reviews = sorted(pull.reviews_at(now), key=lambda r: (r.submitted_at, r.review_id))
        api, web = self.sim.bases(request)
        full_name = self.sim.full_name(request)

        def body(review: ReviewPlan) -> dict[str, Any]:
            return review_body(review, pull, now, full_name, api, web)

        return self._page(request, reviews, body)

    def _commit_pulls(self, request: Request) -> Response:
        sha = self._sha(request)
        if isinstance(sha, Response):
            return sha
        now = self._now()
        pulls = [
            p
            for p in self.world.pulls(self.sim.service_for(request) or "", now)
            if (p.merged(now) and p.merge_commit_sha == sha) or p.head_sha(now) == sha
        ]
        return self._page(request, pulls, lambda p: self._pull_body(request, p))

    # Checks and statuses -----------------------------------------------------------------

    def _check_runs(self, request: Request) -> Response:
        sha = self._sha(request)
        if isinstance(sha, Response):
            return sha
        now, sim = self._now(), self.sim
        service = sim.service_for(request) or ""
        runs = [r for r in sim.scenario.ci_runs(service, now) if r.plan.commit == sha]
        views = [v for r in runs for v in sim.reruns.views(r, now)]
        views.sort(key=lambda v: (v.state.plan.created_at, v.job_id), reverse=True)
        if request.query.get("filter", "latest") == "latest":
            newest: dict[str, Any] = {}
            for view in views:
                newest.setdefault(view.state.plan.job_name, view)
            views = list(newest.values())
        if name := request.query.get("check_name"):
            views = [v for v in views if v.state.plan.job_name == name]
        if status := request.query.get("status"):
            views = [v for v in views if v.state.status == status]
        api, web = sim.bases(request)
        full_name = sim.full_name(request)
        page, link = payloads.paginate(views, request)
        runs_json = [
            payloads.check_run(v.state, full_name, api, web, job_id=v.job_id) for v in page
        ]
        body = {"total_count": len(views), "check_runs": runs_json}
        return Response.json(body, headers={"Link": link} if link else None)

    def _list_statuses(self, request: Request) -> Response:
        sha = self._sha(request)
        if isinstance(sha, Response):
            return sha
        statuses = self.world.statuses(self.sim.service_for(request) or "", sha, self._now())
        return self._page(request, statuses, lambda s: self._status_body(request, s))

    def _combined_status(self, request: Request) -> Response:
        sha = self._sha(request)
        if isinstance(sha, Response):
            return sha
        latest: dict[str, StatusPlan] = {}
        for status in self.world.statuses(self.sim.service_for(request) or "", sha, self._now()):
            latest.setdefault(status.context, status)
        bodies = [self._status_body(request, latest[c]) for c in sorted(latest)]
        page, link = payloads.paginate(bodies, request)
        api, web = self.sim.bases(request)
        full_name = self.sim.full_name(request)
        body = payloads.combined_status(page, bodies, full_name, sha, api, web)
        return Response.json(body, headers={"Link": link} if link else None)

    def _commit(self, request: Request) -> Response:
        sha = self._sha(request)
        if isinstance(sha, Response):
            return sha
        if _SHA_MEDIA_TYPE in request.header("accept"):
            return Response(
                200, {"Content-Type": f"{_SHA_MEDIA_TYPE}; charset=utf-8"}, sha.encode()
            )
        api, web = self.sim.bases(request)
        full_name = self.sim.full_name(request)
        return Response.json(
            {
                "sha": sha,
                "node_id": payloads.node_id("C", int(sha[:8], 16)),
                "url": f"{api}/repos/{full_name}/commits/{sha}",
                "html_url": f"{web}/{full_name}/commit/{sha}",
            }
        )

    # Helpers -----------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.sim.scenario.clock.now()

    def _pull(self, request: Request) -> PullPlan | None:
        service = self.sim.service_for(request)
        number = int(request.params["number"])
        pulls = self.world.pulls(service, self._now()) if service else []
        return next((p for p in pulls if p.number == number), None)

    def _pull_body(self, request: Request, pull: PullPlan, *, full: bool = False) -> Any:
        api, web = self.sim.bases(request)
        return pull_body(pull, self._now(), self.sim.full_name(request), api, web, full=full)

    def _status_body(self, request: Request, status: StatusPlan) -> dict[str, Any]:
        api, web = self.sim.bases(request)
        full_name = self.sim.full_name(request)
        return payloads.commit_status(
            status.status_id,
            context=status.context,
            state=status.state,
            description=status.description,
            target_url=f"{web}/{full_name}/security/{status.status_id}",
            creator=status.creator,
            at=status.at,
            full_name=full_name,
            sha=status.sha,
            api=api,
            web=web,
        )

    def _sha(self, request: Request) -> str | Response:
        """The request's ref as a SHA, or GitHub's answer for an unknown repo or ref."""
        service = self.sim.service_for(request)
        if service is None:
            return _not_found(_DOCS_COMMITS)
        if not service:
            return Response.json(
                payloads.error("Git Repository is empty.", 409, _DOCS_COMMITS), 409
            )
        sha = self.world.resolve(service, request.params["ref"], self._now())
        if sha is None:
            message = f"No commit found for SHA: {unquote(request.params['ref'])}"
            return Response.json(payloads.error(message, 422, _DOCS_COMMITS), 422)
        return sha

    @staticmethod
    def _page(request: Request, items: list[Any], render: Callable[[Any], Any]) -> Response:
        page, link = payloads.paginate(items, request)
        return Response.json([render(i) for i in page], headers={"Link": link} if link else None)


def _not_found(documentation_url: str) -> Response:
    return Response.json(payloads.error("Not Found", 404, documentation_url), 404)
