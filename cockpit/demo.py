"""`cockpit demo`: the real cockpit against the simulated release on loopback.

The simulators speak the vendors' wire protocols; the demo config is an ordinary config whose
source URLs point at them. From there on, the demo takes exactly the production code path:
config -> factory -> adapters -> engine -> App (launched by the CLI, like any config's TUI).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

from cockpit.clock import ScaledClock
from cockpit.config.loader import load_config
from cockpit.config.models import Config
from cockpit.paths import data_file
from cockpit.readiness.live import ReadinessTracker
from cockpit.session import Session, engine_session
from cockpit.sim.world import DemoWorld


def demo_config(urls: dict[str, str]) -> Config:
    """The shipped demo config with each simulated source pointed at its simulator."""
    config = load_config(data_file("demo.yaml"))
    sources = {
        name: source.model_copy(update={"url": urls[name]}) if name in urls else source
        for name, source in config.sources.items()
    }
    return config.model_copy(update={"sources": sources})


def open_demo(resources: ExitStack, clock: ScaledClock, *, read_only: bool) -> Session:
    """Start the simulated world and build the session for it (a `SessionBuild`).

    The world and the demo's state directory are entered into `resources`, which closes them
    when the TUI is done.
    """
    world = resources.enter_context(DemoWorld(clock))
    # The demo's ticks and waivers live as long as the demo: every run starts the story afresh.
    state = resources.enter_context(tempfile.TemporaryDirectory(prefix="cockpit-demo-"))
    config = demo_config(world.urls)
    tracker = ReadinessTracker(config, clock, state_path=Path(state) / "readiness.jsonl")
    return engine_session(config, clock, os.environ, read_only=read_only, readiness=tracker)
