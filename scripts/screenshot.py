"""Render the demo at a fixed scenario moment (T+2m50s) to an SVG, for the README.

Usage: .venv/bin/python scripts/screenshot.py docs/screenshot.svg [WIDTH HEIGHT]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from cockpit.ci_actions import CiActions
from cockpit.clock import FakeClock
from cockpit.demo import demo_config
from cockpit.readiness.live import ReadinessTracker
from cockpit.sim.world import DemoWorld
from cockpit.sources.factory import build_engine
from screens.app import make_app

MOMENT_S = 170


async def render(path: str, width: int, height: int) -> None:
    clock = FakeClock()
    with DemoWorld(clock) as world, tempfile.TemporaryDirectory() as state:
        await clock.advance(MOMENT_S)
        world.advance()
        config = demo_config(world.urls)
        engine = build_engine(config, clock, {})
        tracker = ReadinessTracker(config, clock, state_path=Path(state) / "readiness.jsonl")
        app = make_app(
            config,
            engine,
            clock,
            title="DEMO: simulated release",
            show_clock=False,
            readiness=tracker,
            ci=CiActions.from_adapters(engine.adapters, clock),
        )
        async with app.run_test(size=(width, height)) as pilot:
            await engine.poll_once()
            await pilot.pause(1.5)
            app.save_screenshot(path)


if __name__ == "__main__":
    size = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (120, 40)
    asyncio.run(render(sys.argv[1], *size))
