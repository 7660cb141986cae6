"""`cockpit status [--json]`: poll every configured source once and print the snapshot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TextIO

from cockpit.clock import Clock, SystemClock
from cockpit.commands.report import render_status_report
from cockpit.config.discovery import find_config
from cockpit.config.loader import load_config
from cockpit.config.models import Config
from cockpit.errors import ConfigError
from cockpit.models import Snapshot

EXIT_OK, EXIT_USAGE = 0, 2


def load_discovered_config(
    cli_path: str | None, environ: Mapping[str, str], stderr: TextIO
) -> Config | None:
    """The config from --config / $COCKPIT_CONFIG / XDG, or None after saying where we looked."""
    path, looked = find_config(cli_path, environ)
    if path is None:
        stderr.write("cockpit: no config found. Looked in:\n")
        for place in looked:
            stderr.write(f"  {place}\n")
        stderr.write(
            "hint: run `cockpit init` to write a commented starter config, "
            "or `cockpit demo` to try the cockpit on a simulated release\n"
        )
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        stderr.write(f"cockpit: {exc.message}\n")
        for problem in exc.problems:
            stderr.write(f"{problem}\n")
        if exc.hint:
            stderr.write(f"hint: {exc.hint}\n")
        return None


async def poll_once(
    config: Config, environ: Mapping[str, str], clock: Clock | None = None
) -> Snapshot:
    """Every source polled once, concurrently, with the production adapters.

    `clock` sets the time queries are evaluated at (Prometheus `time=`) and ages are judged by.
    """
    from cockpit.sources.factory import build_engine

    engine = build_engine(config, clock or SystemClock(), environ)
    try:
        return await engine.poll_once()
    finally:
        await engine.stop()


def cmd_status(
    config_path: str | None,
    as_json: bool,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str],
) -> int:
    config = load_discovered_config(config_path, environ, stderr)
    if config is None:
        return EXIT_USAGE
    snapshot = asyncio.run(poll_once(config, environ))
    if as_json:
        stdout.write(json.dumps(snapshot.to_json(), indent=2) + "\n")
    else:
        stdout.write(render_status_report(snapshot) + "\n")
    return EXIT_OK
