"""Freeze and release windows: explicit ranges and RFC 5545 recurrences, in an IANA time zone.

Recurrences are computed in the window's local wall time (dateutil generates each occurrence
with the zone attached, and zoneinfo gives each date its own UTC offset), so "every Friday 16:00
Europe/Berlin" stays at 16:00 local across daylight-saving changes. A duration is added in wall
time too: Friday 16:00 + 64h always ends Monday 08:00 local, even over a DST weekend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo


class WindowKind(StrEnum):
    """`deny`: a change freeze. `allow`: a release window (if any exist, outside them is frozen)."""

    DENY = "deny"
    ALLOW = "allow"


class Recurrence(Protocol):
    """What we use of a `dateutil.rrule.rrule`."""

    def between(self, after: datetime, before: datetime, inc: bool = ...) -> list[datetime]: ...

    def after(self, dt: datetime, inc: bool = ...) -> datetime | None: ...


def wall_add(moment: datetime, span: timedelta) -> datetime:
    """`moment + span` in local wall time (the result gets its own UTC offset)."""
    return (moment.replace(tzinfo=None) + span).replace(tzinfo=moment.tzinfo)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One concrete interval `[start, end)` of a window."""

    window: FreezeWindow
    start: datetime
    end: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.window.name,
            "kind": self.window.kind.value,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "timezone": self.window.zone.key,
        }


@dataclass(frozen=True, slots=True)
class FreezeWindow:
    """One calendar entry.

    Attributes:
        name: Shown in reasons ("frozen: Black Friday, until ...").
        kind: deny or allow.
        zone: The IANA zone its times are written in.
        start: The range start, or the recurrence's DTSTART (aware, in `zone`).
        end: The range end (explicit ranges only).
        rule: The recurrence (recurring windows only).
        duration: Each occurrence's length in wall time (recurring windows only).
        rule_text: The RRULE as written, for evidence.
        line: The line of the entry in its file.
        note: A free remark for the evidence.
    """

    name: str
    kind: WindowKind
    zone: ZoneInfo
    start: datetime
    end: datetime | None = None
    rule: Recurrence | None = None
    duration: timedelta | None = None
    rule_text: str = ""
    line: int = 0
    note: str = ""

    def active_at(self, moment: datetime) -> Occurrence | None:
        """The occurrence containing `moment` (the one ending last if several overlap)."""
        if self.rule is None or self.duration is None:
            if self.end is not None and self.start <= moment < self.end:
                return Occurrence(self, self.start, self.end)
            return None
        # Wall-time durations can differ from elapsed time by a DST shift: look a day further back.
        since = moment - self.duration - timedelta(days=1)
        best: Occurrence | None = None
        for start in self.rule.between(since, moment, inc=True):
            end = wall_add(start, self.duration)
            if start <= moment < end and (best is None or end > best.end):
                best = Occurrence(self, start, end)
        return best

    def next_after(self, moment: datetime) -> Occurrence | None:
        """The first occurrence starting after `moment`."""
        if self.rule is None or self.duration is None:
            if self.end is not None and self.start > moment:
                return Occurrence(self, self.start, self.end)
            return None
        start = self.rule.after(moment, inc=False)
        return None if start is None else Occurrence(self, start, wall_add(start, self.duration))


@dataclass(frozen=True, slots=True)
class Calendar:
    """A freeze calendar as loaded from its file."""

    path: str
    windows: tuple[FreezeWindow, ...] = ()

    def of_kind(self, kind: WindowKind) -> tuple[FreezeWindow, ...]:
        return tuple(w for w in self.windows if w.kind is kind)

    def active(self, kind: WindowKind, moment: datetime) -> list[Occurrence]:
        """Occurrences of `kind` containing `moment`, longest-running first."""
        found = [o for w in self.of_kind(kind) if (o := w.active_at(moment)) is not None]
        return sorted(found, key=lambda o: o.end, reverse=True)

    def upcoming(self, kind: WindowKind, moment: datetime) -> Occurrence | None:
        """The next occurrence of `kind` starting after `moment`."""
        found = [o for w in self.of_kind(kind) if (o := w.next_after(moment)) is not None]
        return min(found, key=lambda o: o.start, default=None)
