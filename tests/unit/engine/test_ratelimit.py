"""Header parsing is remote input: every odd value gives None, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cockpit.engine.ratelimit import parse_rate_limit, parse_retry_after, wait_for_budget
from cockpit.models import RateLimit

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


def test_reset_as_epoch_or_as_seconds_from_now() -> None:
    epoch = int((NOW + timedelta(hours=1)).timestamp())
    github = parse_rate_limit(
        {"X-RateLimit-Remaining": "1", "X-RateLimit-Limit": "60", "X-RateLimit-Reset": str(epoch)},
        NOW,
    )
    assert github == RateLimit(1, 60, NOW + timedelta(hours=1))
    delta = parse_rate_limit(
        {"RateLimit-Remaining": "5", "RateLimit-Limit": "10", "RateLimit-Reset": "30"}, NOW
    )
    assert delta == RateLimit(5, 10, NOW + timedelta(seconds=30))


@pytest.mark.parametrize("reset", ["1795000000000", "99999999999999999999", "-5", "soon", ""])
def test_odd_reset_values_give_no_reset_time(reset: str) -> None:
    rate = parse_rate_limit(
        {"x-ratelimit-remaining": "0", "x-ratelimit-limit": "60", "x-ratelimit-reset": reset}, NOW
    )
    assert rate == RateLimit(0, 60, None)


def test_incomplete_headers_give_no_rate_limit() -> None:
    assert parse_rate_limit({"x-ratelimit-remaining": "3"}, NOW) is None
    assert parse_rate_limit({"x-ratelimit-remaining": "x", "x-ratelimit-limit": "60"}, NOW) is None
    assert parse_rate_limit({}, NOW) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Mon, 23 Nov 2026 10:01:30 GMT", 90.0),
        ("Mon, 23 Nov 2026 09:00:00 GMT", 0.0),  # in the past: retry now
        ("²", None),
        ("-5", None),
        ("1.5", None),
        ("tomorrow", None),
        ("Mon, 23 Nov 99999 10:00:00 GMT", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_wait_for_budget_only_when_exhausted() -> None:
    reset = NOW + timedelta(seconds=42)
    assert wait_for_budget(RateLimit(0, 60, reset), NOW) == 42.0
    assert wait_for_budget(RateLimit(1, 60, reset), NOW) is None
    assert wait_for_budget(RateLimit(0, 60, None), NOW) is None
    assert wait_for_budget(RateLimit(0, 60, NOW - timedelta(seconds=5)), NOW) == 0.0
    assert wait_for_budget(None, NOW) is None
