"""Pilot fixtures: an app over a scripted feed and a frozen clock, and a notification recorder."""

from __future__ import annotations

from typing import Any

import pytest

from cockpit.clock import FakeClock
from screens.app import CockpitApp, make_app
from tests.pilot.fakes import FakeFeed, fake_clock, fresh_snapshot, make_config


class Notes:
    """Every `App.notify` call, so tests can assert that no toast was raised."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, message: str, **kwargs: Any) -> None:
        self.calls.append((message, kwargs))


@pytest.fixture
def clock() -> FakeClock:
    return fake_clock()


@pytest.fixture
def feed() -> FakeFeed:
    return FakeFeed([fresh_snapshot()])


@pytest.fixture
def app(feed: FakeFeed, clock: FakeClock) -> CockpitApp:
    """A staging dashboard whose feed publishes the fresh snapshot when started."""
    return make_app(make_config(), feed, clock, show_clock=False)


@pytest.fixture
def notes(app: CockpitApp, monkeypatch: pytest.MonkeyPatch) -> Notes:
    recorder = Notes()
    monkeypatch.setattr(app, "notify", recorder)
    return recorder
