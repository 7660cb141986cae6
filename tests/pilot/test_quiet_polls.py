"""A poll that changed nothing the panes draw repaints nothing (idle must be silent over SSH)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from cockpit.present.snapshot_view import display_key
from screens.app import CockpitApp
from tests.pilot.fakes import FakeFeed, fresh_snapshot, troubled_snapshot
from widgets.pane import Pane


def repolled(seconds: float):  # type: ignore[no-untyped-def]
    """The fresh snapshot after another round of 304s: new fetch times and counters only."""
    base = fresh_snapshot()
    later = base.taken_at + timedelta(seconds=seconds)
    sources = tuple(
        replace(s, fetched_at=later, age_s=0.0, requests=s.requests + 3, not_modified=3)
        for s in base.sources
    )
    return replace(base, taken_at=later, sources=sources)


def test_display_key_ignores_what_only_ticks_and_sees_what_is_drawn() -> None:
    assert display_key(fresh_snapshot()) == display_key(repolled(10))
    assert display_key(fresh_snapshot()) != display_key(troubled_snapshot())


async def test_an_unchanged_poll_redraws_no_pane_and_a_change_does(
    app: CockpitApp, feed: FakeFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    redraws: list[str] = []
    original = Pane.redraw

    def counting(self: Pane, *, force: bool = False) -> None:
        redraws.append(self.id or "")
        original(self, force=force)

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        monkeypatch.setattr(Pane, "redraw", counting)
        feed.publish(repolled(10))  # may still show local gates that reported since the start
        await pilot.pause()
        redraws.clear()
        feed.publish(repolled(20))
        await pilot.pause()
        assert redraws == []
        assert app.dashboard.pane("pipelines").snapshot.taken_at == repolled(20).taken_at
        feed.publish(troubled_snapshot())
        await pilot.pause()
        assert set(redraws) == {"pipelines", "readiness", "rollout", "logs"}
