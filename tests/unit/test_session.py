"""`SessionStarter`: one build, from any thread; what it opened is released exactly once."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import pytest

from cockpit.config.models import Config
from cockpit.errors import CockpitError
from cockpit.session import Session, SessionStarter
from tests.pilot.fakes import FakeFeed


def test_what_the_build_opened_is_released_when_the_starter_closes() -> None:
    released: list[str] = []

    def build(resources: ExitStack) -> Session:
        resources.callback(released.append, "world")
        return Session(Config(), FakeFeed(), read_only=True)

    with SessionStarter(build) as starter:
        session = starter.start()
        assert session.read_only and released == []
    assert released == ["world"]


def test_a_failed_build_releases_what_it_opened_at_once() -> None:
    released: list[str] = []

    def build(resources: ExitStack) -> Session:
        resources.callback(released.append, "world")
        raise CockpitError("no simulator port left")

    starter = SessionStarter(build)
    with pytest.raises(CockpitError, match="no simulator port"):
        starter.start()
    assert released == ["world"]
    starter.close()
    assert released == ["world"]


def test_close_waits_for_a_build_still_running() -> None:
    """The operator quit while the session was being built: nothing is released under it."""
    entered, finish = threading.Event(), threading.Event()
    events: list[str] = []

    def build(resources: ExitStack) -> Session:
        resources.callback(events.append, "released")
        entered.set()
        finish.wait(5)
        events.append("built")
        return Session(Config(), FakeFeed(), read_only=True)

    starter = SessionStarter(build)
    thread = threading.Thread(target=starter.start)
    thread.start()
    assert entered.wait(5)
    closer = threading.Thread(target=starter.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive() and events == []
    finish.set()
    closer.join(5)
    thread.join(5)
    assert events == ["built", "released"]


def test_a_closed_starter_builds_nothing() -> None:
    calls: list[int] = []

    def build(resources: ExitStack) -> Session:
        calls.append(1)
        return Session(Config(), FakeFeed(), read_only=True)

    starter = SessionStarter(build)
    starter.close()
    with pytest.raises(CockpitError, match="shutting down"):
        starter.start()
    assert calls == []
