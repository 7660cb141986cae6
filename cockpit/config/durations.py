"""Durations such as `500ms`, `15s`, `2m`, `1h` (and combinations like `1m30s`)."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str | int | float) -> float:
    """Seconds in a duration string; a bare number is seconds.

    Raises:
        ValueError: with a message that shows the accepted forms.
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration like 15s, got a boolean")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return float(text)
    value = text.strip()
    pos, total = 0, 0.0
    for match in _PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        raise ValueError(f"{text!r} is not a duration (use forms like 500ms, 15s, 2m, 1h, 1m30s)")
    return total


def format_duration(seconds: float) -> str:
    """The shortest readable form: `45s`, `3m`, `2h5m`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"
