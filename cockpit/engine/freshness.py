"""Per-source freshness, computed from what the engine recorded and the current time.

The rules, in order (the first that matches wins):

1. **unknown**: the source was never polled to completion and has no error. Unknown never means
   success; it means there is no data yet.
2. **failing**: the last completed poll failed. The error is kept, and so is the last good data,
   whose age is measured from the last success (None when there never was one).
3. **stale**: the last success is older than `stale_after_s(interval, timeout)`. This happens when
   polls are overdue (a stalled event loop, a suspended laptop) or when the engine is waiting for an
   exhausted rate-limit budget to reset, and the data on screen may no longer be true.
4. **fresh**: otherwise.

`compute_status` is pure: the same record and `now` always give the same status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cockpit.models import Freshness, RateLimit, SourceFailure, SourceStatus


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """What the engine knows about one source's polling, independent of the data itself.

    Attributes:
        name: The configured source name.
        kind: The configured kind (github, gitlab, ...).
        interval_s: The poll interval.
        timeout_s: The per-request timeout (part of the stale threshold).
        last_success_at: When the last successful poll completed (None: never).
        last_attempt_at: When the last poll completed, successfully or not (None: never).
        last_error: The error of the last poll; None when it succeeded.
        consecutive_failures: Failed polls since the last success.
        next_poll_at: When the engine will poll again (None: not scheduled).
        rate_limit: The remaining budget the remote reported.
        requests: Requests sent so far.
        not_modified: Requests answered 304 (served from the cache).
    """

    name: str
    kind: str
    interval_s: float
    timeout_s: float = 10.0
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_error: SourceFailure | None = None
    consecutive_failures: int = 0
    next_poll_at: datetime | None = None
    rate_limit: RateLimit | None = None
    requests: int = 0
    not_modified: int = 0


def stale_after_s(interval_s: float, timeout_s: float) -> float:
    """The age beyond which successful data counts as stale: 2 x interval + timeout.

    Why: the next poll starts one interval after a success completes and may take up to the
    timeout, so healthy data is at most `interval + timeout` old. One more interval of slack
    absorbs scheduling jitter; beyond that at least one poll is truly overdue.
    """
    return 2.0 * interval_s + timeout_s


def age_s(since: datetime | None, now: datetime) -> float | None:
    """Seconds from `since` to `now`, never negative (None when `since` is None)."""
    if since is None:
        return None
    return max(0.0, (now - since).total_seconds())


def classify(record: SourceRecord, now: datetime) -> Freshness:
    """The freshness state alone (see the module docstring for the rules)."""
    if record.last_error is not None:
        return Freshness.FAILING
    if record.last_success_at is None:
        return Freshness.UNKNOWN
    age = age_s(record.last_success_at, now) or 0.0
    if age > stale_after_s(record.interval_s, record.timeout_s):
        return Freshness.STALE
    return Freshness.FRESH


def compute_status(record: SourceRecord, now: datetime) -> SourceStatus:
    """The `SourceStatus` of a source at `now`.

    Args:
        record: What the engine recorded about the source.
        now: The current time, from the engine's clock.
    """
    return SourceStatus(
        name=record.name,
        kind=record.kind,
        state=classify(record, now),
        fetched_at=record.last_success_at,
        age_s=age_s(record.last_success_at, now),
        error=record.last_error,
        rate_limit=record.rate_limit,
        next_poll_at=record.next_poll_at,
        requests=record.requests,
        not_modified=record.not_modified,
    )
