"""`cockpit demo`: the real cockpit against the simulated release on loopback.

The simulators speak the vendors' wire protocols; the demo config is an ordinary config whose
source URLs point at them. From there on, the demo takes exactly the production code path:
config -> factory -> adapters -> engine -> App.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cockpit.clock import ScaledClock
from cockpit.config.loader import load_config
from cockpit.config.models import Config
from cockpit.paths import data_file
from cockpit.sim.world import DemoWorld


def demo_config(urls: dict[str, str]) -> Config:
    """The shipped demo config with each simulated source pointed at its simulator."""
    config = load_config(data_file("demo.yaml"))
    sources = {
        name: source.model_copy(update={"url": urls[name]}) if name in urls else source
        for name, source in config.sources.items()
    }
    return config.model_copy(update={"sources": sources})


def run_demo(*, speed: float = 1.0, read_only: bool = False, show_clock: bool = True) -> int:
    """Start the simulated world, run the TUI against it, and tear everything down."""
    from cockpit.ci_actions import CiActions
    from cockpit.readiness.live import ReadinessTracker
    from cockpit.sources.factory import build_engine

    clock = ScaledClock(speed=speed)
    # The demo's ticks and waivers live as long as the demo: every run starts the story afresh.
    with DemoWorld(clock) as world, tempfile.TemporaryDirectory(prefix="cockpit-demo-") as state:
        config = demo_config(world.urls)
        engine = build_engine(config, clock, os.environ)
        tracker = ReadinessTracker(config, clock, state_path=Path(state) / "readiness.jsonl")
        # A sanctioned upward import (see the import contracts): Textual loads only for the TUI.
        from screens.app import make_app

        app = make_app(
            config,
            engine,
            clock,
            read_only=read_only or config.read_only,
            title="DEMO: simulated release",
            show_clock=show_clock,
            readiness=tracker,
            ci=CiActions.from_adapters(engine.adapters, clock),
        )
        app.run()
        return app.return_code or 0
