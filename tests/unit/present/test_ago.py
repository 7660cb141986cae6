"""Coarse ages: floored to 10 s under a minute, then minutes, hours, days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cockpit.present.ago import (
    format_ago,
    format_clock,
    format_elapsed,
    format_fresh_age,
    seconds_between,
)


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (None, "?"),
        (-5, "<10s"),
        (0, "<10s"),
        (9.9, "<10s"),
        (10, "10s"),
        (12, "10s"),
        (19.99, "10s"),
        (20, "20s"),
        (59, "50s"),
        (60, "1m"),
        (119, "1m"),
        (180, "3m"),
        (59 * 60 + 59, "59m"),
        (3600, "1h00m"),
        (3600 + 5 * 60, "1h05m"),
        (9 * 3600 + 59 * 60, "9h59m"),
        (10 * 3600, "10h"),
        (23 * 3600 + 3599, "23h"),
        (24 * 3600, "1d"),
        (3 * 86400 + 5, "3d"),
    ],
)
def test_format_ago(seconds: float | None, label: str) -> None:
    assert format_ago(seconds) == label


def test_ago_changes_only_at_ten_second_boundaries() -> None:
    labels = {format_ago(s / 10) for s in range(100, 200)}
    assert labels == {"10s"}


@pytest.mark.parametrize(
    ("seconds", "label"),
    [(None, "-"), (0, "0s"), (45.4, "45s"), (312, "5m12s"), (60, "1m00s"), (3720, "1h02m")],
)
def test_format_elapsed(seconds: float | None, label: str) -> None:
    assert format_elapsed(seconds) == label


def test_format_clock_is_utc() -> None:
    cest = timezone(timedelta(hours=2))
    moment = datetime(2026, 11, 23, 12, 42, 7, tzinfo=cest)
    assert format_clock(moment) == "10:42"
    assert format_clock(moment, seconds=True) == "10:42:07"


def test_seconds_between() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert seconds_between(None, now) is None
    assert seconds_between(now - timedelta(seconds=90), now) == 90


@pytest.mark.parametrize(
    ("seconds", "label"),
    [(None, "?"), (0, "<1m"), (9.9, "<1m"), (10.04, "<1m"), (59.9, "<1m"), (60, "1m"), (185, "3m")],
)
def test_a_fresh_age_is_whole_minutes(seconds: float | None, label: str) -> None:
    assert format_fresh_age(seconds) == label


def test_a_fresh_source_polled_every_ten_seconds_never_changes_its_label() -> None:
    """The age saws between 0 and just over the interval: the label must not flip with it."""
    sawtooth = [0.0, 4.2, 9.99, 10.0, 10.05, 0.3, 9.7, 10.2]
    assert {format_fresh_age(age) for age in sawtooth} == {"<1m"}
    assert {format_ago(age) for age in sawtooth} == {"<10s", "10s"}  # what flipped before
