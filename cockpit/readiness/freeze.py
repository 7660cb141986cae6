"""The `freeze_window` gate: are we inside a change freeze?

The calendar file (YAML, named by the gate's `calendar`):

```yaml
timezone: Europe/Berlin            # default zone of every window below (optional)
windows:
  - name: Black Friday             # required; the reason names it
    kind: deny                     # deny (default): a change freeze; allow: a release window
    start: 2026-11-26 00:00        # local wall time in the window's zone (an explicit offset
    end: 2026-11-30 08:00          #   such as +01:00 is honoured); the range is [start, end)
  - name: Weekend
    timezone: Europe/Berlin        # IANA name; overrides the top-level one
    start: 2026-01-02 16:00        # DTSTART of the recurrence
    rrule: FREQ=WEEKLY;BYDAY=FR    # one RFC 5545 RRULE (the `RRULE:` prefix is optional;
                                   #   UNTIL must then be UTC, e.g. 20271231T000000Z)
    duration: 64h                  # each occurrence's length: 64h, 2d16h or PT64H / P2DT16H
    note: no deploys over the weekend   # optional, shown in the evidence
```

A window has either `end` or `rrule` + `duration`. Times and durations are local wall time, so a
weekly window stays at the same local hours across daylight-saving changes.

The rules, in order:
1. Inside any deny window: frozen ("frozen: Black Friday, until Mon 08:00 Europe/Berlin"). Deny
   wins over allow. Deny windows that follow each other without a gap are reported as one
   freeze, until the last one ends ("frozen: Weekend, then Black Friday, until ...").
2. When the calendar has allow windows and none is open: frozen ("frozen: outside every allow
   window, next opens Tue 09:00 Europe/Berlin").
3. Otherwise not frozen; the reason names the next freeze when one is scheduled.

Unknown time zones and invalid RRULEs are load errors with their line (`CalendarError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cockpit.config.models import FreezeWindowGate
from cockpit.config.problems import Problem
from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.readiness.common import result, unknown, when
from cockpit.readiness.freeze_windows import Calendar, FreezeWindow, Occurrence, WindowKind
from cockpit.readiness.freeze_yaml import CalendarError, parse_calendar

# Consecutive deny windows followed when saying when a freeze ends.
_MAX_CHAIN = 50

__all__ = [
    "Calendar",
    "CalendarError",
    "FreezeState",
    "FreezeWindow",
    "WindowKind",
    "calendar_state",
    "freeze_gate_result",
    "freeze_result",
    "load_calendar",
    "resolve_calendar_path",
]


def load_calendar(path: str | Path) -> Calendar:
    """Read and parse a freeze calendar.

    Raises:
        CalendarError: The file cannot be read, or has problems (each with its line).
    """
    file = str(path)
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problem = Problem(file, 1, 1, "", f"cannot read the calendar: {why}")
        raise CalendarError(file, [problem]) from None
    return parse_calendar(text, file)


def resolve_calendar_path(calendar: str, base_dir: Path | None) -> Path:
    """The gate's `calendar` path; a relative one is relative to `base_dir` (default: cwd)."""
    path = Path(calendar).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path


@dataclass(frozen=True, slots=True)
class FreezeState:
    """Whether releasing is frozen at a moment, why, and until when.

    Attributes:
        frozen: True inside a freeze.
        reason: One line, as the gate shows it.
        active: The windows open at the moment (deny and allow).
        changes_at: When the state may next change (None: not scheduled).
    """

    frozen: bool
    reason: str
    active: tuple[Occurrence, ...] = ()
    changes_at: datetime | None = None


def _freeze_end(calendar: Calendar, first: Occurrence) -> tuple[list[Occurrence], datetime]:
    """The chain of deny windows that begins with `first`, and when the last one ends."""
    chain = [first]
    end = first.end
    for _ in range(_MAX_CHAIN):
        following = calendar.active(WindowKind.DENY, end)
        if not following or following[0].end <= end:
            break
        chain.append(following[0])
        end = following[0].end
    return chain, end


def calendar_state(calendar: Calendar, now: datetime) -> FreezeState:
    """The freeze state at `now` (see the module docstring for the rules)."""
    denies = calendar.active(WindowKind.DENY, now)
    allows = calendar.active(WindowKind.ALLOW, now)
    active = tuple(denies + allows)
    if denies:
        chain, end = _freeze_end(calendar, denies[0])
        names = ", then ".join(dict.fromkeys(o.window.name for o in chain))
        reason = f"frozen: {names}, until {when(end, chain[-1].window.zone, now)}"
        return FreezeState(True, reason, active, end)
    next_deny = calendar.upcoming(WindowKind.DENY, now)
    if calendar.of_kind(WindowKind.ALLOW) and not allows:
        opens = calendar.upcoming(WindowKind.ALLOW, now)
        if opens is None:
            return FreezeState(
                True, "frozen: outside every allow window, none is scheduled", active
            )
        opening = when(opens.start, opens.window.zone, now)
        reason = f"frozen: outside every allow window, next opens {opening}"
        return FreezeState(True, reason, active, opens.start)
    parts = ["not frozen"]
    changes = [o.end for o in allows[:1]]
    if allows:
        window = allows[0]
        parts.append(f"{window.window.name} open until {when(window.end, window.window.zone, now)}")
    if next_deny is not None:
        zone = next_deny.window.zone
        parts.append(
            f"next freeze: {next_deny.window.name} from {when(next_deny.start, zone, now)}"
        )
        changes.append(next_deny.start)
    return FreezeState(False, "; ".join(parts), active, min(changes, default=None))


def freeze_result(gate: FreezeWindowGate, calendar: Calendar, now: datetime) -> GateResult:
    """The gate's verdict from a loaded calendar at `now` (pure)."""
    state = calendar_state(calendar, now)
    upcoming = calendar.upcoming(WindowKind.DENY, now)
    evidence: dict[str, Any] = {
        "calendar": calendar.path,
        "at": now.isoformat(),
        "active": [o.to_json() for o in state.active],
        "changes_at": None if state.changes_at is None else state.changes_at.isoformat(),
        "next_freeze": None if upcoming is None else upcoming.to_json(),
    }
    verdict = GateVerdict.FAIL if state.frozen else GateVerdict.PASS
    return result(gate, verdict, state.reason, evidence, fetched_at=now)


def freeze_gate_result(gate: FreezeWindowGate, base_dir: Path | None, now: datetime) -> GateResult:
    """Load the gate's calendar and evaluate it; a broken calendar is unknown with its problem."""
    path = resolve_calendar_path(gate.calendar, base_dir)
    try:
        calendar = load_calendar(path)
    except CalendarError as exc:
        evidence = {"calendar": str(path), "problems": list(exc.problems)}
        first = exc.located[0] if exc.located else None
        reason = f"freeze calendar: {first}" if first else f"freeze calendar: {exc.message}"
        return unknown(gate, reason, evidence, fetched_at=now)
    return freeze_result(gate, calendar, now)
