"""`sanitize`: plain text passes untouched (fast path); anything a terminal acts on is removed."""

from __future__ import annotations

import pytest

from cockpit.text import sanitize


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  deploy checkout  ", "deploy checkout"),
        ("3f2a9c1", "3f2a9c1"),
        (
            "https://github.com/acme/checkout/actions/runs/7",
            "https://github.com/acme/checkout/actions/runs/7",
        ),
        ("café ✓ 日本", "café ✓ 日本"),
    ],
)
def test_plain_text_is_only_trimmed(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean
    assert sanitize(raw, keep_newlines=True) == raw


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # CSI colours
        ("\x9b31mred", "red"),  # the 8-bit CSI
        ("\x1b]0;owned\x07title", "title"),  # OSC: retitle the terminal
        ("\x1b]52;c;ZXZpbA==\x1b\\paste", "paste"),  # OSC 52: write the clipboard
        ("a\x00b\x7fc", "a b c"),  # C0 and DEL become spaces on one line
        ("line one\r\nline two", "line one line two"),
        ("tab\tkept", "tab\tkept"),
        ("bad \udcff byte", "bad \ufffd byte"),
    ],
)
def test_anything_a_terminal_acts_on_is_removed(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean


def test_newlines_survive_only_when_asked() -> None:
    assert sanitize("one\ntwo\x1b[2J", keep_newlines=True) == "one\ntwo"
    assert sanitize(b"one\r\ntwo\xff", keep_newlines=True) == "one\ntwo\ufffd"
