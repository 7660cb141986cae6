"""PtyProcess: a real child in a fixed-size pty, timed to its marker, quit with a key."""

from __future__ import annotations

import os
import sys

from bench.pty_harness import PtyProcess, all_of, terminal_env

CHILD = r"""
import os, sys, termios, time, tty
cols, rows = os.get_terminal_size(0)
tty.setraw(0)
time.sleep(0.2)
sys.stdout.write(f"\x1b[2;3HSIZE {cols}x{rows} TERM={os.environ['TERM']} READY")
sys.stdout.flush()
key = os.read(0, 1)
sys.stdout.write(f"\x1b[3;1Hgot {key!r}")
sys.stdout.flush()
raise SystemExit(0 if key == b"q" else 3)
"""


def test_child_sees_the_fixed_size_and_term_and_quits_on_q() -> None:
    env = terminal_env(os.environ)
    with PtyProcess([sys.executable, "-c", CHILD], cols=100, rows=30, env=env) as proc:
        painted = proc.wait_for(all_of("READY"), timeout=15)
        assert painted is not None and painted >= 0.2
        assert "SIZE 100x30 TERM=xterm-256color READY" in proc.screen_text()
        assert proc.screen_text().splitlines()[1].startswith("  SIZE")
        code, seconds = proc.quit_and_wait(b"q", timeout=10)
        assert code == 0
        assert seconds < 10
        assert proc.output.total > 0
        assert proc.cpu_seconds() >= 0.0


def test_wait_for_gives_up_when_the_marker_never_comes() -> None:
    env = terminal_env(os.environ)
    argv = [sys.executable, "-c", "import time; print('nothing here'); time.sleep(5)"]
    with PtyProcess(argv, cols=40, rows=5, env=env) as proc:
        assert proc.wait_for(all_of("READY"), timeout=0.5) is None
        assert "nothing here" in proc.screen_text()


def test_terminal_env_sets_term_and_drops_overrides() -> None:
    env = terminal_env({"TERM": "dumb", "NO_COLOR": "1", "COLUMNS": "80", "PATH": "/bin"})
    assert env["TERM"] == "xterm-256color"
    assert "NO_COLOR" not in env and "COLUMNS" not in env
    assert env["PATH"] == "/bin"
