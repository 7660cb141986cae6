"""Every status has a glyph and a word, reads without colour; unknown never looks like success."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cockpit.errors import ErrorKind
from cockpit.models import Freshness, RunStatus, SourceFailure, SourceStatus
from cockpit.present.status import (
    RUN_BADGES,
    freshness_badge,
    legend,
    run_badge,
    worst_freshness,
)
from cockpit.present.tone import ANSI_PALETTE, NO_PALETTE, Tone

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "label", "tone"),
    [
        (RunStatus.SUCCESS, "✔ success", Tone.SUCCESS),
        (RunStatus.FAILURE, "✖ failure", Tone.ERROR),
        (RunStatus.RUNNING, "● running", Tone.ACCENT),
        (RunStatus.QUEUED, "◌ queued", Tone.MUTED),
        (RunStatus.CANCELLED, "⊘ cancelled", Tone.MUTED),
        (RunStatus.UNKNOWN, "? unknown", Tone.PLAIN),
    ],
)
def test_run_badges(status: RunStatus, label: str, tone: Tone) -> None:
    badge = run_badge(status)
    assert badge.label == label
    assert badge.tone is tone
    assert badge.text(NO_PALETTE).plain == label


def test_every_run_status_has_a_distinct_glyph_and_word() -> None:
    assert set(RUN_BADGES) == set(RunStatus)
    assert len({b.glyph for b in RUN_BADGES.values()}) == len(RunStatus)
    assert len({b.word for b in RUN_BADGES.values()}) == len(RunStatus)


def test_unknown_never_looks_like_success() -> None:
    unknown, success = run_badge(RunStatus.UNKNOWN), run_badge(RunStatus.SUCCESS)
    assert unknown.glyph != success.glyph
    assert unknown.tone is not Tone.SUCCESS
    never = freshness_badge(SourceStatus("gh", "github", Freshness.UNKNOWN), NOW)
    assert never.tone is not Tone.SUCCESS
    assert never.text(ANSI_PALETTE).style != ANSI_PALETTE[Tone.SUCCESS]


def _status(
    state: Freshness, age: float | None, error: SourceFailure | None = None
) -> SourceStatus:
    fetched = None if age is None else NOW - timedelta(seconds=age)
    return SourceStatus("gh", "github", state, fetched_at=fetched, age_s=age, error=error)


@pytest.mark.parametrize(
    ("status", "label", "tone"),
    [
        (_status(Freshness.FRESH, 12), "✓ fresh <1m", Tone.SUCCESS),
        (_status(Freshness.STALE, 185), "! STALE 3m", Tone.WARNING),
        (
            _status(
                Freshness.FAILING, 185, error=SourceFailure(ErrorKind.AUTH, "401 Bad credentials")
            ),
            "✖ FAILING: auth",
            Tone.ERROR,
        ),
        (_status(Freshness.UNKNOWN, None), "? unknown: no data yet", Tone.PLAIN),
    ],
)
def test_freshness_badges(status: SourceStatus, label: str, tone: Tone) -> None:
    badge = freshness_badge(status, NOW)
    assert badge.label == label
    assert badge.tone is tone


def test_freshness_age_is_measured_from_fetched_at_at_now() -> None:
    """Ages re-render without a new snapshot: the age is `now - fetched_at`, not `age_s`."""
    status = _status(Freshness.FRESH, 12)
    later = NOW + timedelta(seconds=60)
    assert freshness_badge(status, later).label == "✓ fresh 1m"


def test_freshness_falls_back_to_age_s_without_fetched_at() -> None:
    status = SourceStatus("gh", "github", Freshness.STALE, age_s=600)
    assert freshness_badge(status, NOW).label == "! STALE 10m"


def test_worst_freshness_order() -> None:
    f = Freshness
    assert worst_freshness([f.FRESH, f.STALE, f.FAILING, f.UNKNOWN]) is f.FAILING
    assert worst_freshness([f.FRESH, f.STALE, f.UNKNOWN]) is f.STALE
    assert worst_freshness([f.FRESH, f.UNKNOWN]) is f.UNKNOWN
    assert worst_freshness([f.FRESH, f.FRESH]) is f.FRESH
    assert worst_freshness([]) is f.UNKNOWN


def test_legend_covers_every_glyph() -> None:
    glyphs = {badge.glyph for badge, _ in legend()}
    assert {b.glyph for b in RUN_BADGES.values()} <= glyphs
    assert {"✓", "!", "✖", "?"} <= glyphs
    assert all(meaning for _, meaning in legend())
