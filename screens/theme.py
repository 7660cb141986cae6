"""The theme for the terminal the cockpit runs in."""

from __future__ import annotations

SIXTEEN_COLOURS = frozenset({"standard", "windows"})
"""Rich's names for 8/16-colour terminals (TERM=xterm, TERM=screen, the Linux console)."""
ANSI_THEME = "ansi-dark"


def theme_for_terminal(color_system: str | None) -> str | None:
    """The theme a terminal with this colour system needs, or None to keep the default.

    Truecolour themes squeezed into 16 colours lose their hues (their red text becomes white);
    the ANSI theme uses the terminal's own red, green and yellow instead.
    """
    return ANSI_THEME if color_system in SIXTEEN_COLOURS else None
