"""What the cockpit looks like, at 80x24 (on-call over SSH), 120x40 and 200x60.

Deterministic: a scripted feed with fixed data, a `FakeClock` frozen at 10:00:00 UTC (the header
clock shows it and never moves), no blinking cursor, Textual pinned exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from screens.app import CockpitApp, make_app
from tests.pilot.fakes import (
    FakeFeed,
    fake_clock,
    fresh_snapshot,
    make_config,
    troubled_snapshot,
)

SnapCompare = Callable[..., bool]

NARROW = (80, 24)
WIDE = (120, 40)
HUGE = (200, 60)


def fresh_app(**config: Any) -> CockpitApp:
    return make_app(make_config(**config), FakeFeed([fresh_snapshot()]), fake_clock())


def troubled_app() -> CockpitApp:
    config = make_config(environment="production", read_only=True)
    return make_app(config, FakeFeed([troubled_snapshot()]), fake_clock())


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
def test_dashboard_fresh(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Staging, all CI sources fresh.

    A reviewer should see: a grey header "Release Cockpit | staging | checkout 2.14.0 @ v2.14.0"
    and 10:00:00 UTC; four titled panes (stacked at 80x24, Pipelines twice as tall; a 2x2 grid at
    120x40); Pipelines' status line "gh gl jk ✓ fresh <1m" in green; the failing checkout run
    first (red "✖ failure"), then running payments with its step, queued, success; Readiness
    under a reversed plain (never green) banner "? UNKNOWN: 9 gates unknown" naming them, every
    gate "? unknown" with its reason ("no CI run found for v2.14.0": the runs are on main,
    "source registry was not polled", "not ticked yet", ...) and, at 120x40 only, the evidence
    of CI green (at 80x24 the stacked pane has room for two rows only); Rollout "k8s ? unknown:
    no data yet" in neutral grey, never green; Logs listing three specs; footer "⏎ Open 1234 zoom /
    Filter r Refresh ? Help q Quit". At 80x24 Pipelines has the compact columns with "recent"
    and "pass" (empty and "-": these runs carry no history) and "detail" (7m11s, the step).
    """
    assert snap_compare(fresh_app(), terminal_size=size)


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
def test_dashboard_failing_and_stale(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Production, read-only, with gh failing on auth, jk stale and k8s unreachable.

    A reviewer should see: the whole header red with PRODUCTION in capitals (reversed) and an
    orange READ-ONLY badge; Pipelines' status line on a red tint, starting "gh ✖ FAILING: auth
    (401 Bad credentials)" then "jk ! STALE 4m"; the four runs still listed (last good data
    kept); Rollout's status line red with "k8s ✖ FAILING: unreachable (connection refused)";
    no toast or dialog anywhere.
    """
    assert snap_compare(troubled_app(), terminal_size=size)


def test_dashboard_huge(snap_compare: SnapCompare) -> None:
    """200x60, failing and stale.

    A reviewer should see: the 2x2 grid; Pipelines (97 cells wide: too narrow for every column
    plus a readable step / triage column) with the compact columns service, status, pipeline,
    age, recent, pass, detail, and "4 runs" on its bottom border; full status lines including
    "data 3m old" for the failing source.
    """
    assert snap_compare(troubled_app(), terminal_size=HUGE)


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
def test_help(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """The help screen after `?`.

    A reviewer should see: a box titled "Help" over the dashboard listing Keys (1-4 zoom,
    escape unzoom, / filter, tab, shift+tab, r refresh, ? help, ctrl+p palette, q / ^c quit),
    then "Keys in a pane": space / w / x / e for Readiness (tick, waive, run check, full
    evidence), then (scrolled out of view at 80x24, visible at 120x40) the Panes with what each
    answers and the glyph legend; "escape closes" on the bottom border.
    """
    assert snap_compare(fresh_app(), terminal_size=size, press=["question_mark"])


def test_zoomed_pipelines_narrow(snap_compare: SnapCompare) -> None:
    """80x24 after `1`: the Pipelines pane full screen.

    A reviewer should see: the header and the footer still there (the footer now offering
    "esc Unzoom"), the Pipelines pane filling everything between them, no other pane.
    """
    assert snap_compare(troubled_app(), terminal_size=NARROW, press=["1"])


def test_zoomed_pipelines_wide(snap_compare: SnapCompare) -> None:
    """120x40 after `1`: wide enough for every pipeline column.

    A reviewer should see: one full-width Pipelines pane with all ten columns (service, status,
    pipeline, branch, commit, age, took, recent, pass, step / triage) and no horizontal
    scrollbar, the other panes gone, header and footer kept.
    """
    assert snap_compare(fresh_app(), terminal_size=WIDE, press=["1"])


def test_filter_open(snap_compare: SnapCompare) -> None:
    """120x40 after `/` and typing "check".

    A reviewer should see: only the two checkout runs in Pipelines, "2 of 4 runs" on its bottom
    border, and a one-line filter input at the foot of the pane showing "check" with a steady
    (not blinking) cursor.
    """
    assert snap_compare(fresh_app(), terminal_size=WIDE, press=["slash", *"check"])


def test_no_color(snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch) -> None:
    """80x24 with NO_COLOR set, failing and stale, production.

    A reviewer should see: no colour at all, and every state still readable from glyphs and
    words alone: "✖ FAILING: auth", "! STALE 4m", "✓ fresh", "? unknown", "✖ failure",
    "● running", PRODUCTION and READ-ONLY in the header.
    """
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(troubled_app(), terminal_size=NARROW)


def test_ansi_theme(snap_compare: SnapCompare) -> None:
    """80x24 in the `ansi-dark` theme (the terminal's own 16 colours), failing and stale.

    A reviewer should see: the same screen as the failing-and-stale snapshot drawn with the
    terminal's ANSI palette: a red production header, red FAILING, yellow STALE, green fresh,
    unknown in the default colour.
    """

    def use_ansi_theme(pilot: Pilot[None]) -> None:
        pilot.app.theme = "ansi-dark"

    assert snap_compare(troubled_app(), terminal_size=NARROW, run_before=use_ansi_theme)
