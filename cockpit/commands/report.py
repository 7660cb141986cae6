"""Plain-text reports for headless commands. Remote text is sanitised: it goes to a terminal."""

from __future__ import annotations

from cockpit.config.durations import format_duration
from cockpit.models import Snapshot, SourceStatus
from cockpit.text import sanitize


def _source_line(source: SourceStatus) -> str:
    age = "never" if source.age_s is None else f"{format_duration(source.age_s)} ago"
    parts = [f"{source.name:<12}", f"{source.kind:<13}", f"{source.state.value.upper():<8}", age]
    if source.rate_limit is not None:
        parts.append(f"rate limit {source.rate_limit.remaining}/{source.rate_limit.limit}")
    line = "  ".join(parts)
    if source.error is not None:
        line += f"\n{'':14}{source.error.kind.value}: {sanitize(source.error.message)}"
        if source.error.hint:
            line += f"\n{'':14}hint: {sanitize(source.error.hint)}"
    return line


def render_status_report(snapshot: Snapshot) -> str:
    """Sources with their freshness, then one line per pipeline (failures first)."""
    lines = ["SOURCES"]
    lines += [_source_line(s) for s in snapshot.sources] or ["  (none configured)"]
    lines.append("")
    lines.append("PIPELINES")
    for run in snapshot.pipelines:
        duration = "-" if run.duration_s is None else format_duration(run.duration_s)
        lines.append(
            f"{sanitize(run.service):<12}  {run.status.value.upper():<9}  {sanitize(run.name):<20}"
            f"  {run.short_sha:<7}  {sanitize(run.branch):<12}  {duration}"
        )
    if not snapshot.pipelines:
        lines.append("  (no pipeline data)")
    return "\n".join(lines)
