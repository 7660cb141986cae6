"""Pipelines: is the pipeline healthy? The newest run of each service's CI, failing first.

Each row puts the run in context (duration against the median, a sparkline of recent
durations, the pass rate, a failed run's triage); Enter on a row posts `RunOpened`, which the
App answers with the run screen (jobs, steps, the failing step's log).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static, data_table

from cockpit.config.models import Config
from cockpit.models import PipelineRun
from cockpit.present.panes import PIPELINES
from cockpit.present.pipelines import (
    Column,
    columns,
    is_compact,
    matches,
    natural_widths,
    pipeline_count_label,
    pipeline_row,
    row_key,
    run_age,
    services_with_several_rows,
    sort_runs,
)
from cockpit.present.sources import pipeline_sources
from cockpit.present.tone import Palette, Tone, styled
from widgets.pane import Pane

Cells = tuple[Text, ...]
Row = tuple[str, Cells]
RowKey = tuple[PipelineRun, tuple[Column, ...], bool, bool, str]
"""What a row's cells depend on: the run, the columns, plain, with_branch, and its age label."""

SCROLLBAR_WIDTH = 1
"""Cells kept free for the table's vertical scrollbar, so compact rows never scroll sideways."""


class RunTable(DataTable[Text]):
    """The runs table; Enter opens the highlighted run (shown in the footer)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", id="cockpit.open_run", key_display="⏎"),
    ]

    def set_cell(self, row_key: str, column_key: str, value: Text) -> None:
        """`update_cell`, repainting only that cell's row.

        `DataTable.update_cell` repaints the whole table: one run's age turning from `9m` to
        `10m` rewrote every row on the terminal (~6 KB over SSH, once a minute). Textual is
        pinned exactly; `tests/pilot` checks the new value is what the table shows.
        """
        self._data[data_table.RowKey(row_key)][data_table.ColumnKey(column_key)] = value
        self._update_count += 1  # the row render caches are keyed on it
        self.refresh_row(self.get_row_index(row_key))


class PipelinesPane(Pane):
    """A table of pipeline runs; a changed run updates only its changed cells."""

    DEFAULT_CSS = """
    PipelinesPane > DataTable {
        height: 1fr;
        background: transparent;
        scrollbar-size-vertical: 1;
    }
    PipelinesPane > DataTable.-empty {
        height: auto;
    }
    PipelinesPane > #empty {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    INFO = PIPELINES

    class RunOpened(Message):
        """Enter on a row: show this run's jobs, steps and log."""

        def __init__(self, run: PipelineRun) -> None:
            super().__init__()
            self.run = run

    def __init__(self, config: Config, *, read_only: bool = False) -> None:
        super().__init__(config, read_only=read_only)
        self._columns: tuple[Column, ...] = ()
        self._rows: list[Row] = []
        self._empty: Text | None = None
        self._runs_by_key: dict[str, PipelineRun] = {}
        self._cells: dict[RowKey, tuple[Text, ...]] = {}
        """The cells of the rows last rendered: an age tick or a poll that changed a few runs
        rebuilds only those rows (formatting 60 rows of Rich text every tick is most of the
        idle CPU otherwise)."""

    def source_names(self) -> tuple[str, ...]:
        return pipeline_sources(self.config)

    def compose_body(self) -> ComposeResult:
        yield RunTable(cursor_type="row", id="runs")
        yield Static("", id="empty", markup=False)

    def body(self) -> Widget:
        return self.table

    @property
    def table(self) -> RunTable:
        """The table of runs."""
        return self.query_one("#runs", RunTable)

    def all_runs(self) -> list[PipelineRun]:
        """Every run in the snapshot, failing first."""
        return sort_runs(self.snapshot.pipelines) if self.snapshot is not None else []

    def visible_runs(self) -> list[PipelineRun]:
        """The runs the filter lets through, in display order."""
        return [run for run in self.all_runs() if matches(run, self.filter_text)]

    def render_body(self, now: datetime, palette: Palette) -> None:
        table = self.table
        width = max(0, self.content_size.width - SCROLLBAR_WIDTH)
        runs = self.all_runs()
        visible = [run for run in runs if matches(run, self.filter_text)]
        plain = not self.app.console.encoding.lower().startswith("utf")
        keyed = _keyed([(row_key(run), run) for run in visible])
        self._runs_by_key = dict(keyed)
        cols = columns(width)
        cached, self._cells = self._cells, {}

        def cells_of(run: PipelineRun, cols: tuple[Column, ...], with_branch: bool) -> Cells:
            key = (run, cols, plain, with_branch, run_age(run, now))
            found = cached.get(key) or self._cells.get(key)
            if found is None:
                found = pipeline_row(run, now, palette, cols, plain=plain, with_branch=with_branch)
            self._cells[key] = found
            return found

        if not is_compact(cols):
            # Wide: measure the cells, then give the step / triage column the room left.
            measured = [cells_of(run, cols, False) for _, run in keyed]
            cols = columns(width, natural_widths(measured, cols))
        # A compact table has no branch column: name the branch where a service has several rows.
        several = services_with_several_rows(runs) if is_compact(cols) else frozenset()
        rows = [(key, cells_of(run, cols, run.service in several)) for key, run in keyed]
        if cols != self._columns:
            table.clear(columns=True)
            for column in cols:
                table.add_column(column.label, width=column.width, key=column.key)
            self._columns = cols
            self._rows = []
        self._show_rows(table, rows)
        self._show_empty(self._empty_text(len(runs), len(visible), palette))
        subtitle = pipeline_count_label(len(visible), len(runs)) if runs else ""
        if self.border_subtitle != subtitle:  # setting it, even unchanged, repaints the pane
            self.border_subtitle = subtitle

    def run_at_cursor(self) -> PipelineRun | None:
        """The run on the highlighted row, if any."""
        key = self._cursor_key(self.table)
        return self._runs_by_key.get(key) if key is not None else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click on the highlighted row) opens the run."""
        event.stop()
        run = self._runs_by_key.get(str(event.row_key.value))
        if run is not None:
            self.post_message(self.RunOpened(run))

    def _show_rows(self, table: RunTable, rows: list[Row]) -> None:
        if rows == self._rows:
            return
        same_keys = [key for key, _ in rows] == [key for key, _ in self._rows]
        if same_keys:
            for (key, cells), (_, before) in zip(rows, self._rows, strict=True):
                for column, cell, old in zip(self._columns, cells, before, strict=True):
                    if cell != old:
                        table.set_cell(key, column.key, cell)
        else:
            cursor_key = self._cursor_key(table)
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
            keys = [key for key, _ in rows]
            if cursor_key in keys:
                table.move_cursor(row=keys.index(cursor_key), animate=False)
        self._rows = rows

    def _cursor_key(self, table: DataTable[Text]) -> str | None:
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row][0]

    def _empty_text(self, total: int, shown: int, palette: Palette) -> Text | None:
        if total == 0:
            label = "no pipeline runs yet" if self.source_names() else "no CI configured"
            return styled(label, Tone.MUTED, palette)
        if shown == 0:
            return styled(f"no runs match “{self.filter_text.strip()}”", Tone.MUTED, palette)
        return None

    def _show_empty(self, text: Text | None) -> None:
        if text == self._empty:
            return
        self._empty = text
        empty = self.query_one("#empty", Static)
        empty.display = text is not None
        empty.update(text or "")
        # No rows: the message sits right under the column header, not at the pane's foot.
        self.table.set_class(text is not None, "-empty")

    def forget_rendered(self) -> None:
        super().forget_rendered()
        self._rows = []
        self._columns = ()
        self._empty = None
        self._cells = {}  # drawn in the old theme's colours


def _keyed(rows: list[tuple[str, PipelineRun]]) -> list[tuple[str, PipelineRun]]:
    """Make row keys unique (two runs of one pipeline on one branch get `#2`, `#3`)."""
    seen: dict[str, int] = {}
    unique: list[tuple[str, PipelineRun]] = []
    for key, run in rows:
        seen[key] = seen.get(key, 0) + 1
        unique.append((key if seen[key] == 1 else f"{key}#{seen[key]}", run))
    return unique
