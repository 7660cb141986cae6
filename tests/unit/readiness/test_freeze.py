"""Freeze calendars: explicit ranges, RRULEs across DST, deny wins, located load errors."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cockpit.config.models import FreezeWindowGate
from cockpit.models.readiness import GateVerdict
from cockpit.readiness import CalendarError, calendar_state, freeze_result, load_calendar
from cockpit.readiness.freeze import freeze_gate_result

ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "freeze.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


BLACK_FRIDAY = """
timezone: Europe/Berlin
windows:
  - name: Black Friday
    start: 2026-11-26 00:00
    end: 2026-11-30 08:00
"""

WEEKEND = """
windows:
  - name: Weekend
    timezone: Europe/Berlin
    start: 2026-10-02 16:00
    rrule: RRULE:FREQ=WEEKLY;BYDAY=FR
    duration: 64h
"""


def test_explicit_range_freezes_with_the_wording(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, BLACK_FRIDAY))
    state = calendar_state(calendar, utc(2026, 11, 27, 9))
    assert state.frozen
    assert state.reason == "frozen: Black Friday, until Mon 08:00 Europe/Berlin"
    assert state.changes_at == utc(2026, 11, 30, 7)  # 08:00 CET is 07:00 UTC


def test_range_end_is_exclusive_and_before_start_is_open(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, BLACK_FRIDAY))
    after = calendar_state(calendar, utc(2026, 11, 30, 7))
    assert not after.frozen
    before = calendar_state(calendar, utc(2026, 11, 23, 10))
    assert not before.frozen
    assert before.reason == "not frozen; next freeze: Black Friday from Thu 00:00 Europe/Berlin"


def test_far_away_ends_name_the_date(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, BLACK_FRIDAY))
    state = calendar_state(calendar, utc(2026, 11, 1, 12))
    assert (
        state.reason == "not frozen; next freeze: Black Friday from Thu 26 Nov 00:00 Europe/Berlin"
    )


def test_weekly_rrule_keeps_local_hours_across_the_autumn_dst_change(tmp_path: Path) -> None:
    calendar = load_calendar(write(tmp_path, WEEKEND))
    # Fri 23 Oct 2026 16:00 CEST (14:00 UTC) + 64h wall time = Mon 26 Oct 08:00 CET (07:00 UTC);
    # 64 elapsed hours would have ended at 07:00 CET (06:00 UTC).
    assert not calendar_state(calendar, utc(2026, 10, 23, 13, 59)).frozen
    assert calendar_state(calendar, utc(2026, 10, 23, 14, 0)).frozen
    monday = calendar_state(calendar, utc(2026, 10, 26, 6, 30))
    assert monday.frozen
    assert monday.reason == "frozen: Weekend, until Mon 08:00 Europe/Berlin"
    assert not calendar_state(calendar, utc(2026, 10, 26, 7, 0)).frozen
    # After the change the Friday start is 16:00 CET = 15:00 UTC.
    assert not calendar_state(calendar, utc(2026, 10, 30, 14, 30)).frozen
    assert calendar_state(calendar, utc(2026, 10, 30, 15, 0)).frozen


def test_weekly_rrule_across_the_spring_dst_change(tmp_path: Path) -> None:
    text = WEEKEND.replace("2026-10-02", "2026-03-06")
    calendar = load_calendar(write(tmp_path, text))
    assert calendar_state(calendar, utc(2026, 3, 27, 15, 0)).frozen  # 16:00 CET
    assert not calendar_state(calendar, utc(2026, 4, 3, 13, 59)).frozen
    assert calendar_state(calendar, utc(2026, 4, 3, 14, 0)).frozen  # 16:00 CEST


def test_deny_wins_over_allow(tmp_path: Path) -> None:
    text = """
    timezone: Europe/Berlin
    windows:
      - name: Office hours
        kind: allow
        start: 2026-11-02 09:00
        rrule: FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR
        duration: PT8H
      - name: Black Friday
        kind: deny
        start: 2026-11-26 00:00
        end: 2026-11-30 08:00
    """
    calendar = load_calendar(write(tmp_path, text))
    inside_both = calendar_state(calendar, utc(2026, 11, 27, 10))  # Fri 11:00, office hours
    assert inside_both.frozen
    assert inside_both.reason == "frozen: Black Friday, until Mon 08:00 Europe/Berlin"
    open_state = calendar_state(calendar, utc(2026, 11, 24, 10))  # Tue 11:00
    assert not open_state.frozen
    assert open_state.reason.startswith("not frozen; Office hours open until Tue 17:00")
    night = calendar_state(calendar, utc(2026, 11, 24, 20))  # Tue 21:00
    assert night.frozen
    assert night.reason == "frozen: outside every allow window, next opens Wed 09:00 Europe/Berlin"


def test_back_to_back_deny_windows_report_one_freeze(tmp_path: Path) -> None:
    text = BLACK_FRIDAY + (
        "  - name: Cyber week\n    start: 2026-11-30 08:00\n    end: 2026-12-02 18:00\n"
    )
    calendar = load_calendar(write(tmp_path, text))
    state = calendar_state(calendar, utc(2026, 11, 28, 12))
    assert state.reason == "frozen: Black Friday, then Cyber week, until Wed 18:00 Europe/Berlin"


def test_unknown_time_zone_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, BLACK_FRIDAY.replace("timezone: Europe/Berlin", "timezone: Europe/Berln")
    )
    with pytest.raises(CalendarError) as caught:
        load_calendar(path)
    (problem,) = caught.value.located
    assert (problem.line, problem.col, problem.key_path) == (1, 11, "timezone")
    assert problem.message == "unknown time zone 'Europe/Berln'"
    assert str(problem).startswith(f"{path}:1:11: timezone: unknown time zone")


def test_invalid_rrule_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, WEEKEND.replace("BYDAY=FR", "BYDAY=FRI"))
    with pytest.raises(CalendarError) as caught:
        load_calendar(path)
    (problem,) = caught.value.located
    assert (problem.line, problem.key_path) == (5, "windows.0.rrule")
    assert problem.message.startswith("invalid RRULE 'FREQ=WEEKLY;BYDAY=FRI'")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """
    windows:
      - name: A
        timezone: Mars/Olympus
        start: 2026-11-26 00:00
        end: 2026-11-27 00:00
      - name: B
        timezone: UTC
        start: 2026-11-26 00:00
        rrule: FREQ=SOMETIMES
        duration: 1h
        colour: red
    """
    with pytest.raises(CalendarError) as caught:
        load_calendar(write(tmp_path, text))
    where = [(p.line, p.key_path) for p in caught.value.located]
    assert where == [(3, "windows.0.timezone"), (9, "windows.1.rrule"), (11, "windows.1.colour")]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("start: 2026-11-26 00:00\n    end: 2026-11-25 00:00", "`end` must be after `start`"),
        ("start: 2026-11-26 00:00", "give either `end` (a range) or `rrule` with `duration`"),
        ("start: yesterday\n    end: 2026-11-25 00:00", "'yesterday' is not a date and time"),
        (
            "start: 2026-11-26 00:00\n    rrule: FREQ=DAILY\n    duration: soon",
            "'soon' is not a positive duration",
        ),
    ],
)
def test_window_shape_errors(tmp_path: Path, entry: str, message: str) -> None:
    text = f"timezone: UTC\nwindows:\n  - name: W\n    {entry}\n"
    with pytest.raises(CalendarError) as caught:
        load_calendar(write(tmp_path, text))
    assert message in [p.message for p in caught.value.located]


def test_a_missing_file_is_a_calendar_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="freeze calendar"):
        load_calendar(tmp_path / "nope.yaml")


def test_gate_results_fail_when_frozen_pass_otherwise(tmp_path: Path) -> None:
    gate = FreezeWindowGate(kind="freeze_window", calendar=str(write(tmp_path, BLACK_FRIDAY)))
    calendar = load_calendar(gate.calendar)
    frozen = freeze_result(gate, calendar, utc(2026, 11, 27, 9))
    assert frozen.verdict is GateVerdict.FAIL
    assert frozen.reason == "frozen: Black Friday, until Mon 08:00 Europe/Berlin"
    assert frozen.evidence["active"][0]["name"] == "Black Friday"
    free = freeze_result(gate, calendar, utc(2026, 11, 23, 10))
    assert free.verdict is GateVerdict.PASS
    assert free.evidence["next_freeze"]["name"] == "Black Friday"


def test_a_broken_calendar_makes_the_gate_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, BLACK_FRIDAY.replace("Europe/Berlin", "Nowhere/City"))
    gate = FreezeWindowGate(kind="freeze_window", calendar="freeze.yaml")
    result = freeze_gate_result(gate, tmp_path, utc(2026, 11, 27, 9))
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == f"freeze calendar: {path}:1:11: timezone: unknown time zone " + (
        "'Nowhere/City' (use an IANA zone name such as Europe/Berlin or UTC)"
    )


def test_the_sample_calendar_loads_and_freezes_black_friday() -> None:
    calendar = load_calendar(ROOT / "config" / "freeze.yaml")
    state = calendar_state(calendar, utc(2026, 11, 27, 12))
    assert state.reason == "frozen: Black Friday, until Mon 08:00 Europe/Berlin"
    weekend = calendar_state(calendar, utc(2026, 3, 7, 12))
    assert weekend.reason == "frozen: Weekend freeze, until Mon 08:00 Europe/Berlin"
