"""Shared pieces of every gate: titles, result constructors, staleness and time wording."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from cockpit.config.durations import format_duration
from cockpit.config.models import (
    AlertsQuietGate,
    ApprovalsGate,
    ArtifactPresentGate,
    ArtifactSignedGate,
    CiGreenGate,
    Config,
    ErrorBudgetGate,
    FreezeWindowGate,
    Gate,
    TicketLinkedGate,
)
from cockpit.engine.freshness import stale_after_s
from cockpit.models import Freshness, Snapshot
from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.text import sanitize

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Within this many days a weekday alone names a day without ambiguity ("until Mon 08:00").
_WEEKDAY_ONLY_DAYS = 6

# The longest reason shown on one line; evidence keeps the full text.
REASON_MAX = 240


def gate_title(gate: Gate) -> str:
    """The configured title, or one generated from the gate's kind and target."""
    if gate.title:
        return gate.title
    if isinstance(gate, CiGreenGate):
        return f"CI green: {gate.service}"
    if isinstance(gate, ArtifactPresentGate):
        return f"Image present: {gate.service}"
    if isinstance(gate, ArtifactSignedGate):
        return f"Image signed: {gate.service}"
    if isinstance(gate, ApprovalsGate):
        return f"Approvals (min {gate.min}): {gate.service}"
    if isinstance(gate, ErrorBudgetGate):
        return f"Error budget ({gate.source})"
    if isinstance(gate, AlertsQuietGate):
        return f"Alerts quiet ({gate.source})"
    if isinstance(gate, TicketLinkedGate):
        return "Commits reference tickets"
    if isinstance(gate, FreezeWindowGate):
        return "Outside change freeze"
    return gate.kind  # manual and command gates always have a title


def one_line(text: str, limit: int = REASON_MAX) -> str:
    """Remote or multi-line text as one safe display line, shortened with an ellipsis."""
    line = sanitize(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def result(
    gate: Gate,
    verdict: GateVerdict,
    reason: str,
    evidence: dict[str, Any] | None = None,
    *,
    source: str = "",
    fetched_at: datetime | None = None,
    link: str = "",
) -> GateResult:
    """A `GateResult` for `gate` (kind and title filled in)."""
    return GateResult(
        kind=gate.kind,
        title=gate_title(gate),
        verdict=verdict,
        reason=reason,
        evidence=evidence or {},
        source=source,
        fetched_at=fetched_at,
        link=link,
    )


def unknown(
    gate: Gate, reason: str, evidence: dict[str, Any] | None = None, **kw: Any
) -> GateResult:
    """An unknown result: the gate could not be decided (never a pass)."""
    return result(gate, GateVerdict.UNKNOWN, reason, evidence, **kw)


def source_problem(config: Config, snapshot: Snapshot, name: str, now: datetime) -> str:
    """Why data from source `name` cannot be trusted at `now`, or "" when it is fresh.

    A source counts as stale when the engine says so, and also when its last success is older
    than the engine's threshold (`2 x interval + timeout`) at `now`: a snapshot evaluated later
    than it was taken must not pass on old data.
    """
    status = snapshot.source(name)
    if status is None:
        return f"source {name} was not polled"
    if status.state is Freshness.FAILING:
        message = status.error.message if status.error is not None else "unknown error"
        return f"source {name} is failing: {one_line(message)}"
    if status.state is Freshness.UNKNOWN or status.fetched_at is None:
        return f"source {name} has no data yet"
    age = max(0.0, (now - status.fetched_at).total_seconds())
    configured = config.sources.get(name)
    limit = None if configured is None else stale_after_s(configured.interval, configured.timeout)
    if status.state is Freshness.STALE or (limit is not None and age > limit):
        return f"source {name} is stale ({format_duration(age)} old)"
    return ""


def apply_staleness(
    config: Config, snapshot: Snapshot, outcome: GateResult, now: datetime
) -> GateResult:
    """`outcome` turned unknown when its source is not fresh (the old result kept as evidence)."""
    if not outcome.source:
        return outcome
    problem = source_problem(config, snapshot, outcome.source, now)
    if not problem:
        return outcome
    evidence = dict(outcome.evidence)
    evidence["last_result"] = {"verdict": outcome.verdict.value, "reason": outcome.reason}
    return replace(outcome, verdict=GateVerdict.UNKNOWN, reason=problem, evidence=evidence)


def when(moment: datetime, zone: tzinfo, now: datetime) -> str:
    """A moment as a person says it in `zone`: `Mon 08:00 Europe/Berlin`.

    Within six days of `now` the weekday is enough; beyond that the date is added
    (`Mon 30 Nov 08:00`), and the year when it differs from now's. Names are English whatever
    the process locale is, so output is the same on every machine.
    """
    local = moment.astimezone(zone)
    label = f"{_WEEKDAYS[local.weekday()]}"
    if abs((moment - now).total_seconds()) > _WEEKDAY_ONLY_DAYS * 86400:
        label += f" {local.day} {_MONTHS[local.month - 1]}"
        if local.year != now.astimezone(zone).year:
            label += f" {local.year}"
    return f"{label} {local:%H:%M} {zone_name(zone)}"


def zone_name(zone: tzinfo) -> str:
    """The IANA key of a zone (`Europe/Berlin`), or its abbreviation for fixed offsets."""
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else str(zone)
