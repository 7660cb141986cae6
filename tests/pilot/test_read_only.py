"""Read-only mode does not bind mutating actions at all; reading actions stay bound."""

from __future__ import annotations

from typing import ClassVar

import pytest
from textual.binding import Binding, BindingType

from cockpit.clock import FakeClock
from cockpit.session import Session
from screens.app import CockpitApp, make_app
from tests.pilot.fakes import FakeFeed, make_config
from widgets.mutating import (
    MutatingBinding,
    bind_mutating,
    bindable,
    mutating_binding_ids,
    unbind_mutating,
)
from widgets.pane import Pane
from widgets.pipelines_pane import PipelinesPane

RERUN = MutatingBinding("R", "rerun", "Rerun", id="test.rerun")


class AppWithRerun(CockpitApp):
    """The cockpit plus one mutating key, as later changes will add (rerun a failed job)."""

    BINDINGS: ClassVar[list[BindingType]] = [RERUN]

    def __init__(self, *, read_only: bool, clock: FakeClock) -> None:
        session = Session(make_config(), FakeFeed(), read_only=read_only)
        super().__init__(session, clock, show_clock=False)
        self.reruns = 0

    def action_rerun(self) -> None:
        self.reruns += 1


class PaneWithPromote(PipelinesPane):
    BINDINGS: ClassVar[list[BindingType]] = [
        MutatingBinding("P", "promote", "Promote", id="test.promote"),
        Binding("x", "noop", "Harmless", id="test.noop"),
    ]


def all_binding_ids(node: object) -> set[str]:
    return {b.id for _, b in node._bindings if b.id}  # type: ignore[attr-defined]


def test_bindable_filters_mutating_bindings_only_when_read_only() -> None:
    harmless = Binding("r", "refresh", "Refresh", id="x.refresh")
    assert bindable([harmless, RERUN], read_only=False) == [harmless, RERUN]
    assert bindable([harmless, RERUN], read_only=True) == [harmless]


def test_a_mutating_binding_needs_an_id() -> None:
    with pytest.raises(ValueError, match="needs an id"):
        MutatingBinding("R", "rerun", "Rerun")


def test_mutating_ids_are_found_through_inheritance() -> None:
    class Child(PaneWithPromote):
        pass

    assert mutating_binding_ids(Child) == {"test.promote"}
    assert mutating_binding_ids(PipelinesPane) == frozenset()


def test_unbind_mutating_removes_them_from_a_live_node() -> None:
    pane = PaneWithPromote(make_config())
    assert {"test.promote", "test.noop", "pane.close_filter"} <= all_binding_ids(pane)
    assert unbind_mutating(pane) == 1
    assert "test.promote" not in all_binding_ids(pane)
    assert {"test.noop", "pane.close_filter"} <= all_binding_ids(pane)
    read_only = PaneWithPromote(make_config(), read_only=True)
    assert "test.promote" not in all_binding_ids(read_only)


async def test_read_only_app_does_not_bind_the_mutating_key(clock: FakeClock) -> None:
    app = AppWithRerun(read_only=True, clock=clock)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "R" not in app.dashboard.active_bindings
        assert "Rerun" not in dict((d, k) for k, d in app.bound_keys())
        await pilot.press("R")
        await pilot.pause()
        assert app.reruns == 0
        # Reading stays allowed: refresh is bound in read-only mode.
        assert "r" in app.dashboard.active_bindings


async def test_writable_app_binds_the_mutating_key(clock: FakeClock) -> None:
    app = AppWithRerun(read_only=False, clock=clock)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "R" in app.dashboard.active_bindings
        await pilot.press("R")
        await pilot.pause()
        assert app.reruns == 1


async def test_no_node_of_the_read_only_cockpit_binds_a_mutating_action(clock: FakeClock) -> None:
    app = make_app(make_config(read_only=True), FakeFeed(), clock)
    assert app.read_only
    async with app.run_test() as pilot:
        await pilot.pause()
        nodes = [app, app.dashboard, *app.dashboard.walk_children()]
        for node in nodes:
            assert not (all_binding_ids(node) & mutating_binding_ids(type(node))), node
        assert all(isinstance(pane, Pane) for pane in app.dashboard.panes)


def test_bind_mutating_gives_back_only_the_mutating_bindings() -> None:
    pane = PaneWithPromote(make_config(), read_only=True)
    before = all_binding_ids(pane)
    assert bind_mutating(pane) == 1
    assert all_binding_ids(pane) == before | {"test.promote"}
    assert bind_mutating(pane) == 0  # already bound: nothing doubles
