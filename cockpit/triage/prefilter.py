"""One regex that rejects the lines no rule can match.

Most log lines match nothing. Searching each of a few hundred patterns on each line costs a
Python call per pattern; one alternation of all of them costs one call per line, and only the
lines it accepts are searched rule by rule (about 20x faster on a 256 KiB tail of short lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_GLOBAL_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def combine(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str] | None:
    """All patterns as one alternation, so most lines cost one regex call instead of hundreds.

    Named groups become plain groups and leading global flags become scoped ones. Patterns
    with back-references would change meaning when combined: then there is no prefilter.
    """
    parts: list[str] = []
    for pattern in patterns:
        source = pattern.pattern
        if _BACKREFERENCE.search(source):
            return None
        source = _NAMED_GROUP.sub("(?:", source)
        flags = ""
        leading = _GLOBAL_FLAGS.match(source)
        if leading:
            flags, source = leading.group(1), source[leading.end() :]
        if pattern.flags & re.IGNORECASE and "i" not in flags:
            flags += "i"
        parts.append(f"(?{flags}:{source})" if flags else f"(?:{source})")
    if not parts:
        return None
    try:
        return re.compile("|".join(parts))
    except re.error:
        return None
