"""The benchmark's statistics: medians over runs, ratios against the baseline, growth slopes."""

from __future__ import annotations

import math

import pytest

from bench.stats import (
    Summary,
    format_ratio,
    format_summary,
    format_value,
    ratio,
    second_half,
    slope_per_minute,
)


def test_summary_is_median_min_max_of_the_runs_that_produced_a_value() -> None:
    summary = Summary.of([1.4, None, 1.0, 2.0, math.nan])
    assert (summary.median, summary.low, summary.high) == (1.4, 1.0, 2.0)
    assert (summary.runs, summary.failed) == (5, 2)


def test_summary_of_an_even_number_of_runs_averages_the_middle_two() -> None:
    assert Summary.of([1.0, 2.0, 3.0, 10.0]).median == 2.5


def test_summary_of_only_failed_runs_has_no_median() -> None:
    summary = Summary.of([None, None])
    assert summary.median is None
    assert format_summary(summary, "s") == "- (2 of 2 failed)"


def test_format_summary_shows_the_range_only_for_several_runs() -> None:
    assert format_summary(Summary.of([1.234]), "s") == "1.23 s"
    assert format_summary(Summary.of([1.0, 1.5, 2.25]), "s") == "1.50 s [1.00-2.25]"
    assert format_summary(Summary.of([0.0, 0.0]), "B/s", 1) == "0 B/s [0.0-0.0]"
    assert format_summary(Summary.of([3.0, None]), "s") == "3.00 s (1 failed)"


@pytest.mark.parametrize(
    ("value", "baseline", "text", "number"),
    [
        (3.0, 1.5, "2.00x", 2.0),
        (0.5, 2.0, "0.25x", 0.25),
        (0.0, 0.0, "= (both 0)", None),
        (12.0, 0.0, "n/a (baseline 0)", None),
        (None, 1.0, "n/a", None),
        (1.0, None, "n/a", None),
    ],
)
def test_ratio_and_its_formatting(
    value: float | None, baseline: float | None, text: str, number: float | None
) -> None:
    assert format_ratio(value, baseline) == text
    assert ratio(value, baseline) == number


def test_format_value() -> None:
    assert format_value(None, "MB") == "-"
    assert format_value(0, "B/s") == "0 B/s"
    assert format_value(81.26, "MB", 1) == "81.3 MB"


def test_slope_of_a_steady_rise_is_per_minute() -> None:
    samples = [(float(t), 80.0 + 0.05 * t) for t in range(0, 61)]  # +0.05 MB/s
    slope = slope_per_minute(samples)
    assert slope == pytest.approx(3.0)


def test_slope_of_a_flat_series_is_zero_and_needs_three_samples() -> None:
    assert slope_per_minute([(0.0, 5.0), (1.0, 5.0), (2.0, 5.0)]) == pytest.approx(0.0)
    assert slope_per_minute([(0.0, 5.0), (1.0, 6.0)]) is None
    assert slope_per_minute([(1.0, 5.0), (1.0, 6.0), (1.0, 7.0)]) is None


def test_second_half_keeps_samples_from_the_middle_of_the_span_on() -> None:
    samples = [(float(t), float(t)) for t in range(11)]
    assert [t for t, _ in second_half(samples)] == [5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert second_half([]) == []
