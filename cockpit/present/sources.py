"""Source status lines ("gh ✓ fresh 20s · 4812/5000 left") and which sources feed which pane."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text

from cockpit.config.models import Config, SourceLog
from cockpit.models import Freshness, RateLimit, Snapshot, SourceStatus
from cockpit.present.ago import format_ago, format_clock
from cockpit.present.status import data_age_s, freshness_badge, severity
from cockpit.present.tone import Palette, Tone, styled, truncate
from cockpit.text import sanitize

SEPARATOR = " · "
ERROR_MESSAGE_WIDTH = 60
"""Remote error messages are cut here: the status line is one glance, not a log."""

LOW_RATE_LIMIT_FRACTION = 0.1
"""Below this share of the budget, the remaining rate limit is shown as a warning."""


def rate_limit_text(rate_limit: RateLimit, now: datetime, palette: Palette) -> Text:
    """`4812/5000 left`, or `rate limited until 10:42` when the budget is spent."""
    if rate_limit.remaining <= 0:
        if rate_limit.reset_at is not None and rate_limit.reset_at > now:
            label = f"rate limited until {format_clock(rate_limit.reset_at)}"
        else:
            label = "rate limited"
        return styled(label, Tone.ERROR, palette)
    low = rate_limit.limit > 0 and rate_limit.remaining < rate_limit.limit * LOW_RATE_LIMIT_FRACTION
    label = f"{rate_limit.remaining}/{rate_limit.limit} left"
    return styled(label, Tone.WARNING if low else Tone.MUTED, palette)


def _rate_limit_worth_showing(rate_limit: RateLimit | None, compact: bool) -> bool:
    if rate_limit is None:
        return False
    spent = rate_limit.remaining <= 0
    low = rate_limit.remaining < rate_limit.limit * LOW_RATE_LIMIT_FRACTION
    return not compact or spent or low


def source_status_text(
    status: SourceStatus, now: datetime, palette: Palette, *, compact: bool = False
) -> Text:
    """One source: name, freshness badge, the error (kind and message), rate limit.

    Args:
        status: The source's status from the snapshot.
        now: The clock's time, so ages re-render without a new snapshot.
        palette: How tones are drawn.
        compact: Leave out what is fine (a healthy rate limit, the data age while failing).
    """
    badge = freshness_badge(status, now)
    parts: list[Text] = [
        Text(sanitize(status.name), end=""),
        Text(" ", end=""),
        badge.text(palette),
    ]
    if status.state is Freshness.FAILING and status.error is not None:
        message = truncate(sanitize(status.error.message), ERROR_MESSAGE_WIDTH)
        if message:
            parts.append(styled(f" ({message})", Tone.ERROR, palette))
        if not compact:
            age = data_age_s(status, now)
            kept = "no data yet" if age is None else f"data {format_ago(age)} old"
            parts.append(styled(f", {kept}", Tone.MUTED, palette))
    if status.rate_limit is not None and _rate_limit_worth_showing(status.rate_limit, compact):
        parts.append(Text(" ", end=""))
        parts.append(rate_limit_text(status.rate_limit, now, palette))
    return Text.assemble(*parts, end="")


def source_status_line(
    statuses: Iterable[SourceStatus],
    now: datetime,
    palette: Palette,
    *,
    compact: bool = False,
    empty: str = "no sources configured",
) -> Text:
    """Every source of a pane on one line, joined by ` · `; `empty` when there is none.

    Compact lines (narrow panes) put what needs attention first and group the rest:
    `jk ! STALE 4m · gh gl ✓ fresh 10s` shows the oldest age of the group, never a younger one.
    """
    listed = list(statuses)
    if not listed:
        return styled(empty, Tone.MUTED, palette)
    if compact:
        segments = _compact_segments(listed, now, palette)
    else:
        segments = [source_status_text(s, now, palette) for s in listed]
    return Text(SEPARATOR, end="").join(segments)


def _compact_segments(statuses: list[SourceStatus], now: datetime, palette: Palette) -> list[Text]:
    groupable = (Freshness.UNKNOWN, Freshness.FRESH)
    groups: dict[Freshness, list[SourceStatus]] = {state: [] for state in groupable}
    alone: list[SourceStatus] = []
    for status in sorted(statuses, key=lambda s: -severity(s.state)):
        if status.state in groupable and not _rate_limit_worth_showing(status.rate_limit, True):
            groups[status.state].append(status)
        else:
            alone.append(status)
    segments = [source_status_text(s, now, palette, compact=True) for s in alone]
    for state in groupable:
        members = groups[state]
        if not members:
            continue
        oldest = max(members, key=lambda m: data_age_s(m, now) or 0.0)
        names = " ".join(sanitize(m.name) for m in members)
        badge = freshness_badge(oldest, now)
        segments.append(Text.assemble(Text(names, end=""), " ", badge.text(palette), end=""))
    return segments


def statuses_for(
    names: Iterable[str], snapshot: Snapshot | None, config: Config
) -> list[SourceStatus]:
    """The status of each named source; a source the snapshot does not mention is `unknown`."""
    result: list[SourceStatus] = []
    for name in names:
        found = snapshot.source(name) if snapshot is not None else None
        if found is None:
            source = config.sources.get(name)
            kind = source.kind if source is not None else "unknown"
            found = SourceStatus(name=name, kind=kind, state=Freshness.UNKNOWN)
        result.append(found)
    return result


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name))


def pipeline_sources(config: Config) -> tuple[str, ...]:
    """The sources feeding the Pipelines pane: those named by `services[].ci`, in config order."""
    return _unique(s.ci.source for s in config.services if s.ci is not None)


def rollout_sources(config: Config) -> tuple[str, ...]:
    """The sources feeding the Rollout pane: those named by `services[].rollout`."""
    return _unique(s.rollout.source for s in config.services if s.rollout is not None)


def log_sources(config: Config) -> tuple[str, ...]:
    """The remote sources feeding the Logs pane (files and commands are local, not sources)."""
    return _unique(
        spec.source for s in config.services for spec in s.logs if isinstance(spec, SourceLog)
    )


def readiness_sources(config: Config) -> tuple[str, ...]:
    """The sources the gates read: their own `source`, or their service's CI or artifact source."""
    names: list[str] = []
    for gate in config.gates:
        direct = getattr(gate, "source", None)
        if isinstance(direct, str):
            names.append(direct)
        service = config.service(getattr(gate, "service", "") or "")
        if service is None:
            continue
        if gate.kind == "ci_green" and service.ci is not None:
            names.append(service.ci.source)
        if gate.kind in {"artifact_present", "artifact_signed"} and service.artifact is not None:
            names.append(service.artifact.source)
        if gate.kind == "approvals" and service.ci is not None:
            names.append(service.ci.source)
    return _unique(names)
