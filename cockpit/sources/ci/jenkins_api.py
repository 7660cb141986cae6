"""Jenkins remote-access API shapes for the Jenkins adapter: auth, paths, results, console.

Jenkins answers a wrong or missing credential with HTML: a 401 "Invalid password/token" page,
a 403 "Authentication required" page that redirects to `/login` (both with `X-Jenkins`
headers), or, behind a single-sign-on proxy, a 200 login form. `check_answer` turns each into
an error that says so and what to check, instead of "not JSON".
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import RunStatus, Step
from cockpit.sources.ci.base import PayloadReader
from cockpit.sources.ci.logs import LogChunk, LogCursor, chunk, fetch_bounded
from cockpit.text import sanitize

BUILDS_TREE = (
    "builds[number,result,building,timestamp,duration,estimatedDuration,url,"
    "actions[lastBuiltRevision[SHA1,branch[name]]]]{0,%d}"
)
"""The `tree` of the builds listing: only these fields of the newest builds, never the tree."""

PARAMETERS_TREE = "actions[parameters[name,value]]"
BODY_HINT = "is the url the Jenkins root (https://jenkins.example.com, with any context path)?"
AUTH_HINT = (
    "check the Jenkins user and API token (user menu > Security > API Token; a token, not the "
    "password) and that the user may read the job"
)
_BRANCH_PREFIXES = ("refs/remotes/origin/", "remotes/origin/", "origin/", "refs/heads/")
_CONSOLE_NOTE = re.compile(rb"\x1b\[8mha:[A-Za-z0-9+/=]*\x1b\[0m")
_RESULTS = {
    "SUCCESS": RunStatus.SUCCESS,
    "FAILURE": RunStatus.FAILURE,
    "UNSTABLE": RunStatus.FAILURE,
    "ABORTED": RunStatus.CANCELLED,
    "NOT_BUILT": RunStatus.CANCELLED,
}
_STAGES = {
    "SUCCESS": RunStatus.SUCCESS,
    "FAILED": RunStatus.FAILURE,
    "UNSTABLE": RunStatus.FAILURE,
    "ABORTED": RunStatus.CANCELLED,
    "NOT_EXECUTED": RunStatus.CANCELLED,
    "SKIPPED": RunStatus.CANCELLED,
    "IN_PROGRESS": RunStatus.RUNNING,
    "PAUSED_PENDING_INPUT": RunStatus.RUNNING,
}


def jenkins_auth_headers(user: str | None, token: str | None) -> dict[str, str]:
    """JSON, and HTTP basic auth with a user and an API token when both are given."""
    headers = {"Accept": "application/json"}
    if user and token:
        pair = base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {pair}"
    return headers


def job_path(job: str) -> str:
    """`billing/main` -> `/job/billing/job/main` (each folder or branch name URL-encoded)."""
    parts = [part for part in job.strip().strip("/").split("/") if part]
    return "".join(f"/job/{quote(part, safe='')}" for part in parts)


def map_result(result: str | None, building: bool) -> RunStatus:
    """A build's `result` as a `RunStatus`: running while `building`; UNSTABLE (tests failed)
    is a failure, ABORTED and NOT_BUILT did not finish their work."""
    if building:
        return RunStatus.RUNNING
    return _RESULTS.get(result or "", RunStatus.UNKNOWN)


def map_stage(status: str | None) -> RunStatus:
    """A Pipeline stage's status (Stage View's `StatusExt`) as a `RunStatus`."""
    return _STAGES.get(status or "", RunStatus.UNKNOWN)


def normalise_branch(name: str) -> str:
    """`refs/remotes/origin/main` or `origin/main` -> `main`."""
    for prefix in _BRANCH_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _millis(value: object) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    return None


class Build:
    """The fields of a listed build the cockpit uses, read loosely.

    The commit comes from the git plugin's `lastBuiltRevision`. A Pipeline that loads a shared
    library records that checkout too, so the revision whose branch is the configured one is
    preferred over the first.
    """

    __slots__ = (
        "branch",
        "building",
        "duration_ms",
        "number",
        "result",
        "sha",
        "started_at",
        "status",
        "url",
    )

    def __init__(self, reader: PayloadReader, item: Mapping[str, Any], branch: str) -> None:
        self.number = reader.integer(item, "number")
        raw = item.get("result")
        self.result = raw if isinstance(raw, str) else None
        self.building = item.get("building") is True
        self.status = map_result(self.result, self.building)
        self.started_at = _millis(item.get("timestamp"))
        duration = item.get("duration")
        self.duration_ms = duration if isinstance(duration, int) else 0
        self.url = sanitize(reader.text(item, "url", nullable=True))
        revisions = _revisions(item.get("actions"))
        chosen = next((r for r in revisions if branch and branch in r[1]), None)
        sha, branches = chosen or (revisions[0] if revisions else ("", ()))
        self.sha = sanitize(sha)
        self.branch = sanitize(branch if chosen else (branches[0] if branches else branch))

    def duration(self, now: datetime) -> float | None:
        if not self.building:
            return self.duration_ms / 1000.0
        return (
            None if self.started_at is None else max(0.0, (now - self.started_at).total_seconds())
        )


def _revisions(actions: object) -> list[tuple[str, tuple[str, ...]]]:
    found = []
    for action in actions if isinstance(actions, list) else ():
        revision = action.get("lastBuiltRevision") if isinstance(action, dict) else None
        if not isinstance(revision, dict) or not isinstance(revision.get("SHA1"), str):
            continue
        raw = revision.get("branch")
        names = tuple(
            normalise_branch(b["name"])
            for b in (raw if isinstance(raw, list) else ())
            if isinstance(b, dict) and isinstance(b.get("name"), str)
        )
        found.append((revision["SHA1"], names))
    return found


def stages_from(reader: PayloadReader, body: Any) -> tuple[Step, ...]:
    """The stages of a `wfapi/describe` answer as steps, in execution order."""
    steps = []
    for number, stage in enumerate(reader.items(body, "stages"), 1):
        status = map_stage(reader.text(stage, "status", nullable=True))
        started = _millis(stage.get("startTimeMillis"))
        duration = stage.get("durationMillis")
        done = status is not RunStatus.RUNNING and started is not None
        length = duration if isinstance(duration, int) else 0
        steps.append(
            Step(
                name=sanitize(reader.text(stage, "name")),
                status=status,
                number=number,
                started_at=started,
                completed_at=started + timedelta(milliseconds=length) if done and started else None,
            )
        )
    return tuple(steps)


def parameters_from(body: Any) -> dict[str, str]:
    """The parameters a build ran with (`ParametersAction`), to rebuild with the same values."""
    found: dict[str, str] = {}
    actions = body.get("actions") if isinstance(body, dict) else None
    for action in actions if isinstance(actions, list) else ():
        values = action.get("parameters") if isinstance(action, dict) else None
        for value in values if isinstance(values, list) else ():
            name = value.get("name") if isinstance(value, dict) else None
            raw = value.get("value") if isinstance(value, dict) else None
            if isinstance(name, str) and isinstance(raw, str | int | float | bool):
                found[name] = str(raw).lower() if isinstance(raw, bool) else str(raw)
    return found


def check_answer(http: SourceHttp, response: httpx.Response, body: bytes, what: str) -> None:
    """Raise the typed error an answer deserves: a login page, a refused crumb, or the status."""
    status = response.status_code
    content_type = response.headers.get("content-type", "").lower()
    head = body[:1024].lstrip().lower()
    html = "html" in content_type or head.startswith((b"<!doctype html", b"<html"))
    if status == 403 and b"no valid crumb" in body.lower():
        raise SourceError(
            ErrorKind.AUTH,
            f"{http.source}: Jenkins refused {what}: no valid crumb was included in the request",
            source=http.source,
            hint="the CSRF crumb was rejected twice; check that the user and API token are "
            "right (a crumb is tied to the user that fetched it)",
        )
    if status in (401, 403) and (html or "x-jenkins" in response.headers):
        who = response.headers.get("x-you-are-authenticated-as")
        signed_in = f", signed in as {sanitize(who)}" if who else ""
        raise SourceError(
            ErrorKind.AUTH,
            f"{http.source}: Jenkins refused {what} (HTTP {status}{signed_in}): the answer "
            "looks like the Jenkins login page",
            source=http.source,
            hint=AUTH_HINT,
        )
    http.raise_for_status(response)
    if html:
        raise SourceError(
            ErrorKind.BAD_RESPONSE,
            f"{http.source}: {what} answered with an HTML page, not JSON: it looks like the "
            "Jenkins login page (or a single-sign-on proxy's)",
            source=http.source,
            hint=AUTH_HINT,
        )


async def read_console(
    http: SourceHttp,
    build_path: str,
    job_id: str,
    cursor: LogCursor | None,
    *,
    tail_bytes: int,
) -> LogChunk:
    """Read a build's console with `logText/progressiveText?start=N`.

    The next `start` is the answer's `X-Text-Size` (a byte offset in the raw log, which holds
    hidden console notes, so it is not the length of the text received). `X-More-Data: true`
    means the build is still writing. A first read probes the size and reads only the tail.
    """
    path = f"{build_path}/logText/progressiveText"
    what = f"the console of build {job_id}"
    start = 0 if cursor is None else cursor.offset
    fetched = await fetch_bounded(
        http,
        path,
        params={"start": start},
        keep=tail_bytes,
        stop=None if cursor else (lambda response: _text_size(response) > tail_bytes),
    )
    skipped = 0
    if fetched.aborted:
        start = skipped = _text_size(fetched.response) - tail_bytes
        fetched = await fetch_bounded(http, path, params={"start": start}, keep=tail_bytes)
    if fetched.status >= 400 or "html" in fetched.headers.get("content-type", ""):
        check_answer(http, fetched.response, fetched.data, what)
    size = _text_size(fetched.response)
    end = size if size >= 0 else start + fetched.read
    more = fetched.headers.get("x-more-data", "").lower() == "true"
    restart = cursor is not None and end < cursor.offset  # the log rolled over: from 0 again
    return chunk(
        job_id,
        None if restart else cursor,
        fetched.data,
        offset=end,
        more=more,
        skipped=skipped + fetched.dropped,
        clean=strip_console_notes,
    )


def strip_console_notes(data: bytes) -> bytes:
    """Remove serialised console notes (`ESC[8mha:...ESC[0m`) should a raw log slip through."""
    return _CONSOLE_NOTE.sub(b"", data)


def _text_size(response: httpx.Response) -> int:
    value = response.headers.get("x-text-size", "")
    return int(value) if value.strip().isdigit() else -1


def names(steps: Sequence[Step], status: RunStatus) -> str:
    """The names of the steps in `status`, comma-separated."""
    return ", ".join(step.name for step in steps if step.status is status)
