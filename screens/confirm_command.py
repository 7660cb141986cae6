"""The confirmation before a command gate runs: exactly the argv, the directory and the timeout."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from cockpit.config.durations import format_duration
from cockpit.readiness.live import CommandPlan
from cockpit.text import sanitize

HERE = Path(__file__).parent


def shown_argument(argument: str) -> str:
    """One argv item as a shell would need it typed; control characters escaped, never run."""
    if argument.isprintable():
        return shlex.quote(argument)
    return repr(argument)


class ConfirmCommand(ModalScreen[bool]):
    """Shows what will run; dismisses True only when the operator presses Run.

    Cancel has the focus at first, so a stray enter does not run anything.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
    ]

    CSS_PATH = HERE / "modals.tcss"

    def __init__(self, plan: CommandPlan) -> None:
        super().__init__()
        self.plan = plan
        self.facts = Table.grid(padding=(0, 2))
        """The gate, the command and each argv item, the directory and the timeout, as shown."""
        self.facts.add_column(style="bold", no_wrap=True)
        self.facts.add_column(ratio=1, overflow="fold")
        self.facts.add_row("Gate", Text(sanitize(plan.title)))
        self.facts.add_row("Command", Text(" ".join(shown_argument(a) for a in plan.argv)))
        for number, argument in enumerate(plan.argv):
            self.facts.add_row(f"  argv[{number}]", Text(shown_argument(argument)))
        self.facts.add_row("Directory", Text(str(plan.cwd)))
        self.facts.add_row(
            "Timeout",
            Text(f"{format_duration(plan.timeout_s)}, then its whole process group is killed"),
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-confirm"):
            yield Static(self.facts, id="facts")
            yield Static(
                "It runs on this machine, as you, with the cockpit's environment.",
                classes="hint",
                markup=False,
            )
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Run", id="run", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "Run a command gate?"
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "run")

    def action_cancel(self) -> None:
        """Close without running."""
        self.dismiss(False)
