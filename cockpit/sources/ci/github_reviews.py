"""GitHub pull-request approvals, check runs and commit statuses for the readiness gates.

`GitHubReviewsMixin` gives `GitHubActionsAdapter` three reads:
- `approvals(repo, pr=, ref=)`: the release pull request (by number; else the pull requests
  associated with the ref's commit, `GET /repos/{o}/{r}/commits/{sha}/pulls`; else
  `GET /repos/{o}/{r}/pulls?head=owner:branch&state=all`) and its reviews
  (`GET .../pulls/{n}/reviews`, every page), counted by `count_approvals`;
- `checks(repo, ref)`: `GET .../commits/{ref}/check-runs` (the latest run of each check);
- `combined_status(repo, ref)`: `GET .../commits/{ref}/status`.

How reviews count (GitHub's own rule for required reviews): each reviewer's latest *deciding*
review decides. APPROVED, CHANGES_REQUESTED and DISMISSED decide (a dismissed approval reads
DISMISSED, so it no longer counts); COMMENTED changes nothing, so "approved, then commented"
still approves; PENDING (an unsubmitted draft) is ignored. A state GitHub may add later decides
as "not an approval": an unknown answer never passes a gate. The author's own reviews never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models.review import (
    Approvals,
    CheckRun,
    CombinedStatus,
    CommitStatus,
    Review,
    ReviewState,
    ReviewTally,
)
from cockpit.sources.ci.base import PayloadReader, parse_link_header
from cockpit.text import sanitize

PER_PAGE = 100
# Reviews come oldest first: a listing cut short would miss the latest ones, so follow far and
# fail loudly rather than count a partial list.
MAX_PAGES = 30
_FULL_SHA = re.compile(r"[0-9a-f]{40}")
_SHA_MEDIA_TYPE = "application/vnd.github.sha"
_HINT = "is the url a GitHub API (https://api.github.com or https://HOST/api/v3)?"
_DECIDING = frozenset(
    {
        ReviewState.APPROVED,
        ReviewState.CHANGES_REQUESTED,
        ReviewState.DISMISSED,
        ReviewState.UNKNOWN,
    }
)
_EPOCH = datetime.min.replace(tzinfo=UTC)


def count_approvals(reviews: Iterable[Review], author: str) -> ReviewTally:
    """Add up a pull request's reviews (see the module docstring for the rules).

    Args:
        reviews: The pull request's reviews in any order; they are ordered by submission
            time, then id (GitHub's ids grow with submission order).
        author: The pull request author's login (compared case-insensitively, as GitHub does).

    Returns:
        The approvers, each other reviewer's deciding review (their latest COMMENTED one when
        they never decided), and whether the author approved themselves.
    """
    me = author.lower()
    deciding: dict[str, Review] = {}
    self_approved = False
    ordered = sorted(reviews, key=lambda r: (r.submitted_at or _EPOCH, r.review_id))
    for review in ordered:
        who = review.reviewer.lower()
        if review.state is ReviewState.PENDING or not who:
            continue
        if who == me:
            self_approved = self_approved or review.state is ReviewState.APPROVED
            continue
        # A comment is remembered only until the reviewer decides; it never undoes a decision.
        current = deciding.get(who)
        if review.state in _DECIDING or current is None or current.state not in _DECIDING:
            deciding[who] = review
    latest = tuple(sorted(deciding.values(), key=lambda r: r.reviewer.lower()))
    approvers = tuple(r.reviewer for r in latest if r.state is ReviewState.APPROVED)
    return ReviewTally(approvers, latest, self_approved)


def pick_pull(pulls: Sequence[Mapping[str, Any]], sha: str) -> Mapping[str, Any] | None:
    """The release pull request among candidates for commit `sha`.

    Prefers the pull request merged as `sha`, then the one whose head is `sha`, then an open
    one, then the newest (highest number).
    """

    def rank(pull: Mapping[str, Any]) -> tuple[bool, bool, bool, int]:
        head = pull.get("head")
        head_sha = head.get("sha") if isinstance(head, dict) else None
        number = pull.get("number")
        return (
            bool(pull.get("merged_at")) and pull.get("merge_commit_sha") == sha,
            head_sha == sha,
            pull.get("state") == "open",
            number if isinstance(number, int) else 0,
        )

    return max(pulls, key=rank) if pulls else None


class GitHubReviewsMixin:
    """Approvals, check runs and combined status for `GitHubActionsAdapter` (see the module)."""

    name: str
    http: SourceHttp
    reviews_per_page: ClassVar[int] = PER_PAGE

    def _repo(self, service: str) -> str:  # provided by the adapter
        raise NotImplementedError

    # Public reads ------------------------------------------------------------------------

    async def approvals(
        self, repo: str, *, pr: int | None = None, ref: str | None = None
    ) -> Approvals:
        """The approvals of the release pull request of `repo`.

        Args:
            repo: `owner/name`, or a configured service name (its ci `repo`).
            pr: The pull request's number, when known.
            ref: Else a tag, branch or SHA: the pull request merged as (or headed by) its commit.

        Raises:
            SourceError: not_found when no pull request matches, config without `pr` or `ref`,
                and the usual remote failures.
        """
        full = self._full_name(repo)
        if pr is not None:
            pull = await self._pull(full, pr)
        elif ref:
            pull = await self._pull_for_ref(full, ref)
        else:
            raise SourceError(
                ErrorKind.CONFIG,
                f"{self.name}: approvals of {full} need a pull request number or a ref",
                source=self.name,
                hint="set release.ref, or give the gate the pull request number",
            )
        number = self._reader(f"the pull requests of {full}").integer(pull, "number")
        reader = self._reader(f"pull request #{number} of {full}")
        author = _login(reader, pull.get("user"))
        head = pull.get("head")
        reviews = await self._reviews(full, number)
        tally = count_approvals(reviews, author)
        return Approvals(
            pr_number=number,
            author=author,
            approvers=tally.approvers,
            latest_by_reviewer=tally.latest_by_reviewer,
            url=sanitize(reader.text(pull, "html_url")),
            title=sanitize(reader.text(pull, "title", nullable=True)),
            head_sha=sanitize(reader.text(head, "sha")) if isinstance(head, dict) else "",
            self_approved=tally.self_approved,
        )

    async def checks(self, repo: str, ref: str) -> tuple[CheckRun, ...]:
        """The latest check run of every check on `ref` (a SHA, branch or tag)."""
        full = self._full_name(repo)
        what = f"the check runs of {ref!r} in {full}"
        path = f"/repos/{full}/commits/{_ref(ref)}/check-runs"
        params: dict[str, str | int] = {"per_page": PER_PAGE, "filter": "latest"}
        bodies = await self._ref_pages(full, ref, path, params)
        reader = self._reader(what)
        items = [item for body in bodies for item in reader.items(body, "check_runs")]
        return tuple(_check_run(reader, item) for item in items)

    async def combined_status(self, repo: str, ref: str) -> CombinedStatus:
        """GitHub's combined commit status of `ref` (the latest status of every context)."""
        full = self._full_name(repo)
        reader = self._reader(f"the combined status of {ref!r} in {full}")
        path = f"/repos/{full}/commits/{_ref(ref)}/status"
        bodies = await self._ref_pages(full, ref, path, {"per_page": PER_PAGE})
        first = reader.obj(bodies[0], "the body")
        statuses = [item for body in bodies for item in reader.items(body, "statuses")]
        return CombinedStatus(
            sha=sanitize(reader.text(first, "sha")),
            state=sanitize(reader.text(first, "state")),
            statuses=tuple(_commit_status(reader, item) for item in statuses),
        )

    # Finding the pull request ------------------------------------------------------------

    async def _pull_for_ref(self, full: str, ref: str) -> Mapping[str, Any]:
        sha = ref.lower() if _FULL_SHA.fullmatch(ref.lower()) else await self._resolve(full, ref)
        reader = self._reader(f"the pull requests of {full}")
        path = f"/repos/{full}/commits/{sha}/pulls"
        bodies = await self._ref_pages(full, ref, path, {"per_page": PER_PAGE}, complete=False)
        pull = pick_pull([reader.obj(p, "a pull request") for p in _array(reader, bodies)], sha)
        if pull is None and sha != ref.lower():
            owner = full.split("/", 1)[0]
            branch = ref.removeprefix("refs/").removeprefix("heads/")
            params: dict[str, str | int] = {"head": f"{owner}:{branch}", "state": "all"}
            params["per_page"] = PER_PAGE
            bodies = await self._pages(f"/repos/{full}/pulls", params, complete=False)
            candidates = [reader.obj(p, "a pull request") for p in _array(reader, bodies)]
            pull = pick_pull(candidates, sha)
        if pull is None:
            raise SourceError(
                ErrorKind.NOT_FOUND,
                f"{self.name}: no pull request in {full} merged or headed by {ref!r} ({sha[:7]})",
                source=self.name,
                hint="was the release merged without a pull request? give the gate its number",
            )
        return pull

    async def _pull(self, full: str, number: int) -> Mapping[str, Any]:
        try:
            result = await self.http.get(f"/repos/{full}/pulls/{number}")
        except SourceError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise
            raise SourceError(
                ErrorKind.NOT_FOUND,
                f"{self.name}: pull request #{number} not found in {full}",
                source=self.name,
                hint="check the pull request number and the token's access to the repository",
            ) from exc
        return self._reader(f"pull request #{number} of {full}").obj(result.json(), "the body")

    async def _resolve(self, full: str, ref: str) -> str:
        """A tag or branch as its commit SHA (GitHub's `application/vnd.github.sha` answer)."""
        path = f"/repos/{full}/commits/{_ref(ref)}"
        try:
            result = await self.http.get(path, headers={"Accept": _SHA_MEDIA_TYPE})
        except SourceError as exc:
            raise self._ref_error(exc, full, ref) from exc
        sha = result.text.strip().lower()
        if not _FULL_SHA.fullmatch(sha):
            raise self._reader(f"the commit of {ref!r} in {full}").fail(
                f"not a commit SHA ({sha[:40]!r})"
            )
        return sha

    async def _reviews(self, full: str, number: int) -> list[Review]:
        reader = self._reader(f"the reviews of pull request #{number} of {full}")
        path = f"/repos/{full}/pulls/{number}/reviews"
        bodies = await self._pages(path, {"per_page": self.reviews_per_page})
        return [_review(reader, reader.obj(item, "a review")) for item in _array(reader, bodies)]

    # HTTP --------------------------------------------------------------------------------

    def _full_name(self, repo: str) -> str:
        return repo if "/" in repo else self._repo(repo)

    def _reader(self, what: str) -> PayloadReader:
        return PayloadReader(self.name, what, _HINT)

    async def _ref_pages(
        self,
        full: str,
        ref: str,
        path: str,
        params: Mapping[str, str | int],
        *,
        complete: bool = True,
    ) -> list[Any]:
        try:
            return await self._pages(path, params, complete=complete)
        except SourceError as exc:
            raise self._ref_error(exc, full, ref) from exc

    def _ref_error(self, exc: SourceError, full: str, ref: str) -> SourceError:
        """404, or GitHub's 422 "No commit found for SHA", as a not_found naming the ref."""
        if exc.kind is ErrorKind.NOT_FOUND or "HTTP 422" in exc.message:
            return SourceError(
                ErrorKind.NOT_FOUND,
                f"{self.name}: {ref!r} is not a commit, branch or tag of {full}",
                source=self.name,
                hint="check release.ref (a tag, branch or SHA pushed to GitHub)",
            )
        return exc

    async def _pages(
        self, path: str, params: Mapping[str, str | int], *, complete: bool = True
    ) -> list[Any]:
        """Each page's JSON body, following `Link: rel="next"` on our own origin.

        `complete`: every page is needed (a count over a partial list would lie), so more than
        MAX_PAGES pages is an error; otherwise the first page is enough (a best candidate).
        """
        bodies: list[Any] = []
        url: str | None = path
        while url is not None:
            if len(bodies) == (MAX_PAGES if complete else 1):
                if not complete:
                    break
                raise self._reader(path).fail(f"more than {MAX_PAGES} pages; refusing to guess")
            result = await self.http.get(url, params=params if url == path else None)
            bodies.append(result.json())
            link = next((v for k, v in result.headers.items() if k.lower() == "link"), None)
            url = self._same_origin(parse_link_header(link).get("next"))
        return bodies

    def _same_origin(self, url: str | None) -> str | None:
        """A next link moved onto our base URL's origin: credentials never leave it."""
        if not url:
            return None
        base, link = urlsplit(self.http.url("/")), urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, link.path, link.query, ""))


def _ref(ref: str) -> str:
    """A ref in a path: slashes kept (`heads/release/2.14`), everything else escaped."""
    return quote(ref, safe="/")


def _array(reader: PayloadReader, bodies: list[Any]) -> list[Any]:
    items: list[Any] = []
    for body in bodies:
        if not isinstance(body, list):
            raise reader.fail("the body is not a list")
        items.extend(body)
    return items


def _login(reader: PayloadReader, user: Any) -> str:
    """A user's login; "" for a deleted account (GitHub sends `user: null`)."""
    if user is None:
        return ""
    return sanitize(reader.text(reader.obj(user, "`user`"), "login"))


def _review(reader: PayloadReader, item: Mapping[str, Any]) -> Review:
    return Review(
        review_id=reader.integer(item, "id"),
        reviewer=_login(reader, item.get("user")),
        state=ReviewState.parse(reader.text(item, "state")),
        submitted_at=reader.time(item, "submitted_at", nullable=True),
        commit=sanitize(reader.text(item, "commit_id", nullable=True)),
        url=sanitize(reader.text(item, "html_url", nullable=True)),
    )


def _check_run(reader: PayloadReader, item: Mapping[str, Any]) -> CheckRun:
    # Imported here: github.py imports this module (for the mixin) at its top.
    from cockpit.sources.ci.github import map_run_status

    raw_status = reader.text(item, "status", nullable=True)
    conclusion = reader.text(item, "conclusion", nullable=True)
    app = item.get("app")
    slug = (app.get("slug") or app.get("name")) if isinstance(app, dict) else ""
    return CheckRun(
        check_id=reader.integer(item, "id"),
        name=sanitize(reader.text(item, "name")),
        status=map_run_status(raw_status, conclusion or None),
        raw_status=sanitize(raw_status),
        conclusion=sanitize(conclusion),
        app=sanitize(slug) if isinstance(slug, str) else "",
        head_sha=sanitize(reader.text(item, "head_sha")),
        started_at=reader.time(item, "started_at", nullable=True),
        completed_at=reader.time(item, "completed_at", nullable=True),
        url=sanitize(
            reader.text(item, "html_url", nullable=True)
            or reader.text(item, "details_url", nullable=True)
        ),
    )


def _commit_status(reader: PayloadReader, item: Mapping[str, Any]) -> CommitStatus:
    return CommitStatus(
        context=sanitize(reader.text(item, "context")),
        state=sanitize(reader.text(item, "state")),
        description=sanitize(reader.text(item, "description", nullable=True)),
        target_url=sanitize(reader.text(item, "target_url", nullable=True)),
        updated_at=reader.time(item, "updated_at", nullable=True),
    )
