"""Pipeline rows: one `PipelineRun` in, one row of Rich `Text` cells out, failing runs first.

Besides status, commit and age, a row puts the run in context: how long it took against the
median of the last 20 runs (`4m06s +12%`), a sparkline of recent durations, the pass rate of
the last 20 decided runs (`18/20`), and for a failed run the triage class and suggested action
(`infra: re-run`, `code: route to the author of abc1234`). Three column sets fit three widths:
every column from 96 cells, a compact set at 80 columns (sparkline and pass rate kept, one
"detail" column carrying the running step, the triage or the duration), and a narrow set for a
quarter of a 120-column terminal.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

from cockpit.models import PipelineRun, RunStatus, Triage
from cockpit.present.ago import format_ago, format_elapsed, seconds_between
from cockpit.present.status import run_badge
from cockpit.present.tone import Palette, Tone, styled
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
    Column("age", "age"),
    Column("duration", "took"),
    Column("trend", "recent"),
    Column("pass", "pass"),
    Column("step", "step / triage"),
)
"""Every column at its natural width, for panes wide enough (a zoomed pane, a wide terminal)."""

MIN_LAST_WIDTH = 16
"""A wide row's step / triage column is never narrower than this."""

COMPACT_BELOW_WIDTH = 96
"""Panes narrower than this (inside their border) use the compact columns."""

NARROW_BELOW_WIDTH = 70
"""Panes narrower than this (a quarter of 120 columns) also drop the sparkline and pass rate."""

CELL_PADDING = 1
"""Blank cells either side of every cell (the table's `cell_padding`)."""

HISTORY_WINDOW = 20
"""The median and the pass rate look at this many recent runs."""

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
"""Sparkline levels, lowest first."""

SPARK_PLAIN = "_.-:=+*#"
"""The same eight levels in ASCII, for terminals without the block characters."""

FULL_SPARK_WIDTH = 10
"""Durations a wide row's sparkline shows."""

SLOWER_WARNING = 0.5
"""A run this much slower than its median (+50%) is shown as a warning."""

_SERVICE = Column("service", "service", 10)
_STATUS = Column("status", "status", 11)
_AGE = Column("age", "age", 4)
_TREND = Column("trend", "recent", 6)
_PASS = Column("pass", "pass", 5)
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


def columns(width: int, natural: Mapping[str, int] | None = None) -> tuple[Column, ...]:
    """The columns of the pipeline table for a pane `width` cells wide (inside its border).

    Wide panes show every column; given the `natural` widths of the cells (by column key, see
    `natural_widths`), the last column (running step / triage) gets exactly the room left, so
    the table never scrolls sideways and a long action ends with an ellipsis. When that room
    would be under `MIN_LAST_WIDTH` (long names in a pane just over 96 cells), the compact
    columns are used instead.

    An 80-column pane shows service, status, pipeline, age, a 6-run sparkline, the pass rate
    and one detail column (running step, triage, or how long it took against the median); the
    pipeline and detail columns share what is left, the detail taking the larger part.
    Narrower panes (a quarter of 120 columns) drop the sparkline and the pass rate.
    """
    if width >= COMPACT_BELOW_WIDTH:
        if natural is None:
            return FULL_COLUMNS
        *others, last = FULL_COLUMNS
        used = sum(max(natural.get(c.key, 0), len(c.label)) for c in others)
        room = width - 2 * CELL_PADDING * len(FULL_COLUMNS) - used
        if room >= MIN_LAST_WIDTH:
            return (*others, Column(last.key, last.label, room))
        # Every column would not fit: the compact set, which always does.
    history = (_TREND, _PASS) if width >= NARROW_BELOW_WIDTH else ()
    fixed = (_SERVICE, _STATUS, _AGE, *history)
    padding = 2 * CELL_PADDING * (len(fixed) + 2)
    flexible = max(2 * _MIN_FLEX, width - padding - sum(c.width or 0 for c in fixed))
    name_width = max(_MIN_FLEX, flexible * 2 // 5) if history else flexible // 2
    return (
        _SERVICE,
        _STATUS,
        Column("name", "pipeline", name_width),
        _AGE,
        *history,
        Column("step", "detail" if history else "step / took", flexible - name_width),
    )


def natural_widths(rows: Iterable[Sequence[Text]], cols: Sequence[Column]) -> dict[str, int]:
    """The widest cell of each column among `rows` (built for `cols`), by column key."""
    widths = {column.key: 0 for column in cols}
    for cells in rows:
        for column, cell in zip(cols, cells, strict=True):
            widths[column.key] = max(widths[column.key], cell.cell_len)
    return widths


def is_compact(cols: Sequence[Column]) -> bool:
    """True for the compact and narrow column sets (they have no branch column)."""
    return all(column.key != "branch" for column in cols)


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


# -- history: median, sparkline, pass rate ---------------------------------------------------


def median(values: Iterable[float]) -> float | None:
    """The median, or None for no values (a new pipeline has no history)."""
    data = list(values)
    return statistics.median(data) if data else None


def median_duration(run: PipelineRun, last: int = HISTORY_WINDOW) -> float | None:
    """The median duration of the run's last `last` completed runs (None without history)."""
    return median(run.recent_durations_s[-last:])


def vs_median(duration_s: float | None, median_s: float | None) -> float | None:
    """How much longer (+) or shorter (-) than the median, as a fraction; None if unknown."""
    if duration_s is None or median_s is None or median_s <= 0:
        return None
    return (duration_s - median_s) / median_s


def format_change(change: float) -> str:
    """`+12%`, `-8%`, `±0%`: a change against the median, rounded to whole percent."""
    percent = round(change * 100)
    if percent == 0:
        return "±0%"
    return f"{percent:+d}%"


def duration_text(run: PipelineRun, palette: Palette, *, long: bool = False) -> Text:
    """How long the run took (or has been running) against its median.

    `4m06s +12%`, or with `long` `4m06s, +12% vs median`. A running run only gets a change
    once it has overrun its median (before that, "-40%" would mean nothing); more than
    +50% is a warning. Without history it is the duration alone; unknown is `-`.
    """
    text = styled(format_elapsed(run.duration_s), Tone.PLAIN, palette)
    change = vs_median(run.duration_s, median_duration(run))
    if change is None or run.duration_s is None:
        return text
    if run.status is RunStatus.RUNNING and change <= 0:
        return text
    if run.status in (RunStatus.QUEUED, RunStatus.UNKNOWN):
        return text
    tone = Tone.WARNING if change > SLOWER_WARNING else Tone.MUTED
    label = f", {format_change(change)} vs median" if long else f" {format_change(change)}"
    return concat(text, styled(label, tone, palette))


def concat(*parts: Text) -> Text:
    """`parts` as one `Text`, each keeping its own style (none spills over the others)."""
    joined = Text(end="")
    for part in parts:
        joined.append_text(part)
    return joined


def sparkline(values: Sequence[float], width: int, *, plain: bool = False) -> str:
    """The last `width` values as a sparkline, oldest left: `▂▃▅▇▆▄`.

    Levels are scaled between the smallest and largest value shown, so a slow run stands out
    whatever the absolute durations; equal values draw a flat middle line. `plain` draws the
    same levels in ASCII (`_.-:=+*#`) for terminals without block characters.

    Args:
        values: Oldest first; non-finite values are skipped.
        width: The most characters to draw (0 draws nothing).
        plain: ASCII instead of block characters.
    """
    levels = SPARK_PLAIN if plain else SPARK_BLOCKS
    shown = [v for v in values if v == v and v not in (float("inf"), float("-inf"))]
    shown = shown[-width:] if width > 0 else []
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    if high - low <= 0:
        return levels[len(levels) // 2 - 1] * len(shown)
    top = len(levels) - 1
    return "".join(levels[round((v - low) / (high - low) * top)] for v in shown)


def pass_count(outcomes: Sequence[RunStatus], last: int = HISTORY_WINDOW) -> tuple[int, int]:
    """(passed, decided) among the last `last` decided outcomes.

    Only successes and failures are decided, as in `cockpit.sources.ci.base.pass_rate`: a
    cancelled run was usually superseded, and an unknown one tells nothing.
    """
    decided = [o for o in outcomes if o in (RunStatus.SUCCESS, RunStatus.FAILURE)][-last:]
    return sum(1 for o in decided if o is RunStatus.SUCCESS), len(decided)


def pass_text(run: PipelineRun, palette: Palette) -> Text:
    """`18/20` (a warning below 80%), or `-` without history."""
    passed, decided = pass_count(run.recent_outcomes)
    if decided == 0:
        return styled("-", Tone.MUTED, palette)
    tone = Tone.WARNING if passed < decided * 0.8 else Tone.PLAIN
    return styled(f"{passed}/{decided}", tone, palette)


def triage_label(triage: Triage) -> str:
    """`infra: re-run`: the suggested action, led by the class (added when the action lacks it)."""
    failure_class = sanitize(triage.failure_class) or "unknown"
    action = sanitize(triage.action)
    if not action:
        return failure_class
    if action.casefold().startswith(f"{failure_class.casefold()}:"):
        return action
    return f"{failure_class}: {action}"


def triage_tone(triage: Triage) -> Tone:
    """Unknown is plain; every class with an action is a warning (the status is already red)."""
    return Tone.PLAIN if triage.failure_class == "unknown" else Tone.WARNING


# -- rows ------------------------------------------------------------------------------------


def run_age(run: PipelineRun, now: datetime) -> str:
    """The run's age column as of `now`: the only part of a row that changes with time alone."""
    return format_ago(seconds_between(run.started_at, now)) if run.started_at else "-"


def pipeline_row(
    run: PipelineRun,
    now: datetime,
    palette: Palette,
    cols: tuple[Column, ...],
    *,
    plain: bool = False,
    with_branch: bool = False,
) -> tuple[Text, ...]:
    """The cells of one run, one per column of `cols`, each cut to its column's width.

    Remote text (the run name, branch, step and triage) is sanitised; every cell is `Text`,
    never a string, so a `[bold]` in a job name is shown as typed and not parsed as markup.
    `plain` draws the sparkline in ASCII. `with_branch` names the branch after the pipeline name
    (for a compact table where one service has several rows, e.g. main and the release tag).
    """
    compact = is_compact(cols)
    age = run_age(run, now)
    cells: dict[str, Text] = {
        "service": styled(run.service, Tone.PLAIN, palette),
        "status": run_badge(run.status).text(palette),
        "name": _name_cell(run, palette, with_branch),
        "branch": styled(sanitize(run.branch), Tone.MUTED, palette),
        "sha": styled(sanitize(run.short_sha) or "-", Tone.MUTED, palette),
        "age": styled(age, Tone.MUTED, palette),
        "duration": duration_text(run, palette),
        "pass": pass_text(run, palette),
        "step": _detail(run, palette) if compact else _step_or_triage(run, palette),
    }
    row: list[Text] = []
    for column in cols:
        if column.key == "trend":
            width = column.width or FULL_SPARK_WIDTH
            spark = sparkline(run.recent_durations_s, width, plain=plain)
            row.append(styled(spark, Tone.ACCENT, palette))
            continue
        cell = cells[column.key]
        if column.width is not None and cell.cell_len > column.width:
            cell = _cut(cell, column.width)
        row.append(cell)
    return tuple(row)


def services_with_several_rows(runs: Iterable[PipelineRun]) -> frozenset[str]:
    """Services that have more than one row (several branches or workflows)."""
    counts = Counter(run.service for run in runs)
    return frozenset(service for service, count in counts.items() if count > 1)


def _name_cell(run: PipelineRun, palette: Palette, with_branch: bool) -> Text:
    cell = styled(sanitize(run.name), Tone.PLAIN, palette)
    if with_branch and run.branch:
        cell = concat(cell, styled(f" {sanitize(run.branch)}", Tone.MUTED, palette))
    return cell


def _step_or_triage(run: PipelineRun, palette: Palette) -> Text:
    """The wide row's last cell: the running step, or a failed run's triage."""
    if run.status is RunStatus.RUNNING:
        return styled(sanitize(run.running_step), Tone.ACCENT, palette)
    if run.status is RunStatus.FAILURE and run.triage is not None:
        return styled(triage_label(run.triage), triage_tone(run.triage), palette)
    return Text("", end="")


def _detail(run: PipelineRun, palette: Palette) -> Text:
    """The compact row's detail: the running step, a failed run's triage, or the duration.

    A running row's elapsed time is its age column (a run's age is how long it has run);
    a failed run that was not triaged shows its duration, like any finished run.
    """
    if run.status is RunStatus.RUNNING and run.running_step:
        return styled(sanitize(run.running_step), Tone.ACCENT, palette)
    if run.status is RunStatus.FAILURE and run.triage is not None:
        return styled(triage_label(run.triage), triage_tone(run.triage), palette)
    return duration_text(run, palette)


def _cut(cell: Text, width: int) -> Text:
    """`cell` cut to `width` cells with an ellipsis, keeping its styles."""
    cut = cell.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut


def pipeline_count_label(shown: int, total: int) -> str:
    """`3 runs`, or `1 of 3 runs` when a filter hides some."""
    noun = "run" if total == 1 else "runs"
    return f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}"
