"""Checks of files and expressions the config points at: Alertmanager matchers, freeze
calendar files, and the user's triage rule file.

They run in `cockpit validate` and whenever a config loads, so `cockpit check` and the TUI never
start with a gate that can never be decided. A calendar's own problems are reported in the
calendar file, at their line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cockpit.config.models import AlertsQuietGate, FreezeWindowGate, Gate
from cockpit.config.problems import Problem

Locate = Callable[[tuple[str | int, ...]], tuple[int, int]]


def gate_reference_problems(
    gates: list[tuple[int, Gate]], filename: str, locate: Locate, base_dir: Path | None = None
) -> list[Problem]:
    """Every problem in the matchers and calendars the given (index, gate) pairs refer to."""
    from cockpit.readiness.freeze import CalendarError, load_calendar, resolve_calendar_path
    from cockpit.sources.alerts.matchers import parse_matcher

    problems: list[Problem] = []
    for index, gate in gates:
        if isinstance(gate, AlertsQuietGate):
            for j, text in enumerate(gate.matchers):
                try:
                    parse_matcher(text)
                except ValueError as exc:
                    path = ("gates", index, "matchers", j)
                    line, col = locate(path)
                    hint = 'Alertmanager syntax: name="value", name!="v", name=~"re", name!~"re"'
                    problems.append(Problem(filename, line, col, _dotted(path), str(exc), hint))
        if isinstance(gate, FreezeWindowGate):
            calendar = resolve_calendar_path(gate.calendar, base_dir or Path.cwd())
            key: tuple[str | int, ...] = ("gates", index, "calendar")
            if not calendar.is_file():
                line, col = locate(key)
                message = f"freeze calendar {calendar} does not exist"
                hint = "paths are relative to the directory the cockpit runs in"
                problems.append(Problem(filename, line, col, _dotted(key), message, hint))
                continue
            try:
                load_calendar(calendar)
            except CalendarError as exc:
                problems.extend(exc.located)
    return problems


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in path)


def triage_rules_problems(path: str | None, filename: str, locate: Locate) -> list[Problem]:
    """A problem at `triage.rules` when the user's rule file is missing or invalid."""
    if path is None:
        return []
    from cockpit.errors import ConfigError
    from cockpit.triage import load_ruleset

    try:
        load_ruleset(path)
    except ConfigError as exc:
        key: tuple[str | int, ...] = ("triage", "rules")
        line, col = locate(key)
        detail = "; ".join(exc.problems[:3]) or exc.message
        message = f"the triage rule file {path} cannot be used"
        return [Problem(filename, line, col, _dotted(key), message, detail)]
    return []
