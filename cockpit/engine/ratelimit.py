"""Reading the remote's rate-limit and Retry-After headers (GitHub, GitLab, RFC 9110)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from cockpit.models import RateLimit


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_rate_limit(headers: Mapping[str, str], now: datetime) -> RateLimit | None:
    """The budget from GitHub's `x-ratelimit-*` or GitLab's `RateLimit-*` headers.

    Both send the reset as Unix epoch seconds. Header lookup is case-insensitive in httpx, but
    plain dicts are accepted too, so both spellings are tried.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    for prefix in ("x-ratelimit-", "ratelimit-"):
        remaining = _int(lower.get(prefix + "remaining"))
        limit = _int(lower.get(prefix + "limit"))
        if remaining is None or limit is None:
            continue
        return RateLimit(
            remaining=remaining, limit=limit, reset_at=_reset_at(lower.get(prefix + "reset"), now)
        )
    return None


def _reset_at(value: str | None, now: datetime) -> datetime | None:
    """A reset header as a time: Unix epoch seconds, or seconds-from-now for small values.

    Garbage (a millisecond epoch, a value past year 9999, a negative delta) gives None rather
    than an exception: headers are remote input and must never crash a poll.
    """
    reset = _int(value)
    if reset is None or reset < 0:
        return None
    try:
        # Some servers send the reset as seconds-from-now instead of an epoch.
        if reset < 10**9:
            return now + timedelta(seconds=reset)
        return datetime.fromtimestamp(reset, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    # isascii: str.isdigit() accepts characters such as "²" that float() rejects.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def wait_for_budget(rate: RateLimit | None, now: datetime) -> float | None:
    """Seconds until the budget resets when it is exhausted, else None."""
    if rate is None or rate.remaining > 0 or rate.reset_at is None:
        return None
    return max(0.0, (rate.reset_at - now).total_seconds())
