"""Pipeline rows: one `PipelineRun` in, one row of Rich `Text` cells out, failing runs first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

from cockpit.models import PipelineRun, RunStatus
from cockpit.present.ago import format_ago, format_elapsed, seconds_between
from cockpit.present.status import run_badge
from cockpit.present.tone import Palette, Tone, styled, truncate
from cockpit.text import sanitize


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its key, its header label, and a fixed width (None: fit the content)."""

    key: str
    label: str
    width: int | None = None


FULL_COLUMNS: tuple[Column, ...] = (
    Column("service", "service"),
    Column("status", "status"),
    Column("name", "pipeline"),
    Column("branch", "branch"),
    Column("sha", "commit"),
    Column("age", "started"),
    Column("duration", "took"),
    Column("step", "running step"),
)
"""Every column, for panes wide enough (a zoomed pane, a wide terminal)."""

COMPACT_BELOW_WIDTH = 96
"""Panes narrower than this (inside their border) use the compact columns."""

CELL_PADDING = 1
"""Blank cells either side of every cell (the table's `cell_padding`)."""

_COMPACT_FIXED = (Column("service", "service", 10), Column("status", "status", 11))
_COMPACT_AGE = Column("age", "age", 4)
_MIN_FLEX = 6

# Runs needing attention first: a failure, then anything not known to be fine.
_ATTENTION: dict[RunStatus, int] = {
    RunStatus.FAILURE: 0,
    RunStatus.UNKNOWN: 1,
    RunStatus.RUNNING: 2,
    RunStatus.QUEUED: 3,
    RunStatus.CANCELLED: 4,
    RunStatus.SUCCESS: 5,
}


def columns(width: int) -> tuple[Column, ...]:
    """The columns of the pipeline table for a pane `width` cells wide (inside its border).

    Wide panes show every column at its natural width. Narrow ones (an 80x24 terminal, a quarter
    of a 120-column one) show service, status, pipeline, age and the running step (or, once the
    run is over, how long it took), with the pipeline and step columns sharing what is left.
    """
    if width >= COMPACT_BELOW_WIDTH:
        return FULL_COLUMNS
    fixed = (*_COMPACT_FIXED, _COMPACT_AGE)
    padding = 2 * CELL_PADDING * (len(fixed) + 2)
    flexible = max(2 * _MIN_FLEX, width - padding - sum(c.width or 0 for c in fixed))
    name_width = flexible // 2
    return (
        *_COMPACT_FIXED,
        Column("name", "pipeline", name_width),
        _COMPACT_AGE,
        Column("step", "step / took", flexible - name_width),
    )


def is_compact(cols: tuple[Column, ...]) -> bool:
    """True for the compact column set."""
    return cols is not FULL_COLUMNS


def sort_runs(runs: Iterable[PipelineRun]) -> list[PipelineRun]:
    """Failing runs first, then unknown, running, queued, cancelled, success; then by service."""
    return sorted(runs, key=lambda run: (_ATTENTION[run.status], run.service, run.name))


def row_key(run: PipelineRun) -> str:
    """A stable key for a run's row, so a changed run updates its cells in place."""
    return f"{run.source}/{run.service}/{run.name}/{run.branch}"


def matches(run: PipelineRun, needle: str) -> bool:
    """True when `needle` is a case-insensitive substring of the service, name or branch."""
    wanted = needle.strip().casefold()
    if not wanted:
        return True
    haystack = (run.service, sanitize(run.name), sanitize(run.branch))
    return any(wanted in field.casefold() for field in haystack)


def pipeline_row(
    run: PipelineRun, now: datetime, palette: Palette, cols: tuple[Column, ...]
) -> tuple[Text, ...]:
    """The cells of one run, one per column of `cols`, each cut to its column's width.

    Remote text (the run name, branch and step) is sanitised; every cell is `Text`, never a
    string, so a `[bold]` in a job name is shown as typed and not parsed as markup.
    """
    step = sanitize(run.running_step) if run.status is RunStatus.RUNNING else ""
    duration = format_elapsed(run.duration_s)
    age = format_ago(seconds_between(run.started_at, now)) if run.started_at else "-"
    cells: dict[str, tuple[str, Tone]] = {
        "service": (run.service, Tone.PLAIN),
        "name": (sanitize(run.name), Tone.PLAIN),
        "branch": (sanitize(run.branch), Tone.MUTED),
        "sha": (sanitize(run.short_sha) or "-", Tone.MUTED),
        "age": (age, Tone.MUTED),
        "duration": (duration, Tone.PLAIN),
    }
    if is_compact(cols):
        cells["step"] = (step or duration, _step_tone(run))
    else:
        cells["step"] = (step, Tone.ACCENT)
    row: list[Text] = []
    for column in cols:
        if column.key == "status":
            row.append(run_badge(run.status).text(palette))
            continue
        text, tone = cells[column.key]
        if column.width is not None:
            text = truncate(text, column.width)
        row.append(styled(text, tone, palette))
    return tuple(row)


def _step_tone(run: PipelineRun) -> Tone:
    return Tone.ACCENT if run.status is RunStatus.RUNNING and run.running_step else Tone.PLAIN


def pipeline_count_label(shown: int, total: int) -> str:
    """`3 runs`, or `1 of 3 runs` when a filter hides some."""
    noun = "run" if total == 1 else "runs"
    return f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}"
