"""Remote text is untrusted: strip terminal control sequences before it reaches any screen.

Log lines, job names and commit messages come from other people's systems. An escape sequence
in them could move the cursor, retitle the terminal (OSC 0/2), write the clipboard (OSC 52),
or hide text. `sanitize` removes every ESC/CSI/OSC/DCS sequence and C0/C1 control character
except tab and (optionally) newline, and turns invalid UTF-8 into U+FFFD.
"""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC (terminated by BEL or ST),
# and two-character escapes. The 8-bit C1 forms (0x9b CSI, 0x9d OSC, ...) are handled too.
_SEQUENCES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?                  # CSI ... final byte
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)  # OSC, DCS, SOS, PM, APC
  | \x1b[ -/]*[0-~]?                                    # other escapes (ESC 7, ESC c, ...)
    """,
    re.VERBOSE | re.DOTALL,
)
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# Any character the slow path could change: every sequence starts with one of these.
_NEEDS_WORK = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_NO_NEWLINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def sanitize(text: str | bytes, *, keep_newlines: bool = False) -> str:
    """Return `text` safe to display: no escape sequences, no control characters but tab.

    Args:
        text: Remote text, as str or raw bytes (decoded as UTF-8 with replacement).
        keep_newlines: Keep `\\n` (for multi-line logs); otherwise newlines become spaces.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    elif not _NEEDS_WORK.search(text):
        # Most remote text (names, SHAs, URLs) is plain: one scan instead of four passes.
        return text if keep_newlines else text.strip()
    elif _SURROGATES.search(text):
        # A lone surrogate (e.g. "\\udcff" in remote JSON) cannot be encoded to the terminal.
        text = _SURROGATES.sub("\ufffd", text)
    text = _SEQUENCES.sub("", text)
    text = text.replace("\r\n", "\n")
    if keep_newlines:
        return _CONTROLS.sub("", text)
    return _CONTROLS_NO_NEWLINE.sub(" ", text.replace("\n", " ")).strip()
