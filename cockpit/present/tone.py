"""Tones: the semantic colours of the cockpit, and the palettes that map them to styles.

Presenters never name a colour. They tag text with a `Tone`; the caller supplies a `Palette`.
The TUI builds its palette from theme variables (`$text-success`, `$text-error`, ...), so themes,
16 colours and `NO_COLOR` all work; headless output uses `ANSI_PALETTE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from rich.style import Style
from rich.text import Text


class Tone(StrEnum):
    """What a piece of text means, not what colour it is."""

    SUCCESS = "success"
    ERROR = "error"
    WARNING = "warning"
    ACCENT = "accent"
    MUTED = "muted"
    PLAIN = "plain"


Palette = Mapping[Tone, Style | str]
"""How each tone is drawn; a missing tone is drawn plain."""

ANSI_PALETTE: Palette = {
    Tone.SUCCESS: "green",
    Tone.ERROR: "bold red",
    Tone.WARNING: "bold yellow",
    Tone.ACCENT: "cyan",
    Tone.MUTED: "dim",
    Tone.PLAIN: "",
}
"""The 16-colour ANSI palette for headless output (`cockpit status`)."""

NO_PALETTE: Palette = {}
"""Everything plain: for tests and `NO_COLOR` text output."""


def styled(text: str, tone: Tone, palette: Palette) -> Text:
    """`text` as Rich `Text` drawn in `tone` (never parsed as markup)."""
    return Text(text, style=palette.get(tone, ""), end="")


def truncate(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis, for fixed-width compact columns."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: width - 1] + "…"
