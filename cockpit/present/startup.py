"""What the dashboard says when the session could not be built after the first frame."""

from __future__ import annotations

from cockpit.errors import CockpitError

QUIT_HINT = "Press q to quit."


def startup_failure_text(error: BaseException | None) -> str:
    """The why and what next, for the Pipelines pane of a cockpit that could not start.

    The first line says what happened and how to leave, so it shows even in a small pane. An
    expected error (`CockpitError`) then gives its message and hint; anything else is a bug,
    named in one line (its traceback is printed on stderr once the TUI has closed).
    """
    if isinstance(error, CockpitError):
        lines = [f"Could not start: {error.title}. {QUIT_HINT}", error.message]
        if error.hint:
            lines.append(error.hint)
    else:
        what = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
        lines = [
            f"Could not start: a bug in the cockpit. {QUIT_HINT}",
            what,
            "The traceback is printed when the cockpit closes.",
        ]
    return "\n".join(lines)
