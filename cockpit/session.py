"""What the TUI runs on (a `Session`), and how it is built after the first frame is on screen.

Building a session is the slow part of start-up: the config models, the HTTP stack, the
adapters, the readiness tracker (and for the demo, the simulated world). The TUI draws its frame
first and builds the session in a thread; `SessionStarter` runs that build once and releases
whatever it opened (simulators, temporary state) when the TUI is done, even when the operator
quit while the build was still running.

This module stays light on purpose: it is imported before the first frame.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from cockpit.ci_actions import CiActions
    from cockpit.clock import Clock
    from cockpit.config.models import Config
    from cockpit.engine.feed import SnapshotFeed
    from cockpit.readiness.live import ReadinessTracker


@dataclass(frozen=True)
class Session:
    """Everything the TUI shows and acts through."""

    config: Config
    feed: SnapshotFeed
    """What publishes snapshots (the poll engine, or a fake in tests)."""
    read_only: bool
    """True: no mutating action is bound."""
    ci: CiActions | None = None
    """The CI adapters for drill-down and re-run; None: the run screen shows the run only."""
    readiness: ReadinessTracker | None = None
    """Ticks, waivers and local gates; None: the App makes the default tracker."""


SessionBuild = Callable[[ExitStack], Session]
"""Builds a session; anything it opens that needs closing it enters into the given stack."""


class SessionStarter:
    """Runs one `SessionBuild` (from any thread) and closes what it opened at the end.

    `close` waits for a build still running, so resources are never released under it, and a
    build that starts after `close` refuses to run.
    """

    def __init__(self, build: SessionBuild) -> None:
        self._build = build
        self._resources = ExitStack()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> Session:
        """Build the session; what a failed build opened is released at once.

        Raises:
            CockpitError: The starter was closed already.
            Exception: Whatever the build raised.
        """
        with self._lock:
            if self._closed:
                raise CockpitError("the cockpit is shutting down", title="Not started")
            try:
                return self._build(self._resources)
            except BaseException:
                self._resources.close()
                raise

    def close(self) -> None:
        """Release everything the build opened (after waiting for a build still running)."""
        with self._lock:
            self._closed = True
            self._resources.close()

    def __enter__(self) -> SessionStarter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def engine_session(
    config: Config,
    clock: Clock,
    environ: Mapping[str, str],
    *,
    read_only: bool,
    readiness: ReadinessTracker | None = None,
) -> Session:
    """The session for a config: its poll engine, CI actions and readiness tracker.

    Args:
        config: The loaded config.
        clock: The clock the engine, ages and the header read.
        environ: Where `{env: ...}` secrets are looked up.
        read_only: The `--read-only` flag; the config's `read_only` counts too.
        readiness: The tracker to use; None: one for the config's release, for the login user,
            persisted under `$XDG_STATE_HOME`.
    """
    from cockpit.ci_actions import CiActions
    from cockpit.readiness.live import ReadinessTracker
    from cockpit.sources.factory import build_engine

    engine = build_engine(config, clock, environ)
    return Session(
        config,
        engine,
        read_only=read_only or config.read_only,
        ci=CiActions.from_adapters(engine.adapters, clock),
        readiness=readiness or ReadinessTracker(config, clock),
    )
