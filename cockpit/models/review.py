"""Pull-request reviews, approvals, check runs and commit statuses, as the gates read them.

Adapters fill these from GitHub's REST answers (`cockpit.sources.ci.github_reviews`); the
`approvals` gate reads `Approvals`, `ci_green` may read `CheckRun` and `CombinedStatus`.
Every text field holds sanitised remote text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cockpit.models.freshness import iso
from cockpit.models.pipeline import RunStatus


class ReviewState(StrEnum):
    """A review's state as GitHub reports it; `unknown` for values GitHub may add later."""

    APPROVED = "APPROVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    COMMENTED = "COMMENTED"
    DISMISSED = "DISMISSED"
    PENDING = "PENDING"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: object) -> ReviewState:
        try:
            return cls(str(value).upper())
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class Review:
    """One submitted (or pending) review of a pull request.

    Attributes:
        review_id: GitHub's review id (increases with submission order).
        reviewer: The reviewer's login.
        state: The review's state now (a dismissed approval reads DISMISSED).
        submitted_at: When it was submitted; None for a pending review.
        commit: The head commit the review was made on.
        url: The review's web URL.
    """

    review_id: int
    reviewer: str
    state: ReviewState
    submitted_at: datetime | None = None
    commit: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class ReviewTally:
    """What the reviews of one pull request add up to (see `count_approvals`).

    Attributes:
        approvers: Logins whose deciding review approves, sorted case-insensitively.
        latest_by_reviewer: Each reviewer's deciding review (the author's excluded), by login.
        self_approved: The author approved their own pull request (never counted).
    """

    approvers: tuple[str, ...] = ()
    latest_by_reviewer: tuple[Review, ...] = ()
    self_approved: bool = False

    @property
    def count(self) -> int:
        return len(self.approvers)

    @property
    def changes_requested_by(self) -> tuple[str, ...]:
        return tuple(
            r.reviewer for r in self.latest_by_reviewer if r.state is ReviewState.CHANGES_REQUESTED
        )


@dataclass(frozen=True, slots=True)
class Approvals:
    """The approvals of a release pull request.

    Attributes:
        pr_number: The pull request's number.
        author: The pull request author's login (their own reviews never count).
        approvers: Logins of reviewers whose latest deciding review approves.
        latest_by_reviewer: Each other reviewer's deciding review (see `count_approvals`).
        url: The pull request's web URL.
        title: The pull request's title.
        head_sha: The pull request's head commit.
        self_approved: The author approved their own pull request (ignored, but worth saying).
    """

    pr_number: int
    author: str
    approvers: tuple[str, ...]
    latest_by_reviewer: tuple[Review, ...]
    url: str
    title: str = ""
    head_sha: str = ""
    self_approved: bool = False

    @property
    def count(self) -> int:
        return len(self.approvers)

    @property
    def changes_requested_by(self) -> tuple[str, ...]:
        return tuple(
            r.reviewer for r in self.latest_by_reviewer if r.state is ReviewState.CHANGES_REQUESTED
        )

    def to_json(self) -> dict[str, Any]:
        """Gate evidence: who approved, and every other reviewer's deciding state."""
        return {
            "pr": self.pr_number,
            "url": self.url,
            "author": self.author,
            "approvals": self.count,
            "approvers": list(self.approvers),
            "reviews": {r.reviewer: r.state.value for r in self.latest_by_reviewer},
            "self_approved": self.self_approved,
        }


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One check run on a commit (a GitHub Actions job, or another app's check).

    Attributes:
        check_id: GitHub's check-run id (for Actions, the job id).
        name: The check's name.
        status: Normalised: neutral and skipped count as success, as GitHub's required checks do.
        raw_status: GitHub's `status` (queued, in_progress, completed, ...).
        conclusion: GitHub's `conclusion`, "" while not completed.
        app: The app's slug (`github-actions`, ...).
        head_sha: The commit checked.
        started_at: When it started.
        completed_at: When it completed.
        url: The check's web URL.
    """

    check_id: int
    name: str
    status: RunStatus
    raw_status: str = ""
    conclusion: str = ""
    app: str = ""
    head_sha: str = ""
    started_at: datetime | None = None
    completed_at: datetime | None = None
    url: str = ""


@dataclass(frozen=True, slots=True)
class CommitStatus:
    """The latest status of one context on a commit (the legacy statuses API).

    Attributes:
        context: The status's context (`ci/jenkins`, `security/scan`, ...).
        state: GitHub's state: success, failure, error or pending.
        description: A short description from the reporter.
        target_url: Where the reporter links to.
        updated_at: When it was last set.
    """

    context: str
    state: str
    description: str = ""
    target_url: str = ""
    updated_at: datetime | None = None

    @property
    def status(self) -> RunStatus:
        return status_of_state(self.state)


@dataclass(frozen=True, slots=True)
class CombinedStatus:
    """GitHub's combined status of a ref: one state over the latest status of every context.

    Attributes:
        sha: The commit the ref resolved to.
        state: failure (any error or failure), pending (any pending, or no status at all)
            or success.
        statuses: The latest status per context.
    """

    sha: str
    state: str
    statuses: tuple[CommitStatus, ...] = ()

    @property
    def status(self) -> RunStatus:
        return status_of_state(self.state)

    def to_json(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "state": self.state,
            "statuses": [
                {"context": s.context, "state": s.state, "updated_at": iso(s.updated_at)}
                for s in self.statuses
            ],
        }


def status_of_state(state: str) -> RunStatus:
    """A commit status state as a `RunStatus`: pending is running, error is a failure."""
    return {
        "success": RunStatus.SUCCESS,
        "failure": RunStatus.FAILURE,
        "error": RunStatus.FAILURE,
        "pending": RunStatus.RUNNING,
    }.get(state, RunStatus.UNKNOWN)


@dataclass(frozen=True, slots=True)
class ApprovalLookup:
    """The approvals of one service's release pull request, or why they could not be read.

    Attributes:
        service: The configured service.
        ref: The release ref the pull request was looked up for.
        approvals: What was found (None when the lookup failed).
        problem: Why there is nothing (no pull request for the ref, ...); empty when found.
        missing: True when the remote answered that there is no such pull request (a definite
            "not approved"), False when the lookup itself could not be made (permissions).
        source: The CI source that was asked.
    """

    service: str
    ref: str
    approvals: Approvals | None = None
    problem: str = ""
    missing: bool = False
    source: str = ""
