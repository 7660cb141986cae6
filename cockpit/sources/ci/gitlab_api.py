"""GitLab REST API v4 shapes for the GitLab CI adapter: headers, statuses, readers, traces,
merge requests and their approvals.

Everything here reads GitLab's documented answers loosely (`PayloadReader`): a missing or
mistyped key becomes a `bad_response` error naming the source, never a KeyError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, RunStatus
from cockpit.models.review import Approvals, Review, ReviewState
from cockpit.sources.ci.base import PayloadReader
from cockpit.sources.ci.logs import LogChunk, LogCursor, chunk, fetch_bounded
from cockpit.text import sanitize

API_PREFIX = "/api/v4"
BODY_HINT = "is the url a GitLab instance (https://gitlab.example.com or .../api/v4)?"
FINISHED = (RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELLED)
INFRA_REASONS = frozenset(
    {
        "runner_system_failure",
        "stuck_or_timeout_failure",
        "job_execution_timeout",
        "scheduler_failure",
        "data_integrity_failure",
        "api_failure",
        "runner_unsupported",
        "stale_schedule",
        "unknown_failure",
    }
)
"""`failure_reason` values that say the runner or GitLab failed, not the job's script."""

_QUEUED = frozenset(
    {"created", "waiting_for_resource", "preparing", "pending", "scheduled", "manual"}
)
_CANCELLED = frozenset({"canceled", "canceling", "skipped"})
_SECTION = re.compile(rb"section_(?:start|end):\d+:[\w.\[\]=,-]+")
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")
FULL_SHA = re.compile(r"[0-9a-f]{40}")
# The merge request states that can carry a release's approvals (closed ones never merged it).
_MR_RANK = {"merged": 2, "opened": 1, "locked": 1}


def gitlab_headers(token: str | None, *, bearer: bool = False) -> dict[str, str]:
    """The headers of every GitLab call: JSON and, given a token, `PRIVATE-TOKEN` (or
    `Authorization: Bearer` for an OAuth token)."""
    headers = {"Accept": "application/json"}
    if token:
        if bearer:
            headers["Authorization"] = f"Bearer {token}"
        else:
            headers["PRIVATE-TOKEN"] = token
    return headers


def map_status(status: str | None) -> RunStatus:
    """A pipeline's or job's status as a `RunStatus` (see `cockpit.sources.ci.gitlab`)."""
    if status in _QUEUED:
        return RunStatus.QUEUED
    if status == "running":
        return RunStatus.RUNNING
    if status == "success":
        return RunStatus.SUCCESS
    if status == "failed":
        return RunStatus.FAILURE
    if status in _CANCELLED:
        return RunStatus.CANCELLED
    return RunStatus.UNKNOWN


def project_ref(project: str) -> str:
    """A project for a URL path: a numeric id as is, a path URL-encoded (`acme%2Fledger`)."""
    project = project.strip().strip("/")
    return project if project.isdigit() else quote(project, safe="")


class Pipeline:
    """The fields of a listed pipeline the cockpit uses, read loosely."""

    __slots__ = ("created_at", "id", "name", "ref", "sha", "status", "updated_at", "web_url")

    def __init__(self, reader: PayloadReader, item: Mapping[str, Any]) -> None:
        self.id = reader.integer(item, "id")
        self.status = map_status(reader.text(item, "status", nullable=True))
        self.sha = sanitize(reader.text(item, "sha"))
        self.ref = sanitize(reader.text(item, "ref", nullable=True))
        self.web_url = sanitize(reader.text(item, "web_url", nullable=True))
        self.created_at = reader.time(item, "created_at")
        self.updated_at = reader.time(item, "updated_at", nullable=True)
        raw_name = item.get("name")
        self.name = sanitize(raw_name) if isinstance(raw_name, str) and raw_name else "pipeline"

    def duration(self, now: datetime) -> float | None:
        """`updated_at - created_at` when finished, `now - created_at` while running."""
        start = self.created_at or datetime.min.replace(tzinfo=UTC)
        if self.status in FINISHED and self.updated_at is not None:
            return max(0.0, (self.updated_at - start).total_seconds())
        if self.status is RunStatus.RUNNING:
            return max(0.0, (now - start).total_seconds())
        return None


def job_from(reader: PayloadReader, item: Mapping[str, Any]) -> Job:
    """A job of the jobs listing (GitLab jobs have no steps: their stages are jobs)."""
    return Job(
        job_id=str(reader.integer(item, "id")),
        name=sanitize(reader.text(item, "name")),
        status=map_status(reader.text(item, "status", nullable=True)),
        started_at=reader.time(item, "started_at", nullable=True),
        completed_at=reader.time(item, "finished_at", nullable=True),
        url=sanitize(reader.text(item, "web_url", nullable=True)),
    )


async def read_trace(
    http: SourceHttp,
    path: str,
    job_id: str,
    cursor: LogCursor | None,
    *,
    more: bool,
    tail_bytes: int,
) -> LogChunk:
    """Read a job trace incrementally: a `Range` suffix first, then `Range: bytes=N-`.

    A 206 carries only the requested bytes. A 200 means the server ignored `Range` (GitLab
    documents none for traces): the body is streamed, the `offset` bytes already seen are
    skipped and only a bounded tail is kept. A log shorter than the cursor (erased, or a job
    that restarted) is read again from its tail.
    """
    offset = 0 if cursor is None else cursor.offset
    wanted = f"bytes=-{tail_bytes}" if cursor is None else f"bytes={offset}-"
    fetched = await fetch_bounded(
        http,
        path,
        headers={"Range": wanted, "Accept": "text/plain"},
        keep=tail_bytes,
        skip=lambda response: offset if response.status_code == 200 else 0,
    )
    again = cursor is not None
    if fetched.status == 404 and more:
        return chunk(job_id, cursor, b"", offset=offset, more=True)  # not started yet
    if fetched.status == 416:  # nothing past `offset` (or an empty log)
        total = content_range(fetched.headers.get("content-range"))[2]
        if again and total is not None and total < offset:
            return await read_trace(http, path, job_id, None, more=more, tail_bytes=tail_bytes)
        return chunk(job_id, cursor, b"", offset=offset, more=more)
    if fetched.status >= 400:
        raise_for(http, fetched.response, fetched.data, f"the log of job {job_id}")
    if fetched.status == 206:
        first, last, _ = content_range(fetched.headers.get("content-range"))
        start = offset if first is None else first
        end = start + fetched.read if last is None else last + 1
        skipped = max(0, start - offset) + fetched.dropped
    elif again and fetched.skipped < offset:
        return await read_trace(http, path, job_id, None, more=more, tail_bytes=tail_bytes)
    else:  # a 200: everything was sent; what we had already seen was skipped
        end, skipped = offset + fetched.read, fetched.dropped
    return chunk(
        job_id, cursor, fetched.data, offset=end, more=more, skipped=skipped, clean=clean_sections
    )


def raise_for(http: SourceHttp, response: httpx.Response, body: bytes, what: str) -> None:
    """Map an error answer to a typed error; a token without the needed scope says so."""
    if response.status_code == 403 and "insufficient_scope" in error_message(body):
        raise SourceError(
            ErrorKind.AUTH,
            f"{http.source}: the token lacks the scope for {what} (insufficient_scope)",
            source=http.source,
            hint="give the token the `api` scope (`read_api` is enough to watch)",
        )
    http.raise_for_status(response)


def clean_sections(data: bytes) -> bytes:
    """GitLab's collapsible-section markers are for its web UI, not for a terminal."""
    return _SECTION.sub(b"", data)


def content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    """`bytes first-last/total` (or `bytes */total`) as numbers; None where absent."""
    match = _CONTENT_RANGE.search(value or "")
    if match is None:
        return None, None, None
    first, last, total = match.groups()
    return (
        int(first) if first else None,
        int(last) if last else None,
        int(total) if total and total.isdigit() else None,
    )


def json_body(response: httpx.Response, source: str) -> Any:
    """The JSON of an answer already read, or a `bad_response` error naming the source."""
    try:
        return response.json()
    except ValueError as exc:
        raise SourceError(
            ErrorKind.BAD_RESPONSE,
            f"{source}: {response.request.url} answered with something that is not JSON",
            source=source,
            hint="check the source's url points at GitLab, not a web page or a proxy",
        ) from exc


def error_message(body: bytes) -> str:
    """GitLab's error `message` (or `error`), sanitised; "" when there is none."""
    try:
        parsed = httpx.Response(200, content=body).json()
    except ValueError:
        return ""
    value = parsed.get("message") or parsed.get("error") if isinstance(parsed, dict) else None
    return sanitize(str(value))[:200] if value else ""


def pick_merge_request(
    candidates: Sequence[Mapping[str, Any]], sha: str
) -> Mapping[str, Any] | None:
    """The release merge request among candidates for commit `sha`.

    Merged ones first (the one merged or squashed as `sha` before any other), then open ones
    (`locked` is GitLab's brief state while merging); closed ones never count. Among equals the
    newest (highest iid) wins.
    """

    def rank(mr: Mapping[str, Any]) -> tuple[int, bool, bool, int]:
        state = _MR_RANK.get(str(mr.get("state")), 0)
        landed = sha in (mr.get("merge_commit_sha"), mr.get("squash_commit_sha"))
        iid = mr.get("iid")
        return (
            state,
            state == 2 and landed,
            mr.get("sha") == sha,
            iid if isinstance(iid, int) else 0,
        )

    usable = [mr for mr in candidates if _MR_RANK.get(str(mr.get("state")), 0)]
    return max(usable, key=rank) if usable else None


def username(reader: PayloadReader, user: Any) -> str:
    """A user entity's `username`; "" for a missing (deleted) user."""
    if user is None:
        return ""
    return sanitize(reader.text(reader.obj(user, "a user"), "username"))


def approvals_from(
    reader: PayloadReader, mr: Mapping[str, Any], body: Mapping[str, Any]
) -> Approvals:
    """A merge request (as listed) and its `/approvals` answer as `Approvals`.

    Every user in `approved_by` approved (GitLab has no "changes requested" that undoes one, and
    a revoked approval leaves the list); the author's own approval never counts, however the
    project's `merge_requests_author_approval` setting lets GitLab count it.
    """
    iid = reader.integer(mr, "iid")
    author = username(reader, mr.get("author"))
    url = sanitize(reader.text(mr, "web_url"))
    raw = body.get("approved_by")
    entries = [] if raw is None else raw
    if not isinstance(entries, list):
        raise reader.fail("`approved_by` is not a list")
    me, self_approved = author.lower(), False
    reviews: dict[str, Review] = {}
    for entry in entries:
        item = reader.obj(entry, "an `approved_by` entry")
        user = reader.obj(item.get("user"), "an approver's `user`")
        who = username(reader, user)
        if not who:
            continue
        if who.lower() == me:
            self_approved = True
            continue
        user_id = user.get("id")
        reviews.setdefault(
            who.lower(),
            Review(
                review_id=user_id if isinstance(user_id, int) else 0,
                reviewer=who,
                state=ReviewState.APPROVED,
                submitted_at=reader.time(item, "approved_at", nullable=True),
                url=url,
            ),
        )
    latest = tuple(sorted(reviews.values(), key=lambda r: r.reviewer.lower()))
    return Approvals(
        pr_number=iid,
        author=author,
        approvers=tuple(r.reviewer for r in latest),
        latest_by_reviewer=latest,
        url=url,
        title=sanitize(reader.text(mr, "title", nullable=True)),
        head_sha=sanitize(reader.text(mr, "sha", nullable=True)),
        self_approved=self_approved,
    )
