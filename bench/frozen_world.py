"""The real cockpit App against a world whose data never changes.

`world_config` builds an ordinary `Config` (through `Config.model_validate`, like a YAML file
would be) of `sources` GitHub sources, each polled every `interval` and serving
`services_per_source` services, all pointing at one frozen simulator (`bench.sim_server`, which
answers `acme/<service>--<n>` as the scenario's `acme/<service>`).

Run as a program it is the cockpit's TUI on that world: the real `PollEngine` on the real clock
(so it really polls every `interval`), the real App from `screens.app.make_app`, with or without
the header clock. The simulator runs in another process, so this process's CPU and memory are
the cockpit's alone:

    python -m bench.frozen_world --github-url http://127.0.0.1:PORT --sources 50 --interval 10s
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from cockpit.config.models import Config

SCENARIO_SERVICES = ("checkout", "payments", "billing", "search")
TITLE = "BENCH: frozen world"


def service_name(index: int) -> str:
    """The n-th service of the fleet: `checkout-000`, `payments-001`, ..."""
    return f"{SCENARIO_SERVICES[index % len(SCENARIO_SERVICES)]}-{index:03d}"


def world_config(
    github_url: str,
    *,
    sources: int,
    services_per_source: int = 1,
    interval: str = "10s",
    timeout: str = "10s",
) -> Config:
    """`sources` GitHub sources x `services_per_source` services, all on one simulator."""
    raw: dict[str, Any] = {
        "environment": "bench",
        "read_only": True,
        "release": {"name": "checkout 2.14.0 (frozen)", "ref": "v2.14.0"},
        "sources": {
            f"gh{s:02d}": {
                "kind": "github",
                "url": github_url,
                "interval": interval,
                "timeout": timeout,
            }
            for s in range(sources)
        },
        "services": [],
        "gates": [{"kind": "ci_green", "service": service_name(0)}],
    }
    for index in range(sources * services_per_source):
        base = SCENARIO_SERVICES[index % len(SCENARIO_SERVICES)]
        raw["services"].append(
            {
                "name": service_name(index),
                "ci": {
                    "source": f"gh{index % sources:02d}",
                    "repo": f"acme/{base}--{index:03d}",
                    "branch": "main",
                },
            }
        )
    return Config.model_validate(raw)


def run_app(
    github_url: str, *, sources: int, services_per_source: int, interval: str, show_clock: bool
) -> int:
    """The cockpit's TUI on the frozen world, started the way `cockpit` starts it.

    The frame is drawn first; the engine is built after it, in the App's start-up thread
    (`cockpit.session.engine_session`, as for any config).
    """
    from contextlib import ExitStack

    from cockpit.clock import SystemClock
    from cockpit.session import Session, SessionStarter, engine_session
    from screens.app import make_starting_app

    config = world_config(
        github_url, sources=sources, services_per_source=services_per_source, interval=interval
    )
    clock = SystemClock()

    def build(_resources: ExitStack) -> Session:
        return engine_session(config, clock, os.environ, read_only=True)

    with SessionStarter(build) as starter:
        app = make_starting_app(starter.start, clock, title=TITLE, show_clock=show_clock)
        app.run()
    return app.return_code or 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.frozen_world", description=__doc__)
    parser.add_argument("--github-url", required=True, help="the frozen simulator's URL")
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--services-per-source", type=int, default=1)
    parser.add_argument("--interval", default="10s")
    parser.add_argument("--no-clock", action="store_true", help="hide the header clock")
    args = parser.parse_args(argv)
    return run_app(
        args.github_url,
        sources=args.sources,
        services_per_source=args.services_per_source,
        interval=args.interval,
        show_clock=not args.no_clock,
    )


if __name__ == "__main__":
    raise SystemExit(main())
