"""The waiver dialog: which gate, why it fails, who waives it, and the reason (required)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from cockpit.text import sanitize

HERE = Path(__file__).parent

REASON_REQUIRED = "A reason is required: say why shipping with this gate failing is acceptable."


class WaiveModal(ModalScreen[str | None]):
    """Asks for the reason of a waiver; dismisses with the reason, or None when cancelled.

    An empty reason is refused in place (the dialog stays open and says why).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="waive.cancel"),
    ]

    CSS_PATH = HERE / "modals.tcss"

    def __init__(self, gate_title: str, failure: str, operator: str) -> None:
        """Build the dialog.

        Args:
            gate_title: The gate being waived.
            failure: Why it fails now (its one-line reason).
            operator: Who will be recorded as waiving it.
        """
        super().__init__()
        self.gate_title = gate_title
        self.failure = failure
        self.operator = operator
        self.facts = Table.grid(padding=(0, 2))
        """Which gate, why it fails and who waives it, as shown."""
        self.facts.add_column(style="bold", no_wrap=True)
        self.facts.add_column(ratio=1)
        self.facts.add_row("Gate", Text(sanitize(gate_title)))
        self.facts.add_row("Failing", Text(sanitize(failure)))
        self.facts.add_row(
            "Waived by", Text(f"{sanitize(operator)}, now (recorded with the reason)")
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-waive"):
            yield Static(self.facts, id="facts")
            reason = Input(placeholder="why is shipping with this gate failing acceptable?")
            reason.cursor_blink = False
            yield reason
            yield Static("", id="error", markup=False)
            yield Static("enter waives · escape cancels", classes="hint", markup=False)

    def on_mount(self) -> None:
        dialog = self.query_one("#dialog")
        dialog.border_title = "Waive a failing gate"
        self.query_one("#error").display = False
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        reason = event.value.strip()
        if not reason:
            error = self.query_one("#error", Static)
            error.update(REASON_REQUIRED)
            error.display = True
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        """Close without waiving."""
        self.dismiss(None)
