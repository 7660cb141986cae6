"""How fresh a source's data is, and why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cockpit.errors import ErrorKind


class Freshness(StrEnum):
    """Per-source freshness. `unknown` never means success: it means we have no data yet."""

    FRESH = "fresh"
    STALE = "stale"
    FAILING = "failing"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """The last error of a source, typed as in the JSON contract."""

    kind: ErrorKind
    message: str
    hint: str = ""
    at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The remaining API budget the remote reported (GitHub x-ratelimit-*, GitLab RateLimit-*)."""

    remaining: int
    limit: int
    reset_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "remaining": self.remaining,
            "limit": self.limit,
            "reset_at": iso(self.reset_at),
        }


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A source's state as shown in panes and `status --json`.

    Attributes:
        name: The configured source name.
        kind: The configured kind (github, gitlab, ...).
        state: fresh | stale | failing | unknown.
        fetched_at: When the last good data arrived (None: never).
        age_s: Seconds since `fetched_at` at the time the status was computed.
        error: The last error, kept while failing.
        rate_limit: The remaining budget, when the remote tells us.
        next_poll_at: When the engine will poll again (backoff and Retry-After included).
        requests: Requests sent so far; `not_modified`: how many were answered 304.
    """

    name: str
    kind: str
    state: Freshness
    fetched_at: datetime | None = None
    age_s: float | None = None
    error: SourceFailure | None = None
    rate_limit: RateLimit | None = None
    next_poll_at: datetime | None = None
    requests: int = 0
    not_modified: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "state": self.state.value,
            "fetched_at": iso(self.fetched_at),
            "age_s": None if self.age_s is None else round(self.age_s, 1),
            "error": None if self.error is None else self.error.to_json(),
            "rate_limit": None if self.rate_limit is None else self.rate_limit.to_json(),
        }


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a `Z`, as the JSON contract shows."""
    if moment is None:
        return None
    text = moment.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")
