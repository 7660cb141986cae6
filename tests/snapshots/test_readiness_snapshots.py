"""What the Readiness pane looks like: NO-GO with evidence, GO, and a waived gate.

Deterministic: a scripted feed with fixed data, a `FakeClock` frozen at 10:00:00 UTC, the header
clock off, operator "alice", the state file and the smoke script in the test's own directory.
At 80x24 the pane is zoomed (`2`), as on-call does to read evidence; at 120x40 it is one quarter
of the dashboard, with the focus moved into it (`tab`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from cockpit.models import Snapshot
from cockpit.models.readiness import GateVerdict
from screens.app import CockpitApp, make_app
from tests.pilot.fakes import FakeFeed, fake_clock
from tests.pilot.readiness_world import (
    MANUAL,
    SIGNED,
    SMOKE,
    image,
    no_go_snapshot,
    passing_snapshot,
    readiness_config,
    tracker,
)

SnapCompare = Callable[..., bool]

NARROW = (80, 24)
WIDE = (120, 40)
SIZES = pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])


def focus_gate(size: tuple[int, int], index: int) -> list[str]:
    """Keys that show the Readiness pane with the cursor on gate `index`."""
    return ["2" if size == NARROW else "tab", *["down"] * index]


def app_for(tmp_path: Path, snapshot: Snapshot, *, ready: bool, waive: bool = False) -> CockpitApp:
    """The cockpit over `snapshot`; `ready`: the manual gate ticked and the smoke test passed."""
    clock = fake_clock()
    config = readiness_config()
    tracked = tracker(config, clock, tmp_path)
    if ready:
        tracked.tick(MANUAL)
        outcome = asyncio.run(tracked.run_command(SMOKE))
        assert outcome.verdict is GateVerdict.PASS
    if waive:
        tracked.evaluate(snapshot)
        tracked.waive(SIGNED, "cosign outage; digest checked by hand against the build log")
        tracked.take_change()  # decided before this session: not news on screen
    feed = FakeFeed([snapshot])
    return make_app(config, feed, clock, show_clock=False, readiness=tracked)


@SIZES
def test_readiness_no_go_with_evidence(
    snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]
) -> None:
    """NO-GO: the image is not signed and CheckoutLatencyHigh fires; the cursor on the signature.

    A reviewer should see: a red reversed banner "✖ NO-GO: 2 blockers" followed, muted, by
    "Image signed: checkout, Alerts quiet (am)"; seven rows in config order, each a glyph and a
    word ("✔ pass" green, "✖ FAIL" red and bold with the title in red, "? unknown" plain, never
    green), then the title and the one-line reason ("no signature for sha256:4e1f…", "1 alert
    firing: CheckoutLatencyHigh", "not ticked yet", "not run yet"); under a rule titled
    "Evidence: Image signed: checkout · e: full values", "why: ✖ FAIL no signature for
    sha256:4e1f0c2a9b7d…", "source: registry, fetched <1m ago", then image,
    tag, present yes, the digest shortened to "sha256:4e1f0c2a9b7d…", the media type and both
    platforms. At 80x24 the pane fills the screen (zoomed); at 120x40 it is the top-right quarter.
    The footer offers "space Tick  w Waive  x Run check". No toast.
    """
    app = app_for(tmp_path, no_go_snapshot(), ready=False)
    assert snap_compare(app, terminal_size=size, press=focus_gate(size, SIGNED))


@SIZES
def test_readiness_go(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """GO: everything passed, the manual gate ticked by alice, the smoke test run.

    A reviewer should see: a green reversed banner "✔ GO" then, muted, "7 passed"; every row
    "✔ pass" in green with a muted reason ("ticked by alice at 2026-11-23 10:00 UTC",
    "exit status 0", "no firing alerts"); the evidence of the first gate (CI green: checkout)
    with "ref: v2.14.0" and "runs: ci #9001 success". No toast: the first verdict is not news.
    """
    app = app_for(tmp_path, passing_snapshot(), ready=True)
    assert snap_compare(app, terminal_size=size, press=focus_gate(size, 0))


@SIZES
def test_readiness_waived_gate(
    snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]
) -> None:
    """GO with one waiver: the unsigned image was waived by alice; the cursor on it.

    A reviewer should see: the banner "✔ GO" then "6 passed, 1 waived"; the signature row
    unlike every pass: "≈ WAIVED" in yellow/orange capitals, its reason "by alice: cosign
    outage; digest checked by hand…"; the evidence listing "waived by: alice at 10:00 UTC",
    "waiver reason: cosign outage; digest checked by hand against the build log", and
    "failure: no signature for sha256:4e1f0c2a9b7d…".
    """
    unsigned = replace(passing_snapshot(), artifacts=(image(signed=False),))
    app = app_for(tmp_path, unsigned, ready=True, waive=True)
    assert snap_compare(app, terminal_size=size, press=focus_gate(size, SIGNED))
