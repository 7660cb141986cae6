"""Parse a freeze calendar file (format: see `cockpit.readiness.freeze`), with located problems.

Every problem is reported at once, each with `file:line:col`, like the config loader does.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from cockpit.config.durations import parse_duration
from cockpit.config.problems import Problem
from cockpit.errors import ConfigError
from cockpit.readiness.freeze_windows import Calendar, FreezeWindow, Recurrence, WindowKind

_TOP_KEYS = ("timezone", "windows")
_WINDOW_KEYS = ("name", "kind", "timezone", "start", "end", "rrule", "duration", "note")
_ISO_DURATION = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?"
)
_FREQ = re.compile(r"(?:^|;)\s*FREQ\s*=\s*(\w+)", re.IGNORECASE)
# Occurrences this fine would make a freeze calendar unreadable and slow to evaluate.
_TOO_FINE = ("MINUTELY", "SECONDLY")
_TZ_HINT = "use an IANA zone name such as Europe/Berlin or UTC"


class CalendarError(ConfigError):
    """A freeze calendar could not be loaded; `located` holds every problem with its position."""

    title = "Freeze calendar error"

    def __init__(self, path: str, located: list[Problem]) -> None:
        noun = "problem" if len(located) == 1 else "problems"
        super().__init__(
            f"freeze calendar {path}: {len(located)} {noun}", [str(p) for p in located]
        )
        self.located = tuple(located)


class _Parser:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[Problem] = []
        # A top-level zone was written (even if invalid): windows then do not need their own.
        self.top_zone_written = False

    def problem(self, node: yaml.Node, key_path: str, message: str, hint: str = "") -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.file, mark.line + 1, mark.column + 1, key_path, message, hint)
        )

    def value(self, node: yaml.Node) -> Any:
        return self.loader.construct_object(node, deep=True)

    def pairs(
        self, node: yaml.Node, key_path: str, allowed: tuple[str, ...]
    ) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, key_path, "expected a mapping (key: value lines)")
            return None
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            where = f"{key_path}.{key}" if key_path else key
            if key not in allowed:
                self.problem(
                    key_node, where, f"unknown key `{key}`", f"expected {', '.join(allowed)}"
                )
                continue
            found[key] = value_node
        return found

    def zone(self, node: yaml.Node, key_path: str) -> ZoneInfo | None:
        text = self.value(node)
        if not isinstance(text, str) or not text.strip():
            self.problem(node, key_path, "expected a time zone name", _TZ_HINT)
            return None
        try:
            return ZoneInfo(text.strip())
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(node, key_path, f"unknown time zone {text.strip()!r}", _TZ_HINT)
            return None

    def moment(self, node: yaml.Node, key_path: str, zone: ZoneInfo) -> datetime | None:
        raw = self.value(node)
        parsed: datetime | None = None
        if isinstance(raw, datetime):
            parsed = raw
        elif isinstance(raw, date):
            parsed = datetime(raw.year, raw.month, raw.day)
        elif isinstance(raw, str):
            try:
                parsed = datetime.fromisoformat(raw.strip())
            except ValueError:
                parsed = None
        if parsed is None:
            self.problem(
                node, key_path, f"{raw!r} is not a date and time", "write 2026-11-27 08:00"
            )
            return None
        # A written offset is honoured; otherwise the time is local wall time in the zone.
        return parsed.astimezone(zone) if parsed.tzinfo else parsed.replace(tzinfo=zone)

    def duration(self, node: yaml.Node, key_path: str) -> timedelta | None:
        raw = self.value(node)
        span: timedelta | None = None
        if isinstance(raw, str):
            match = _ISO_DURATION.fullmatch(raw.strip().upper())
            if match is not None and raw.strip().upper() not in ("P", "PT"):
                parts = {k: int(v) for k, v in match.groupdict().items() if v}
                span = timedelta(
                    weeks=parts.get("w", 0),
                    days=parts.get("d", 0),
                    hours=parts.get("h", 0),
                    minutes=parts.get("m", 0),
                    seconds=parts.get("s", 0),
                )
            else:
                try:
                    span = timedelta(seconds=parse_duration(raw))
                except ValueError:
                    span = None
        if span is None or span <= timedelta(0):
            self.problem(
                node, key_path, f"{raw!r} is not a positive duration", "write 64h, 2d16h or PT64H"
            )
            return None
        return span

    def rule(
        self, node: yaml.Node, key_path: str, start: datetime
    ) -> tuple[Recurrence, str] | None:
        from dateutil.rrule import rrulestr

        raw = self.value(node)
        text = raw.strip() if isinstance(raw, str) else ""
        if text.upper().startswith("RRULE:"):
            text = text[len("RRULE:") :].strip()
        if not text or "\n" in text or "DTSTART" in text.upper():
            self.problem(
                node,
                key_path,
                "expected one RRULE line such as FREQ=WEEKLY;BYDAY=FR",
                "the first occurrence goes in `start`, its length in `duration`",
            )
            return None
        freq = _FREQ.search(text)
        if freq is not None and freq.group(1).upper() in _TOO_FINE:
            self.problem(node, key_path, f"invalid RRULE: FREQ={freq.group(1)} is too fine", "")
            return None
        try:
            recurrence: Recurrence = rrulestr(text, dtstart=start)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            self.problem(node, key_path, f"invalid RRULE {text!r}: {exc}", "see RFC 5545 3.3.10")
            return None
        return recurrence, text

    def window(
        self, node: yaml.Node, index: int, default_zone: ZoneInfo | None
    ) -> FreezeWindow | None:
        path = f"windows.{index}"
        keys = self.pairs(node, path, _WINDOW_KEYS)
        if keys is None:
            return None
        before = len(self.problems)
        name = self.value(keys["name"]) if "name" in keys else None
        if not isinstance(name, str) or not name.strip():
            self.problem(keys.get("name", node), f"{path}.name", "every window needs a `name`")
        kind_text = self.value(keys["kind"]) if "kind" in keys else "deny"
        if kind_text not in ("deny", "allow"):
            where = keys.get("kind", node)
            self.problem(where, f"{path}.kind", f"kind {kind_text!r} is not deny or allow")
        zone = (
            self.zone(keys["timezone"], f"{path}.timezone") if "timezone" in keys else default_zone
        )
        if zone is None and "timezone" not in keys and not self.top_zone_written:
            self.problem(
                node, path, "no time zone", "give `timezone` here or at the top of the file"
            )
        if "start" not in keys:
            self.problem(node, path, "every window needs a `start`")
        has_end, has_rule = "end" in keys, "rrule" in keys
        if has_end == has_rule:
            self.problem(node, path, "give either `end` (a range) or `rrule` with `duration`")
        if has_end and "duration" in keys:
            self.problem(
                keys["duration"], f"{path}.duration", "`duration` goes with `rrule`, not `end`"
            )
        if has_rule and "duration" not in keys:
            self.problem(keys["rrule"], f"{path}.rrule", "a recurring window needs a `duration`")
        if zone is None or "start" not in keys:
            return None
        start = self.moment(keys["start"], f"{path}.start", zone)
        if start is None:
            return None
        end = self.moment(keys["end"], f"{path}.end", zone) if has_end else None
        if end is not None and end <= start:
            self.problem(keys["end"], f"{path}.end", "`end` must be after `start`")
        span = self.duration(keys["duration"], f"{path}.duration") if "duration" in keys else None
        parsed_rule = self.rule(keys["rrule"], f"{path}.rrule", start) if has_rule else None
        if len(self.problems) > before:
            return None
        note = self.value(keys["note"]) if "note" in keys else ""
        return FreezeWindow(
            name=str(name).strip(),
            kind=WindowKind(str(kind_text)),
            zone=zone,
            start=start,
            end=end,
            rule=None if parsed_rule is None else parsed_rule[0],
            duration=span,
            rule_text="" if parsed_rule is None else parsed_rule[1],
            line=node.start_mark.line + 1,
            note=str(note or ""),
        )


def parse_calendar(text: str, file: str) -> Calendar:
    """A `Calendar` from the YAML text of `file`.

    Raises:
        CalendarError: with every problem located (unknown time zone, invalid RRULE, ...).
    """
    loader = yaml.SafeLoader(text)
    try:
        parser = _Parser(file, loader)
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise CalendarError(
                file, [Problem(file, line, col, "", f"not valid YAML: {exc.problem}")]
            ) from None
        if root is None:
            raise CalendarError(
                file, [Problem(file, 1, 1, "", "the calendar is empty", "add `windows:`")]
            )
        top = parser.pairs(root, "", _TOP_KEYS)
        windows: list[FreezeWindow] = []
        if top is not None:
            parser.top_zone_written = "timezone" in top
            zone = parser.zone(top["timezone"], "timezone") if "timezone" in top else None
            items = top.get("windows")
            if items is None:
                parser.problem(root, "windows", "no `windows:` list")
            elif not isinstance(items, yaml.SequenceNode):
                parser.problem(items, "windows", "expected a list of windows")
            else:
                for index, item in enumerate(items.value):
                    window = parser.window(item, index, zone)
                    if window is not None:
                        windows.append(window)
        if parser.problems:
            raise CalendarError(file, sorted(parser.problems))
        return Calendar(path=file, windows=tuple(windows))
    finally:
        loader.dispose()
