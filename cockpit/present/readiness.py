"""Readiness rows: the configured gates, in config order, honestly unevaluated for now.

Gate evaluation arrives in a later change. Until then every gate is `? unknown` and the verdict
is UNKNOWN: a cockpit that shows a pass it did not check is worse than one that shows nothing.
"""

from __future__ import annotations

from rich.text import Text

from cockpit.config.models import Gate
from cockpit.models import RunStatus
from cockpit.present.status import run_badge
from cockpit.present.tone import Palette, Tone, styled
from cockpit.text import sanitize

NOT_EVALUATED = "not evaluated yet"


def gate_label(gate: Gate) -> str:
    """The gate's configured title, else its kind and what it is about (`ci_green checkout`)."""
    if gate.title:
        return sanitize(gate.title)
    service = getattr(gate, "service", None)
    return f"{gate.kind} {sanitize(service)}" if isinstance(service, str) else gate.kind


def unevaluated_gate_row(gate: Gate, palette: Palette) -> Text:
    """`? unknown  <title or kind>  not evaluated yet`."""
    return Text.assemble(
        run_badge(RunStatus.UNKNOWN).text(palette),
        "  ",
        Text(gate_label(gate), end=""),
        "  ",
        styled(NOT_EVALUATED, Tone.MUTED, palette),
        end="",
    )


def verdict_text(gate_count: int, palette: Palette) -> Text:
    """The verdict line: UNKNOWN, saying how many gates are still to evaluate."""
    if gate_count == 0:
        detail = "no gates configured"
    else:
        noun = "gate" if gate_count == 1 else "gates"
        detail = f"0 of {gate_count} {noun} evaluated"
    return Text.assemble(
        Text("verdict ", end=""),
        styled("? UNKNOWN", Tone.PLAIN, palette),
        "  ",
        styled(detail, Tone.MUTED, palette),
        end="",
    )
