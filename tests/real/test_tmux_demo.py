"""`cockpit demo` in a real terminal (tmux): the four panes render, keys work, `q` exits cleanly."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

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
    zoomed = demo.wait_for(lambda s: "Rollout" in s and "Pipelines" not in s)
    assert "Readiness" not in zoomed
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
