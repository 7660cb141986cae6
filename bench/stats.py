"""Small, pure statistics for the benchmark: summaries over runs, ratios, growth slopes."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    """The median, min and max of several runs' values (None values are failed runs)."""

    median: float | None
    low: float | None
    high: float | None
    runs: int
    failed: int = 0

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Summary:
        good = [v for v in values if v is not None and not math.isnan(v)]
        failed = len(values) - len(good)
        if not good:
            return cls(None, None, None, len(values), failed)
        return cls(statistics.median(good), min(good), max(good), len(values), failed)

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "runs": self.runs,
            "failed": self.failed,
        }


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline, or None when either is unknown or the baseline is zero."""
    if value is None or baseline is None or baseline == 0:
        return None
    return value / baseline


def format_ratio(value: float | None, baseline: float | None) -> str:
    """`2.31x`; `=` when both are zero; `n/a (baseline 0)` when only the baseline is."""
    if value is None or baseline is None:
        return "n/a"
    if baseline == 0:
        return "= (both 0)" if value == 0 else "n/a (baseline 0)"
    return f"{value / baseline:.2f}x"


def format_value(value: float | None, unit: str, digits: int = 2) -> str:
    """`1.53 s`, `0 B/s`, `-` for unknown."""
    if value is None:
        return "-"
    if value == 0:
        return f"0 {unit}".strip()
    return f"{value:.{digits}f} {unit}".strip()


def format_summary(summary: Summary, unit: str, digits: int = 2) -> str:
    """`1.53 s [1.40-1.71]`: median, then [min-max] when there was more than one run."""
    if summary.median is None:
        return f"- ({summary.failed} of {summary.runs} failed)"
    text = format_value(summary.median, unit, digits)
    if summary.runs - summary.failed > 1:
        text += f" [{summary.low:.{digits}f}-{summary.high:.{digits}f}]"
    if summary.failed:
        text += f" ({summary.failed} failed)"
    return text


def slope_per_minute(samples: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, value) samples, per minute; None with < 3 samples."""
    if len(samples) < 3:
        return None
    xs = [t for t, _ in samples]
    ys = [v for _, v in samples]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return covariance / spread * 60.0


def second_half(samples: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The samples from the middle of the time span on (the steady part of a soak)."""
    if not samples:
        return []
    middle = (samples[0][0] + samples[-1][0]) / 2
    return [s for s in samples if s[0] >= middle]
