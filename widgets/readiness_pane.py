"""Readiness: are we ready to ship? The verdict, the gates in config order, the selected evidence.

The pane shows what the App evaluated (`Snapshot.gates` and `Snapshot.verdict`); it decides
nothing itself. Its keys ask the App to act on the selected gate (`GateActionRequested`):
tick a manual gate, waive a failing one, run a command gate. All three are `MutatingBinding`s,
so a read-only cockpit does not bind them at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual.widget import Widget
from textual.widgets import DataTable, Static

from cockpit.config.models import Config
from cockpit.models.readiness import GateResult, Verdict
from cockpit.present.panes import READINESS
from cockpit.present.readiness import (
    BADGE_WIDTH,
    evidence_lines,
    gate_cells,
    gate_line,
    unevaluated_results,
    verdict_banner,
)
from cockpit.present.sources import readiness_sources
from cockpit.present.tone import Palette, Tone, styled
from widgets.gate_evidence import GateEvidence
from widgets.mutating import MutatingBinding
from widgets.pane import Pane

GateAction = Literal["tick", "waive", "run"]
Row = tuple[str, tuple[Text, Text, Text]]

EVIDENCE_FROM_HEIGHT = 12
"""Panes shorter than this (a stacked pane at 80x24) keep every row for the gates; zoom (`2`)
shows the evidence."""

TITLE_WIDTH = (22, 30)
"""The title column's width: compact, and otherwise (longer titles end with an ellipsis)."""

_CELL_PADDING = 1
_SCROLLBAR = 1


class ReadinessPane(Pane):
    """The go/no-go checklist with its verdict banner and the evidence of the selected gate."""

    BINDINGS: ClassVar[list[BindingType]] = [
        MutatingBinding("space", "gate('tick')", "Tick", id="readiness.tick"),
        MutatingBinding("w", "gate('waive')", "Waive", id="readiness.waive"),
        MutatingBinding("x", "gate('run')", "Run check", id="readiness.run"),
        Binding("e", "toggle_evidence", "Full evidence", id="readiness.evidence", show=False),
    ]

    DEFAULT_CSS = """
    ReadinessPane > #headline {
        height: 1;
        width: 1fr;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    ReadinessPane > DataTable {
        height: 1fr;
        min-height: 1;
        background: transparent;
        scrollbar-size-vertical: 1;
    }
    /* With the evidence shown, the rows come first (up to 70%), the evidence takes the rest. */
    ReadinessPane.-with-evidence > DataTable {
        height: auto;
        max-height: 70%;
    }
    ReadinessPane > #no-gates { height: auto; padding: 0 1; color: $text-muted; }
    """

    INFO = READINESS

    full_evidence: var[bool] = var(False, init=False)
    """Show evidence values in full (whole digests, every list item, all output), wrapped."""

    class GateActionRequested(Message):
        """The operator asked to act on a gate (the App checks, confirms and records it)."""

        def __init__(self, action: GateAction, index: int) -> None:
            super().__init__()
            self.action: GateAction = action
            """tick (or untick) | waive | run."""
            self.index = index
            """The gate's index in `config.gates`."""

    def __init__(self, config: Config, *, read_only: bool = False) -> None:
        super().__init__(config, read_only=read_only)
        self._rows: list[Row] = []
        self._widths: tuple[int, int, int] | None = None
        self._headline: Text | None = None
        self._empty: Text | None = None

    def source_names(self) -> tuple[str, ...]:
        return readiness_sources(self.config)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="headline", markup=False)
        yield DataTable[Text](cursor_type="row", show_header=False, id="gates")
        empty = Static("", id="no-gates", markup=False)
        empty.display = False
        yield empty
        yield GateEvidence()

    def body(self) -> Widget:
        return self.table

    @property
    def table(self) -> DataTable[Text]:
        """The gate rows."""
        return self.query_one("#gates", DataTable)

    # -- what is shown -------------------------------------------------------------------------

    @property
    def evaluated(self) -> bool:
        """True once the App evaluated the gates of the snapshot shown."""
        shown = self.snapshot
        return shown is not None and len(shown.gates) == len(self.config.gates)

    @property
    def results(self) -> tuple[GateResult, ...]:
        """Every gate's result as evaluated by the App (unknown until it evaluated them)."""
        if self.snapshot is not None and self.evaluated:
            return self.snapshot.gates
        return unevaluated_results(self.config)

    @property
    def verdict(self) -> Verdict:
        """The verdict shown in the banner."""
        if self.snapshot is not None and self.evaluated:
            return self.snapshot.verdict
        return Verdict.UNKNOWN

    def selected_index(self) -> int | None:
        """The index in `config.gates` of the gate under the cursor (None: no row shown)."""
        table = self.table
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return None
        return int(self._rows[table.cursor_row][0])

    def render_body(self, now: datetime, palette: Palette) -> None:
        results = self.results
        headline = verdict_banner(results, self.verdict, palette)
        if headline != self._headline:
            self._headline = headline
            self.query_one("#headline", Static).update(headline)
        visible = [
            (index, result)
            for index, result in enumerate(results)
            if self.filtered(Text(gate_line(result)))
        ]
        widths = self._column_widths(results)
        if widths != self._widths:
            table = self.table
            table.clear(columns=True)
            for key, width in zip(("verdict", "gate", "why"), widths, strict=True):
                table.add_column(key, width=width, key=key)
            self._widths = widths
            self._rows = []
        _, title_width, reason_width = widths
        rows = [
            (str(index), gate_cells(r, palette, title_width=title_width, reason_width=reason_width))
            for index, r in visible
        ]
        self._show_rows(rows)
        self._show_empty(self._empty_text(len(results), len(visible), palette))
        self._show_evidence(now, palette)

    def _column_widths(self, results: tuple[GateResult, ...]) -> tuple[int, int, int]:
        inner = max(0, self.content_size.width - _SCROLLBAR)
        longest = max((len(r.title) for r in results), default=4)
        title = min(longest, TITLE_WIDTH[0] if self.compact else TITLE_WIDTH[1])
        used = BADGE_WIDTH + title + 6 * _CELL_PADDING
        return BADGE_WIDTH, title, max(8, inner - used)

    def _show_rows(self, rows: list[Row]) -> None:
        if rows == self._rows:
            return
        table = self.table
        if [key for key, _ in rows] == [key for key, _ in self._rows]:
            for (key, cells), (_, before) in zip(rows, self._rows, strict=True):
                for column, cell, old in zip(
                    ("verdict", "gate", "why"), cells, before, strict=True
                ):
                    if cell != old:
                        table.update_cell(key, column, cell)
        else:
            selected = self.selected_index()
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
            keys = [key for key, _ in rows]
            if selected is not None and str(selected) in keys:
                table.move_cursor(row=keys.index(str(selected)), animate=False)
        self._rows = rows

    def _empty_text(self, total: int, shown: int, palette: Palette) -> Text | None:
        if total == 0:
            return styled("no gates configured", Tone.MUTED, palette)
        if shown == 0:
            return styled(f"nothing matches “{self.filter_text.strip()}”", Tone.MUTED, palette)
        return None

    def _show_empty(self, text: Text | None) -> None:
        if text == self._empty:
            return
        self._empty = text
        empty = self.query_one("#no-gates", Static)
        empty.display = text is not None
        empty.update(text or "")
        self.table.display = text is None

    def _show_evidence(self, now: datetime, palette: Palette) -> None:
        evidence = self.query_one(GateEvidence)
        index = self.selected_index()
        roomy = self.size.height >= EVIDENCE_FROM_HEIGHT
        evidence.display = roomy and index is not None
        self.set_class(evidence.display, "-with-evidence")
        if index is None or not roomy:
            return
        result = self.results[index]
        lines = evidence_lines(result, now, palette, full=self.full_evidence)
        hint = "" if self.full_evidence else " · e: full values"
        evidence.show(f"Evidence: {result.title}{hint}", lines, wrap=self.full_evidence)

    def forget_rendered(self) -> None:
        super().forget_rendered()
        self._rows = []
        self._widths = None
        self._headline = None
        self._empty = None
        self.query_one(GateEvidence).forget()

    # -- interaction --------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if self._now is not None:
            self._show_evidence(self._now, self.palette)

    def action_gate(self, action: GateAction) -> None:
        """Ask the App to tick, waive or run the selected gate."""
        index = self.selected_index()
        if index is None:
            self.notify("Select a gate first.", title="No gate selected", severity="warning")
            return
        self.post_message(self.GateActionRequested(action, index))

    def action_toggle_evidence(self) -> None:
        """Show evidence values in full, or shortened to one row each (`e`)."""
        self.full_evidence = not self.full_evidence

    def watch_full_evidence(self) -> None:
        self.redraw()
