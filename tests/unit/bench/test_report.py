"""The results table: verdicts against targets, grouping and the one-line summary."""

from __future__ import annotations

from bench.report import FAILED, MISS, PASS, Row, render, summary_line, verdict


def test_verdict_against_an_upper_and_a_lower_bound() -> None:
    assert verdict(1.5, 1.5) == PASS
    assert verdict(1.51, 1.5) == MISS
    assert verdict(0.0, 0.0) == PASS
    assert verdict(3.0, 2.0, at_most=False) == PASS
    assert verdict(None, 2.0) == FAILED


def test_render_groups_rows_by_section_and_puts_notes_under_their_row() -> None:
    rows = [
        Row("TUI", "first paint 80x24", "1.20 s", "0.40 s", "3.00x", "<= 1.5x", MISS, "why"),
        Row("TUI", "idle output", "0 B/s", target="0 B/s", verdict=PASS),
        Row("engine", "cycle", "1.0 s"),
    ]
    lines = render(rows).splitlines()
    assert lines[0].split() == ["figure", "cockpit", "minimal", "app", "ratio", "target", "verdict"]
    assert lines[2] == "[TUI]"
    assert lines[3].startswith("first paint 80x24") and lines[3].endswith("MISS")
    assert lines[4].strip() == "why"
    assert lines[6] == "[engine]"
    # Columns line up: every verdict starts in the same column.
    assert lines[3].index("MISS") == lines[5].index("PASS")


def test_summary_names_what_missed_and_what_was_not_measured() -> None:
    rows = [
        Row("a", "x", "1", verdict=PASS),
        Row("a", "y", "2", verdict=MISS),
        Row("a", "z", "-", verdict=FAILED),
        Row("a", "info", "3"),
    ]
    assert summary_line(rows) == "targets: 1 pass, 1 miss (y), 1 not measured (z)"
