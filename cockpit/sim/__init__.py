"""The demo world: loopback simulators that speak real wire protocols, driven by a scenario.

`cockpit demo` runs the real adapters against these servers. Each simulator is built from a
`Scenario` (pure functions of scenario time) and a `SimServer` (the quiet loopback HTTP server).
"""

from cockpit.sim.github import GitHubSim
from cockpit.sim.scenario import Scenario
from cockpit.sim.server import Request, Response, Router, SimServer

__all__ = ["GitHubSim", "Request", "Response", "Router", "Scenario", "SimServer"]
