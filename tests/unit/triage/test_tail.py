"""Reading a bounded log tail: never the whole file, always from a line boundary, always safe."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from cockpit.triage.tail import MAX_LINE_CHARS, clip_tail, read_tail, strip_ci_prefix, tail_text

MB = 1024 * 1024


class CountingFile(io.RawIOBase):
    """Wraps a binary file and counts every byte handed out, to prove what was read."""

    def __init__(self, inner: Any, *, seekable: bool = True) -> None:
        self.inner = inner
        self._seekable = seekable
        self.bytes_read = 0
        self.whole_reads = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        return int(self.inner.seek(offset, whence))

    def tell(self) -> int:
        return int(self.inner.tell())

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            self.whole_reads += 1
        data = self.inner.read(size)
        self.bytes_read += len(data)
        return bytes(data)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_reads_only_max_bytes_of_a_100_mb_sparse_log(tmp_path: Path) -> None:
    log = tmp_path / "huge.log"
    ending = b"step 1\nstep 2\n##[error]No space left on device\nFinished: FAILURE\n"
    with log.open("wb") as handle:
        handle.write(b"first line of a very long log\n")
        handle.seek(100 * MB - len(ending) - 1)
        handle.write(b"\n" + ending)  # the gap in between is a sparse hole of NUL bytes
    assert log.stat().st_size == 100 * MB

    max_bytes = 64 * 1024
    with log.open("rb") as raw:
        counting = CountingFile(raw)
        tail = read_tail(counting, max_bytes)

    assert counting.bytes_read <= max_bytes
    assert counting.whole_reads == 0
    assert tail.endswith(ending)
    assert len(tail) <= max_bytes


def test_path_input_and_a_small_file_is_returned_whole(tmp_path: Path) -> None:
    log = tmp_path / "small.log"
    log.write_bytes(b"one\ntwo\nthree\n")
    assert read_tail(log, 1024) == b"one\ntwo\nthree\n"
    assert read_tail(str(log), 1024) == b"one\ntwo\nthree\n"


def test_a_cut_tail_starts_at_a_line_boundary() -> None:
    data = b"alpha line\nbravo line\ncharlie line\n"
    tail = read_tail(io.BytesIO(data), 20)  # starts inside "bravo line"
    assert tail == b"charlie line\n"
    assert clip_tail(data, 20) == b"charlie line\n"
    assert clip_tail(data, 1000) == data


def test_a_tail_without_any_newline_is_kept_rather_than_dropped() -> None:
    data = b"x" * 5000
    assert read_tail(io.BytesIO(data), 100) == b"x" * 100


def test_a_non_seekable_stream_keeps_only_the_last_max_bytes() -> None:
    data = b"".join(b"line %06d\n" % n for n in range(50_000))
    stream = CountingFile(io.BytesIO(data), seekable=False)
    tail = read_tail(stream, 1000)
    assert len(tail) <= 1000
    assert tail.endswith(b"line 049999\n")
    assert tail.startswith(b"line ")


def test_max_bytes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        read_tail(io.BytesIO(b"x"), 0)


def test_tail_text_decodes_invalid_utf8_and_strips_escape_sequences() -> None:
    data = (
        b"\x1b]0;evil title\x07plain \x1b[31mred\x1b[0m text\r\n"
        b"bad bytes \xff\xfe\xc3( here\n"
        b"bell\x07 and backspace\x08 and NUL\x00\n"
        b"\x1b]52;c;ZXZpbA==\x07clipboard write\n"
    )
    lines = tail_text(data)
    assert lines[0] == "plain red text"
    assert lines[1].startswith("bad bytes \ufffd")
    assert lines[2].split() == ["bell", "and", "backspace", "and", "NUL"]
    assert lines[3] == "clipboard write"
    for line in lines:
        assert not any(ord(ch) < 0x20 and ch != "\t" for ch in line)
        assert "\x1b" not in line and "\x9b" not in line


def test_tail_text_cuts_giant_lines() -> None:
    (line,) = tail_text(b"y" * (MAX_LINE_CHARS * 5))
    assert len(line) == MAX_LINE_CHARS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-11-20T10:15:15.5901221Z ##[error]Process completed", "##[error]Process completed"),
        (
            "[2024-11-22T10:01:44.620Z] ERROR: script returned exit code 1",
            "ERROR: script returned exit code 1",
        ),
        ("2024-11-20T10:15:15.590122Z 01O $ npm ci", "$ npm ci"),
        ("section_start:1732097107:step_script Executing step", "Executing step"),
        ("section_end:1732097151:step_script", ""),
        ("10:15:02 + make test", "+ make test"),
        ("E       assert 1 == 2", "E       assert 1 == 2"),
    ],
)
def test_strip_ci_prefix(raw: str, expected: str) -> None:
    assert strip_ci_prefix(raw) == expected
