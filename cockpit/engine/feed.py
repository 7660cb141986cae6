"""The interface between the engine and anything that shows its snapshots (the TUI, the CLI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cockpit.models import Snapshot

SnapshotCallback = Callable[[Snapshot], None]


class SnapshotFeed(Protocol):
    """Something that publishes snapshots: the real `PollEngine`, or a fake in tests."""

    def snapshot(self) -> Snapshot:
        """The latest snapshot (freshness ages computed now)."""
        ...

    def subscribe(self, callback: SnapshotCallback) -> None:
        """Call `callback` with every new snapshot (on the engine's event loop)."""
        ...

    async def start(self) -> None:
        """Begin polling every source on its schedule (returns at once)."""
        ...

    async def stop(self) -> None:
        """Stop polling and close the HTTP client; safe to call twice."""
        ...

    async def refresh(self, source: str | None = None) -> None:
        """Poll now (one source or all), without overlapping a poll already running."""
        ...
