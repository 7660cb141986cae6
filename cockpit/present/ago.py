"""Coarse ages and clock times: labels that change rarely, so the screen repaints rarely.

Ages are floored, never rounded up or down to the nearest: "20s" means *at least* 20 seconds
old, which is the honest way to show how stale data is, and makes a label change exactly at a
10-second boundary (the cadence the panes re-render ages at).
"""

from __future__ import annotations

from datetime import UTC, datetime

AGO_TICK_S = 10.0
"""How often age labels can change: the panes re-render ages at this cadence, no faster."""


def format_ago(seconds: float | None) -> str:
    """A coarse age: `<10s`, `10s`..`50s`, `1m`..`59m`, `1h05m`..`9h59m`, `10h`..`23h`, `2d`.

    Args:
        seconds: Elapsed seconds; negative values (clock skew) count as zero; None is unknown.

    Returns:
        The label, or `?` when the age is unknown.
    """
    if seconds is None:
        return "?"
    whole = max(0, int(seconds))
    if whole < 10:
        return "<10s"
    if whole < 60:
        return f"{whole // 10 * 10}s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 10:
        return f"{hours}h{minutes:02d}m"
    if hours < 24:
        return f"{hours}h"
    return f"{hours // 24}d"


def format_fresh_age(seconds: float | None) -> str:
    """The age of data that is still being refreshed: `<1m` in its first minute, then minutes.

    A source polled every 10 s has data whose age saws between 0 and just over 10 s; in 10-second
    steps its label would flip between `<10s` and `10s` whenever the age tick lands just before a
    poll completes, repainting a line whose data never changed (bytes on every SSH link). Fresh
    says "polled recently" already; the exact seconds only matter once data gets old, and then
    `format_ago` shows them (`STALE 40s`, `data 3m old`).
    """
    if seconds is not None and seconds < 60:
        return "<1m"
    return format_ago(seconds)


def seconds_between(earlier: datetime | None, later: datetime) -> float | None:
    """Seconds from `earlier` to `later`, or None when `earlier` is unknown."""
    if earlier is None:
        return None
    return (later - earlier).total_seconds()


def format_clock(moment: datetime, *, seconds: bool = False) -> str:
    """`10:42` (or `10:42:07`) in UTC: release windows are coordinated in one time zone."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%H:%M:%S" if seconds else "%H:%M")


def format_elapsed(seconds: float | None) -> str:
    """A run's duration: `45s`, `5m12s`, `1h02m`; `-` when unknown."""
    if seconds is None:
        return "-"
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
