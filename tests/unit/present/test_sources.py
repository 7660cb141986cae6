"""Source status lines (age, state, error, rate limit) and which sources feed which pane."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cockpit.config.models import Config
from cockpit.errors import ErrorKind
from cockpit.models import Freshness, RateLimit, Snapshot, SourceFailure, SourceStatus
from cockpit.present.sources import (
    log_sources,
    pipeline_sources,
    rate_limit_text,
    readiness_sources,
    rollout_sources,
    source_status_line,
    source_status_text,
    statuses_for,
)
from cockpit.present.tone import NO_PALETTE

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def fresh(name: str, age: float, rate_limit: RateLimit | None = None) -> SourceStatus:
    return SourceStatus(
        name, "github", Freshness.FRESH, NOW - timedelta(seconds=age), age, rate_limit=rate_limit
    )


def failing(name: str, message: str, age: float | None = 185) -> SourceStatus:
    fetched = None if age is None else NOW - timedelta(seconds=age)
    error = SourceFailure(ErrorKind.AUTH, message)
    return SourceStatus(name, "github", Freshness.FAILING, fetched, age, error=error)


def test_fresh_source_with_rate_limit() -> None:
    status = fresh("gh", 12, RateLimit(4812, 5000))
    assert source_status_text(status, NOW, NO_PALETTE).plain == "gh ✓ fresh <1m 4812/5000 left"


def test_healthy_rate_limit_is_left_out_when_compact() -> None:
    status = fresh("gh", 12, RateLimit(4812, 5000))
    assert source_status_text(status, NOW, NO_PALETTE, compact=True).plain == "gh ✓ fresh <1m"
    low = fresh("gh", 12, RateLimit(12, 5000))
    assert source_status_text(low, NOW, NO_PALETTE, compact=True).plain.endswith("12/5000 left")


def test_spent_rate_limit_says_until_when() -> None:
    spent = RateLimit(0, 5000, reset_at=NOW.replace(minute=42))
    assert rate_limit_text(spent, NOW, NO_PALETTE).plain == "rate limited until 10:42"
    passed = RateLimit(0, 5000, reset_at=NOW - timedelta(minutes=1))
    assert rate_limit_text(passed, NOW, NO_PALETTE).plain == "rate limited"


def test_failing_source_shows_kind_message_and_kept_data_age() -> None:
    status = failing("gh", "401 Bad credentials")
    text = source_status_text(status, NOW, NO_PALETTE).plain
    assert text == "gh ✖ FAILING: auth (401 Bad credentials), data 3m old"
    compact = source_status_text(status, NOW, NO_PALETTE, compact=True).plain
    assert compact == "gh ✖ FAILING: auth (401 Bad credentials)"
    never = source_status_text(failing("gh", "401", age=None), NOW, NO_PALETTE).plain
    assert never.endswith(", no data yet")


def test_error_message_is_sanitised_and_cut() -> None:
    status = failing("gh", "\x1b]52;c;cGF5bG9hZA==\x07bad\x1b[2J token " + "x" * 200)
    text = source_status_text(status, NOW, NO_PALETTE).plain
    assert "\x1b" not in text and "\x07" not in text
    assert "(bad token x" in text and "…" in text
    assert len(text) < 120


def test_line_joins_sources_in_config_order() -> None:
    line = source_status_line(
        [fresh("gh", 12), SourceStatus("k8s", "kubernetes", Freshness.UNKNOWN)], NOW, NO_PALETTE
    )
    assert line.plain == "gh ✓ fresh <1m · k8s ? unknown: no data yet"


def test_compact_line_puts_trouble_first_and_groups_the_rest_at_their_oldest_age() -> None:
    statuses = [
        fresh("gh", 5),
        SourceStatus("prom", "prometheus", Freshness.UNKNOWN),
        SourceStatus("jk", "jenkins", Freshness.STALE, NOW - timedelta(seconds=242), 242),
        fresh("gl", 31),
        failing("am", "timeout"),
    ]
    line = source_status_line(statuses, NOW, NO_PALETTE, compact=True).plain
    assert line == (
        "am ✖ FAILING: auth (timeout) · jk ! STALE 4m · prom ? unknown: no data yet"
        " · gh gl ✓ fresh <1m"
    )


def test_empty_line() -> None:
    assert source_status_line([], NOW, NO_PALETTE).plain == "no sources configured"
    assert source_status_line([], NOW, NO_PALETTE, empty="local only").plain == "local only"


def test_sources_missing_from_the_snapshot_are_unknown(config: Config) -> None:
    snapshot = Snapshot(taken_at=NOW, sources=(fresh("gh", 1),))
    found = statuses_for(["gh", "k8s", "nowhere"], snapshot, config)
    assert [(s.name, s.kind, s.state) for s in found] == [
        ("gh", "github", Freshness.FRESH),
        ("k8s", "kubernetes", Freshness.UNKNOWN),
        ("nowhere", "unknown", Freshness.UNKNOWN),
    ]
    assert [s.state for s in statuses_for(["gh"], None, config)] == [Freshness.UNKNOWN]


def test_which_sources_feed_which_pane(config: Config) -> None:
    assert pipeline_sources(config) == ("gh", "gl", "jk")
    assert rollout_sources(config) == ("k8s",)
    assert log_sources(config) == ("loki",)
    assert readiness_sources(config) == ("gh", "registry", "prom", "am")
    assert pipeline_sources(Config()) == ()
