"""Freshness rules: unknown, failing, stale, fresh, with ages from the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cockpit.engine.freshness import SourceRecord, compute_status, stale_after_s
from cockpit.errors import ErrorKind
from cockpit.models import Freshness, RateLimit, SourceFailure

T0 = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def record(**changes: object) -> SourceRecord:
    base = SourceRecord(name="gh", kind="github", interval_s=10.0, timeout_s=5.0)
    return SourceRecord(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})  # type: ignore[arg-type]


FAILURE = SourceFailure(ErrorKind.TIMEOUT, "gh: api.github.com did not answer within 5s", at=at(40))


def test_stale_threshold_is_two_intervals_plus_the_timeout() -> None:
    assert stale_after_s(10.0, 5.0) == 25.0


def test_never_polled_is_unknown_without_age() -> None:
    status = compute_status(record(), at(100))
    assert status.state is Freshness.UNKNOWN
    assert status.fetched_at is None
    assert status.age_s is None
    assert status.error is None


def test_success_is_fresh_with_its_age() -> None:
    status = compute_status(record(last_success_at=at(0), last_attempt_at=at(0)), at(7))
    assert status.state is Freshness.FRESH
    assert status.fetched_at == at(0)
    assert status.age_s == 7.0


def test_fresh_up_to_the_threshold_then_stale() -> None:
    ok = record(last_success_at=at(0), last_attempt_at=at(0))
    assert compute_status(ok, at(25)).state is Freshness.FRESH
    stale = compute_status(ok, at(25.5))
    assert stale.state is Freshness.STALE
    assert stale.age_s == 25.5
    assert stale.error is None


def test_failure_after_success_is_failing_and_keeps_the_age_of_the_good_data() -> None:
    failing = record(
        last_success_at=at(0), last_attempt_at=at(40), last_error=FAILURE, consecutive_failures=1
    )
    status = compute_status(failing, at(41))
    assert status.state is Freshness.FAILING
    assert status.error == FAILURE
    assert status.fetched_at == at(0)
    assert status.age_s == 41.0


def test_failure_before_any_success_is_failing_without_age() -> None:
    status = compute_status(record(last_attempt_at=at(0), last_error=FAILURE), at(3))
    assert status.state is Freshness.FAILING
    assert status.age_s is None
    assert status.fetched_at is None


def test_failing_wins_over_stale() -> None:
    failing = record(last_success_at=at(0), last_attempt_at=at(500), last_error=FAILURE)
    assert compute_status(failing, at(1000)).state is Freshness.FAILING


def test_age_is_never_negative() -> None:
    status = compute_status(record(last_success_at=at(10), last_attempt_at=at(10)), at(9))
    assert status.age_s == 0.0


def test_schedule_rate_limit_and_counters_pass_through() -> None:
    budget = RateLimit(remaining=0, limit=5000, reset_at=at(600))
    status = compute_status(
        record(
            last_success_at=at(0),
            last_attempt_at=at(0),
            next_poll_at=at(600),
            rate_limit=budget,
            requests=12,
            not_modified=9,
        ),
        at(1),
    )
    assert status.next_poll_at == at(600)
    assert status.rate_limit == budget
    assert (status.requests, status.not_modified) == (12, 9)
    assert status.to_json()["rate_limit"] == {
        "remaining": 0,
        "limit": 5000,
        "reset_at": "2026-11-23T10:10:00Z",
    }
