"""`cockpit demo`: the real cockpit against the simulated release on loopback.

The simulators speak the vendors' wire protocols; the demo config is an ordinary config whose
source URLs point at them. From there on, the demo takes exactly the production code path:
config -> factory -> adapters -> engine -> App (launched by the CLI, like any config's TUI).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cockpit.clock import ScaledClock
from cockpit.config.loader import load_config
from cockpit.config.models import Config
from cockpit.engine.engine import PollEngine
from cockpit.paths import data_file
from cockpit.readiness.live import ReadinessTracker
from cockpit.sim.world import DemoWorld


def demo_config(urls: dict[str, str]) -> Config:
    """The shipped demo config with each simulated source pointed at its simulator."""
    config = load_config(data_file("demo.yaml"))
    sources = {
        name: source.model_copy(update={"url": urls[name]}) if name in urls else source
        for name, source in config.sources.items()
    }
    return config.model_copy(update={"sources": sources})


@dataclass(frozen=True)
class DemoSession:
    """Everything the TUI needs to play the demo: an ordinary config, engine and tracker."""

    config: Config
    engine: PollEngine
    clock: ScaledClock
    readiness: ReadinessTracker


@contextmanager
def demo_session(speed: float = 1.0) -> Iterator[DemoSession]:
    """Start the simulated world and the engine for it; tear both down afterwards."""
    from cockpit.sources.factory import build_engine

    clock = ScaledClock(speed=speed)
    # The demo's ticks and waivers live as long as the demo: every run starts the story afresh.
    with DemoWorld(clock) as world, tempfile.TemporaryDirectory(prefix="cockpit-demo-") as state:
        config = demo_config(world.urls)
        engine = build_engine(config, clock, os.environ)
        tracker = ReadinessTracker(config, clock, state_path=Path(state) / "readiness.jsonl")
        yield DemoSession(config, engine, clock, tracker)
