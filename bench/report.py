"""The results table: one row per figure, with the baseline, the ratio, the target and a verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

PASS, MISS, INFO, FAILED = "PASS", "MISS", "", "FAILED"


@dataclass(frozen=True)
class Row:
    """One figure. `verdict`: PASS, MISS, FAILED (not measured), or "" (no target)."""

    section: str
    figure: str
    cockpit: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = INFO
    note: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def verdict(value: float | None, limit: float, *, at_most: bool = True) -> str:
    """PASS when `value` is within `limit` (<= by default, >= with at_most=False)."""
    if value is None:
        return FAILED
    ok = value <= limit if at_most else value >= limit
    return PASS if ok else MISS


HEADERS = ("figure", "cockpit", "minimal app", "ratio", "target", "verdict")


def render(rows: Sequence[Row]) -> str:
    """A fixed-width text table, grouped by section, notes under their row."""
    cells = [(r.figure, r.cockpit, r.baseline, r.ratio, r.target, r.verdict) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(HEADERS), line(["-" * w for w in widths])]
    section = None
    for row, values in zip(rows, cells, strict=True):
        if row.section != section:
            section = row.section
            out.append(f"[{section}]")
        out.append(line(values))
        if row.note:
            out.append(f"    {row.note}")
    return "\n".join(out)


def summary_line(rows: Sequence[Row]) -> str:
    """`targets: 5 pass, 2 miss (first paint 80x24, ...), 0 not measured`."""
    missed = [r.figure for r in rows if r.verdict == MISS]
    failed = [r.figure for r in rows if r.verdict == FAILED]
    passed = sum(1 for r in rows if r.verdict == PASS)
    text = f"targets: {passed} pass, {len(missed)} miss"
    if missed:
        text += " (" + "; ".join(missed) + ")"
    text += f", {len(failed)} not measured"
    if failed:
        text += " (" + "; ".join(failed) + ")"
    return text
