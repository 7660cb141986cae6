"""What the help screen lists: the keys as bound now, and what each pane answers.

Read from the live bindings, so the help never lists a key that is not bound (in read-only mode,
or while the session is starting, no mutating key).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App
from textual.screen import Screen

from cockpit.present.panes import PANES
from widgets.pane_frame import PaneFrame

HELP_ORDER = (
    "cockpit.zoom.",
    "cockpit.unzoom",
    "cockpit.filter",
    "cockpit.focus_next",
    "cockpit.focus_previous",
    "cockpit.refresh",
    "cockpit.help",
    "cockpit.quit",
)
"""The order keys are listed in the help, by binding id prefix."""


def bound_keys(app: App[Any], screen: Screen[Any]) -> list[tuple[str, str]]:
    """(key, description) of the cockpit's keys on `screen`, as bound now."""
    found: dict[str, tuple[float, list[str]]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        binding_id = binding.id or ""
        if not binding_id.startswith("cockpit.") or not binding.description:
            continue
        rank = next(
            (i for i, prefix in enumerate(HELP_ORDER) if binding_id.startswith(prefix)),
            len(HELP_ORDER) - 1,  # keys added later go before "quit"
        )
        entry = found.setdefault(binding.description, (rank, []))
        entry[1].append(app.get_key_display(binding))
    found.setdefault("Unzoom", (HELP_ORDER.index("cockpit.unzoom"), ["escape"]))
    found["Command palette: zoom, refresh, help, theme"] = (len(HELP_ORDER) - 1.5, ["ctrl+p"])
    ordered = sorted(found.items(), key=lambda item: item[1][0])
    return [(" / ".join(sorted(keys, key=len)), description) for description, (_, keys) in ordered]


def pane_keys(app: App[Any], panes: Iterable[PaneFrame]) -> list[tuple[str, str]]:
    """(key, "Pane: description") of the panes' own keys, as bound (read-only: no mutating)."""
    keys: list[tuple[str, str]] = []
    for pane in panes:
        for _key, binding in pane._bindings:  # the live map: see widgets.mutating
            binding_id = binding.id or ""
            if binding.description and not binding_id.startswith(("cockpit.", "pane.")):
                label = f"{pane.info.title}: {binding.description}"
                keys.append((app.get_key_display(binding), label))
    return keys


def pane_descriptions() -> list[tuple[str, str]]:
    """(key and title, what it answers) for each pane."""
    return [(pane.label, pane.description) for pane in PANES]
