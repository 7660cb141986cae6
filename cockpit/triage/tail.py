"""Read the end of a CI log without ever reading the whole of it, and make its lines safe.

CI logs can be hundreds of megabytes, may contain binary output (a core dump cat-ed by a test,
a compressed artefact printed by mistake), invalid UTF-8, and terminal escape sequences
(colours, cursor movement, OSC window titles). The cause of a failure is nearly always near the
end, so triage only ever looks at a bounded tail:

- `read_tail` seeks to `size - max_bytes` and reads at most `max_bytes`, then drops the partial
  first line so the tail starts at a line boundary.
- `clip_tail` does the same for bytes already in memory.
- `tail_text` decodes with replacement (never raises) and sanitises every line
  (`cockpit.text.sanitize`), so no escape sequence survives into evidence or onto a screen.
"""

from __future__ import annotations

import io
import os
import re
from collections import deque
from typing import Protocol

from cockpit.text import sanitize

DEFAULT_TAIL_BYTES = 256 * 1024
"""How much of a log triage reads by default: the last 256 KiB."""

MAX_LINE_CHARS = 4000
"""Longer lines are cut before matching, so one giant binary "line" cannot stall a regex."""

_CHUNK = 64 * 1024


class BinaryReader(Protocol):
    """What `read_tail` needs of a file object: any binary file, a socket file, a wrapper."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seekable(self) -> bool: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...


# Prefixes CI systems put before every line: timestamps (GitHub Actions / Azure Pipelines,
# GitLab's timestamped runner output, Jenkins' timestamper plugin) and GitLab section markers.
_CI_PREFIX = re.compile(
    r"""
    ^(?:
        \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?(?:\s+\d\d[OE]\+?)?\s?
      | \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?\]\s?
      | \[?\d\d:\d\d:\d\d(?:\.\d+)?\]?\s
    )?
    (?:section_(?:start|end):\d+:[\w.\[\]=,-]+\s*)*
    """,
    re.VERBOSE,
)


def read_tail(
    source: str | os.PathLike[str] | BinaryReader, max_bytes: int = DEFAULT_TAIL_BYTES
) -> bytes:
    """Return at most the last `max_bytes` of a log, starting at a line boundary.

    A seekable source is read with one seek and reads totalling at most `max_bytes`; a
    non-seekable stream (a pipe) has to be read through, but only the last `max_bytes` are kept.
    If the tail does not start at the beginning of the file, the partial first line is dropped;
    a tail with no newline at all (one enormous line) is returned as is rather than as nothing.

    Args:
        source: A path, or a binary file object (left open, position moved).
        max_bytes: The most bytes to read; must be positive.

    Raises:
        ValueError: `max_bytes` is not positive.
        OSError: The file cannot be opened or read.
    """
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            return _tail_of(handle, max_bytes)
    return _tail_of(source, max_bytes)


def _tail_of(handle: BinaryReader, max_bytes: int) -> bytes:
    if not _seekable(handle):
        return _tail_of_stream(handle, max_bytes)
    size = handle.seek(0, io.SEEK_END)
    start = max(0, size - max_bytes)
    handle.seek(start)
    parts: list[bytes] = []
    remaining = size - start
    while remaining > 0:
        chunk = handle.read(min(_CHUNK, remaining))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return _from_line_boundary(b"".join(parts), cut=start > 0)


def _seekable(handle: BinaryReader) -> bool:
    try:
        return bool(handle.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def _tail_of_stream(handle: BinaryReader, max_bytes: int) -> bytes:
    kept: deque[bytes] = deque()
    kept_bytes = 0
    dropped = False
    while chunk := handle.read(_CHUNK):
        kept.append(chunk)
        kept_bytes += len(chunk)
        while kept_bytes - len(kept[0]) >= max_bytes:
            kept_bytes -= len(kept.popleft())
            dropped = True
    data = b"".join(kept)
    if len(data) > max_bytes:
        data, dropped = data[-max_bytes:], True
    return _from_line_boundary(data, cut=dropped)


def clip_tail(data: bytes, max_bytes: int = DEFAULT_TAIL_BYTES) -> bytes:
    """Return the last `max_bytes` of `data`, starting at a line boundary (like `read_tail`)."""
    if len(data) <= max_bytes:
        return data
    return _from_line_boundary(data[-max_bytes:], cut=True)


def _from_line_boundary(data: bytes, *, cut: bool) -> bytes:
    if not cut:
        return data
    newline = data.find(b"\n")
    if newline < 0:
        return data
    return data[newline + 1 :]


def tail_text(data: bytes) -> list[str]:
    """Split a log tail into display-safe lines.

    Invalid UTF-8 becomes U+FFFD, `\\r\\n` and `\\n` end lines, and every line is sanitised:
    no escape sequences (CSI colours, OSC titles, ...) and no control characters but tab.
    Lines longer than `MAX_LINE_CHARS` are cut.
    """
    text = data.decode("utf-8", errors="replace")
    return [sanitize(line[: MAX_LINE_CHARS * 2])[:MAX_LINE_CHARS] for line in text.split("\n")]


def strip_ci_prefix(line: str) -> str:
    """Drop a CI timestamp and GitLab section markers from the start of a sanitised line."""
    prefix = _CI_PREFIX.match(line)
    return (line[prefix.end() :] if prefix else line).strip()
