"""The confirmation before a re-run: exactly what will run, and nothing else.

It names the CI system, the repository / project / job, the run and commit, and the action in
the system's own terms (`cockpit.present.run_detail.rerun_plan`), and says that nothing else is
paused or changed. Cancel has the focus, so a stray Enter does nothing; `y` confirms, `n` or
escape cancels. The modal is only reachable through `R`, which read-only mode never binds.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from cockpit.present.run_actions import RerunPlan

HERE = Path(__file__).parent

NOTHING_ELSE = (
    "Only this is asked of the CI system. Nothing else is paused or changed: polling and the "
    "other panes carry on."
)


class ConfirmRerun(ModalScreen[bool]):
    """Re-run failed jobs? Dismisses with True (re-run) or False (cancel)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Re-run", id="confirm_rerun.yes"),
        Binding("n", "cancel", "Cancel", id="confirm_rerun.no", show=False),
        Binding("escape", "cancel", "Cancel", id="confirm_rerun.cancel"),
    ]
    CSS_PATH = HERE / "confirm_rerun.tcss"

    def __init__(self, plan: RerunPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(_plan_table(self.plan), id="plan")
            yield Static(NOTHING_ELSE, id="nothing-else", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Re-run (y)", id="yes", variant="warning")
                yield Button("Cancel (esc)", id="no")

    def on_mount(self) -> None:
        box = self.query_one("#confirm", Vertical)
        box.border_title = "Re-run failed jobs?"
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        """Re-run."""
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Do nothing."""
        self.dismiss(False)


def _plan_table(plan: RerunPlan) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(ratio=1)
    for label, value in plan.lines():
        table.add_row(Text(label, end=""), Text(value, end=""))
    return table
