"""First-paint detection: a marker counts only when a terminal emulator shows it on screen."""

from __future__ import annotations

from bench.pty_harness import OutputLog, ScreenWatcher, all_of

CSI = b"\x1b["


def test_marker_drawn_with_cursor_moves_and_colours_is_detected() -> None:
    watcher = ScreenWatcher(40, 5)
    watcher.feed(CSI + b"?1049h" + CSI + b"2J" + CSI + b"3;10H" + CSI + b"38;5;208mPipe")
    assert not watcher.shows(all_of("Pipelines"))
    watcher.feed(b"lines" + CSI + b"0m" + CSI + b"4;1HLogs")
    assert watcher.shows(all_of("Pipelines", "Logs"))
    assert watcher.text().splitlines()[2] == "         Pipelines"


def test_marker_in_the_byte_stream_but_overwritten_is_not_on_screen() -> None:
    watcher = ScreenWatcher(20, 3)
    watcher.feed(b"Readiness" + CSI + b"1;1H" + b"XXXXXXXXX")
    assert not watcher.shows(all_of("Readiness"))


def test_marker_wider_than_the_screen_wraps_and_is_not_found_on_one_line() -> None:
    watcher = ScreenWatcher(5, 3)
    watcher.feed(b"Rollout")
    assert not watcher.shows(all_of("Rollout"))
    assert watcher.text().splitlines()[:2] == ["Rollo", "ut"]


def test_every_marker_must_be_present() -> None:
    watcher = ScreenWatcher(30, 2)
    watcher.feed(b"Pipelines Readiness")
    assert watcher.shows(all_of("Pipelines"))
    assert not watcher.shows(all_of("Pipelines", "Logs"))


def test_output_log_counts_bytes_in_a_half_open_window() -> None:
    log = OutputLog()
    for at, size in ((1.0, 10), (2.0, 20), (3.0, 40)):
        log.add(at, size)
    assert log.total == 70
    assert log.bytes_between(1.0, 3.0) == 30
    assert log.bytes_between(3.5, 9.0) == 0
