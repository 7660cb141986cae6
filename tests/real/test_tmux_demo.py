"""`cockpit demo` in a real terminal (tmux): the four panes render, keys work, `q` exits cleanly."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.real.tmux import TmuxSession

COCKPIT = f"{sys.executable} -m cockpit"
PANES = ("Pipelines", "Readiness", "Rollout", "Logs")


@pytest.fixture(params=[(120, 40), (80, 24)], ids=["120x40", "80x24"])
def demo(request: pytest.FixtureRequest) -> Iterator[TmuxSession]:
    width, height = request.param
    session = TmuxSession(
        f"{COCKPIT} demo --speed 20",
        width=width,
        height=height,
        env={"TERM": "xterm-256color", "PYTHONPATH": str(Path.cwd())},
    ).start()
    yield session
    session.kill()


def test_demo_shows_four_panes_with_live_pipelines(demo: TmuxSession) -> None:
    screen = demo.wait_for(lambda s: all(p in s for p in PANES) and "checkout" in s)
    assert "DEMO" in screen.upper()


def test_keys_zoom_help_and_quit(demo: TmuxSession) -> None:
    demo.wait_for(lambda s: all(p in s for p in PANES))
    demo.send("3")
    # Pane titles are numbered; a toast may mention a pane by name, a title never repeats.
    zoomed = demo.wait_for(lambda s: "3 Rollout" in s and "1 Pipelines" not in s)
    assert "2 Readiness" not in zoomed and "4 Logs" not in zoomed
    demo.send("Escape")
    demo.wait_for(lambda s: all(p in s for p in PANES))
    demo.send("?")
    demo.wait_for(lambda s: "Keys" in s or "keys" in s)
    demo.send("Escape")
    demo.wait_for(lambda s: all(p in s for p in PANES))
    demo.send("q")
    final = demo.wait_for(lambda s: "COCKPIT-EXITED-" in s, timeout=10)
    assert "COCKPIT-EXITED-0" in final
    assert "Traceback" not in final


def cockpit_processes(root_pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(root_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p for p in children if "cockpit" in " ".join(p.cmdline())]


def test_killing_the_terminal_leaves_no_cockpit_behind(demo: TmuxSession) -> None:
    demo.wait_for(lambda s: all(p in s for p in PANES))
    (cockpit,) = cockpit_processes(demo.pane_pid())
    demo.kill()  # the terminal disappears, as when an SSH session drops
    deadline = time.monotonic() + 2.0
    while cockpit.is_running() and cockpit.status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, f"cockpit {cockpit.pid} still running 2 s after hang-up"
        time.sleep(0.05)
