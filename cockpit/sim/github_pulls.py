"""Release pull requests, reviews and commit statuses of the GitHub sim's world.

Seeded from the scenario through its public methods (services, repos, release commits, CI plans)
and, like the scenario, a pure function of scenario time:
- every service has a release pull request (`release/<version>` into main), merged as the
  release commit two minutes before its release run starts, so
  `GET .../commits/{sha}/pulls` finds it; and an open `feature/next` pull request headed by
  the feature branch's newest commit;
- reviews (the reviewers are never the author unless said): checkout has 2 approvals (one
  reviewer requested changes and then approved, the other approved and then commented);
  payments 1 approval plus the author's own (never counted); billing an approval that was
  dismissed (it reads DISMISSED) plus 1 approval; search 1 approval and changes requested;
- commit statuses on each release commit: `license/cla` (success) and `security/scan`
  (pending when the release run starts, 90 s later success, or failure for payments).

`PullsWorld.resolve` names a commit by a SHA (or a unique prefix of 7+), a branch, the release
tag, or `heads/...` / `tags/...`. `pull_body` and `review_body` build GitHub's bodies for them;
github_pulls_api.py serves them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from cockpit.sim import github_payloads as payloads
from cockpit.sim.scenario import Scenario

REVIEWERS = ("ada", "grace", "linus", "margaret", "ken")
_AUTHOR = -1
# (reviewer: index into the non-author reviewers or _AUTHOR, state, minutes after the pull
# request opened, minutes after which it was dismissed or None, body)
_Script = tuple[tuple[int, str, int, int | None, str], ...]
_REVIEW_SCRIPTS: dict[str, _Script] = {
    "checkout": (
        (0, "CHANGES_REQUESTED", 20, None, "Please cover the retry path with a test."),
        (0, "APPROVED", 50, None, "Thanks, LGTM."),
        (1, "APPROVED", 55, None, "Ship it."),
        (1, "COMMENTED", 70, None, "Nit: typo in the changelog (not blocking)."),
    ),
    "payments": (
        (_AUTHOR, "APPROVED", 10, None, "Self-review done."),
        (0, "APPROVED", 60, None, "LGTM."),
    ),
    "billing": (
        (0, "APPROVED", 20, 90, "LGTM."),
        (1, "APPROVED", 100, None, "Looks good to me."),
    ),
    "search": (
        (0, "APPROVED", 25, None, "LGTM."),
        (1, "CHANGES_REQUESTED", 40, None, "The longer timeout hides the flaky test; fix it."),
    ),
}
_DEFAULT_SCRIPT: _Script = ((0, "APPROVED", 20, None, "LGTM."), (1, "APPROVED", 30, None, "+1"))
_SCAN_FINDINGS = {"payments": "1 high severity vulnerability (urllib3)"}
_HEX = re.compile(r"[0-9a-f]{7,40}")


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    """One scripted review; a dismissed one reads DISMISSED from `dismissed_at` on."""

    review_id: int
    reviewer: str
    state: str
    submitted_at: datetime
    body: str
    dismissed_at: datetime | None = None

    def state_at(self, at: datetime) -> str:
        dismissed = self.dismissed_at is not None and self.dismissed_at <= at
        return "DISMISSED" if dismissed else self.state


@dataclass(frozen=True, slots=True)
class PullPlan:
    """One scripted pull request; `pushes` are (moment, head SHA) pairs, oldest first."""

    number: int
    service: str
    title: str
    author: str
    head_ref: str
    pushes: tuple[tuple[datetime, str], ...]
    base_ref: str
    base_sha: str
    created_at: datetime
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    reviews: tuple[ReviewPlan, ...] = ()

    def head_sha(self, at: datetime) -> str:
        return next((sha for when, sha in reversed(self.pushes) if when <= at), self.pushes[0][1])

    def merged(self, at: datetime) -> bool:
        return self.merged_at is not None and self.merged_at <= at

    def state(self, at: datetime) -> str:
        return "closed" if self.merged(at) else "open"

    def reviews_at(self, at: datetime) -> list[ReviewPlan]:
        return [r for r in self.reviews if r.submitted_at <= at]

    def updated_at(self, at: datetime) -> datetime:
        moments = [self.created_at, *(when for when, _ in self.pushes if when <= at)]
        moments += [r.submitted_at for r in self.reviews_at(at)]
        moments += [r.dismissed_at for r in self.reviews if r.dismissed_at and r.dismissed_at <= at]
        if self.merged_at is not None and self.merged(at):
            moments.append(self.merged_at)
        return max(moments)


@dataclass(frozen=True, slots=True)
class StatusPlan:
    """One scripted commit status report."""

    status_id: int
    sha: str
    context: str
    state: str
    description: str
    creator: str
    at: datetime


def _sha(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


class PullsWorld:
    """The scripted pull requests and statuses of every scenario service."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def pulls(self, service: str, at: datetime) -> list[PullPlan]:
        """The service's pull requests opened by `at`, newest first."""
        found = [p for p in self._pulls.get(service, ()) if p.created_at <= at]
        return sorted(found, key=lambda p: p.number, reverse=True)

    def statuses(self, service: str, sha: str, at: datetime) -> list[StatusPlan]:
        """The statuses reported on `sha` by `at`, newest first (as GitHub lists them)."""
        found = [s for s in self._statuses.get(service, ()) if s.sha == sha and s.at <= at]
        return sorted(found, key=lambda s: (s.at, s.status_id), reverse=True)

    def resolve(self, service: str, ref: str, at: datetime) -> str | None:
        """The commit SHA `ref` names at `at`, or None."""
        scenario = self.scenario
        name = unquote(ref).removeprefix("refs/").removeprefix("heads/").removeprefix("tags/")
        if name == scenario.release_ref:
            return scenario.release_commit(service)
        runs = [r for r in scenario.ci_runs(service, at) if r.plan.branch == name]
        if runs:
            return runs[0].plan.commit
        pull = next((p for p in self.pulls(service, at) if p.head_ref == name), None)
        if pull is not None:
            return pull.head_sha(at)
        if not _HEX.fullmatch(name.lower()):
            return None
        matches = {c for c in self._commits(service, at) if c.startswith(name.lower())}
        return matches.pop() if len(matches) == 1 else None

    def _commits(self, service: str, at: datetime) -> set[str]:
        commits = {r.plan.commit for r in self.scenario.ci_runs(service, at)}
        commits.add(self.scenario.release_commit(service))
        for pull in self.pulls(service, at):
            commits.update(sha for when, sha in pull.pushes if when <= at)
            commits.add(pull.base_sha)
        return commits

    @cached_property
    def _pulls(self) -> dict[str, tuple[PullPlan, ...]]:
        services = self.scenario.services
        return {service: self._build_pulls(i, service) for i, service in enumerate(services)}

    @cached_property
    def _statuses(self) -> dict[str, tuple[StatusPlan, ...]]:
        services = self.scenario.services
        return {service: self._build_statuses(i, service) for i, service in enumerate(services)}

    def _build_pulls(self, index: int, service: str) -> tuple[PullPlan, ...]:
        scenario = self.scenario
        plans = scenario.ci_plans(service)
        release = next((p for p in plans if p.release), None)
        release_at = release.created_at if release else scenario.at(-600)
        merged_at = release_at - timedelta(minutes=2)
        opened = merged_at - timedelta(hours=2)
        author = release.author if release else REVIEWERS[index % len(REVIEWERS)]
        others = [r for r in REVIEWERS if r != author]
        number = 400 + 37 * index
        reviews = []
        for k, (who, state, minutes, dismissed, body) in enumerate(
            _REVIEW_SCRIPTS.get(service, _DEFAULT_SCRIPT)
        ):
            reviews.append(
                ReviewPlan(
                    review_id=2_000_000_000 + number * 100 + k,
                    reviewer=author if who == _AUTHOR else others[who % len(others)],
                    state=state,
                    submitted_at=opened + timedelta(minutes=minutes),
                    body=body,
                    dismissed_at=None
                    if dismissed is None
                    else opened + timedelta(minutes=dismissed),
                )
            )
        head = _sha(scenario.seed, service, "release-head")
        pulls = [
            PullPlan(
                number=number + 3,
                service=service,
                title=f"Release {service} {scenario.release_name}",
                author=author,
                head_ref=f"release/{scenario.release_name}",
                pushes=((opened, head),),
                base_ref="main",
                base_sha=_sha(scenario.seed, service, "release-base"),
                created_at=opened,
                merged_at=merged_at,
                merge_commit_sha=scenario.release_commit(service),
                reviews=tuple(reviews),
            )
        ]
        feature = [p for p in plans if p.branch == "feature/next"]
        if feature:
            pulls.append(
                PullPlan(
                    number=number,
                    service=service,
                    title=feature[0].message,
                    author=feature[0].author,
                    head_ref="feature/next",
                    pushes=tuple((p.created_at, p.commit) for p in feature),
                    base_ref="main",
                    base_sha=_sha(scenario.seed, service, "feature-base"),
                    created_at=feature[0].created_at - timedelta(minutes=1),
                )
            )
        return tuple(pulls)

    def _build_statuses(self, index: int, service: str) -> tuple[StatusPlan, ...]:
        release = next((p for p in self.scenario.ci_plans(service) if p.release), None)
        start = release.created_at if release else self.scenario.at(-600)
        sha = self.scenario.release_commit(service)
        finding = _SCAN_FINDINGS.get(service)
        script = (
            ("license/cla", "success", -7200, "All contributors have signed the CLA", "cla-bot"),
            ("security/scan", "pending", 0, "Scanning dependencies", "scanner-bot"),
            (
                "security/scan",
                "failure" if finding else "success",
                90,
                finding or "No known vulnerabilities",
                "scanner-bot",
            ),
        )
        return tuple(
            StatusPlan(
                3_000_000_000 + index * 1000 + k,
                sha,
                context,
                state,
                text,
                creator,
                start + timedelta(seconds=offset),
            )
            for k, (context, state, offset, text, creator) in enumerate(script)
        )


# Bodies ----------------------------------------------------------------------------------------


def _link(href: str) -> dict[str, str]:
    return {"href": href}


def pull_body(
    pull: PullPlan, at: datetime, full_name: str, api: str, web: str, *, full: bool = False
) -> dict[str, Any]:
    """A Pull Request Simple (a listing item); `full` adds the single pull request's fields."""
    owner = full_name.split("/", 1)[0]
    base = f"{api}/repos/{full_name}"
    url = f"{base}/pulls/{pull.number}"
    html = f"{web}/{full_name}/pull/{pull.number}"
    head_sha = pull.head_sha(at)
    repo = payloads.repository(full_name, api, web)
    org = payloads.user(owner, api, web, kind="Organization")
    merged = pull.merged(at)
    body: dict[str, Any] = {
        "url": url,
        "id": payloads.stable_id("pull", full_name, pull.number, digits=10),
        "node_id": payloads.node_id("PR", pull.number),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": f"{base}/issues/{pull.number}",
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{base}/pulls/comments{{/number}}",
        "comments_url": f"{base}/issues/{pull.number}/comments",
        "statuses_url": f"{base}/statuses/{head_sha}",
        "number": pull.number,
        "state": pull.state(at),
        "locked": False,
        "title": pull.title,
        "user": payloads.user(pull.author, api, web),
        "body": f"{pull.title}\n\nSee the changelog.",
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": payloads.ts(pull.created_at),
        "updated_at": payloads.ts(pull.updated_at(at)),
        "closed_at": payloads.ts(pull.merged_at) if merged else None,
        "merged_at": payloads.ts(pull.merged_at) if merged else None,
        "merge_commit_sha": pull.merge_commit_sha if merged else None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": {
            "label": f"{owner}:{pull.head_ref}",
            "ref": pull.head_ref,
            "sha": head_sha,
            "user": org,
            "repo": repo,
        },
        "base": {
            "label": f"{owner}:{pull.base_ref}",
            "ref": pull.base_ref,
            "sha": pull.base_sha,
            "user": org,
            "repo": repo,
        },
        "_links": {
            "self": _link(url),
            "html": _link(html),
            "issue": _link(f"{base}/issues/{pull.number}"),
            "comments": _link(f"{base}/issues/{pull.number}/comments"),
            "review_comments": _link(f"{url}/comments"),
            "review_comment": _link(f"{base}/pulls/comments{{/number}}"),
            "commits": _link(f"{url}/commits"),
            "statuses": _link(f"{base}/statuses/{head_sha}"),
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": False,
    }
    if full:
        body.update(
            {
                "merged": merged,
                "mergeable": None if merged else True,
                "rebaseable": None if merged else True,
                "mergeable_state": "unknown" if merged else "clean",
                "merged_by": payloads.user(pull.author, api, web) if merged else None,
                "comments": 0,
                "review_comments": 0,
                "maintainer_can_modify": False,
                "commits": len(pull.pushes),
                "additions": 12,
                "deletions": 3,
                "changed_files": 2,
            }
        )
    return body


def review_body(
    review: ReviewPlan, pull: PullPlan, at: datetime, full_name: str, api: str, web: str
) -> dict[str, Any]:
    """A Pull Request Review, in its state at `at` (a dismissed review reads DISMISSED)."""
    html = f"{web}/{full_name}/pull/{pull.number}#pullrequestreview-{review.review_id}"
    pull_url = f"{api}/repos/{full_name}/pulls/{pull.number}"
    return {
        "id": review.review_id,
        "node_id": payloads.node_id("PRR", review.review_id),
        "user": payloads.user(review.reviewer, api, web),
        "body": review.body,
        "state": review.state_at(at),
        "html_url": html,
        "pull_request_url": pull_url,
        "_links": {"html": _link(html), "pull_request": _link(pull_url)},
        "submitted_at": payloads.ts(review.submitted_at),
        "commit_id": pull.head_sha(review.submitted_at),
        "author_association": "MEMBER",
    }
