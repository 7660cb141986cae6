"""The Pipelines pane with history and triage, and the run screen, at 80x24 and 120x40.

Deterministic: a scripted feed with fixed runs (durations, outcomes, triage), fake CI adapters
with fixed jobs and logs, a `FakeClock` frozen at 10:00:00 UTC, no header clock, Textual pinned.
The Pipelines pane is zoomed (`1`) so these snapshots show only what the drill-down feature
draws, whatever the other panes do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot

from cockpit.ci_actions import CiActions
from cockpit.models import Snapshot
from screens.app import CockpitApp, make_app
from tests.pilot.fakes import START, FakeFeed, fake_clock, fresh_sources, make_config
from tests.pilot.run_fakes import (
    PAYMENTS_RUNNING,
    FakeGitHubCI,
    checkout_jobs,
    github_log,
    history_snapshot,
    running_job,
)

SnapCompare = Callable[..., bool]

NARROW = (80, 24)
WIDE = (120, 40)


def history_app(
    adapters: dict[str, Any] | None = None, snapshot: Snapshot | None = None
) -> CockpitApp:
    clock = fake_clock()
    if adapters is None:
        adapters = {"gh": FakeGitHubCI("gh", checkout_jobs(), {"702": github_log(), "701": ""})}
    feed = FakeFeed([snapshot or history_snapshot()])
    ci = CiActions(adapters, clock)
    return make_app(make_config(), feed, clock, show_clock=False, ci=ci)


async def open_run(pilot: Pilot[None]) -> None:
    """Enter on the first (failing) row, then let the jobs and the log load and flush."""
    await pilot.pause()
    await pilot.press("enter")
    for _ in range(5):
        await pilot.pause(0.06)


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
def test_pipelines_with_history_and_triage(
    snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    """The Pipelines pane zoomed (`1`), four runs with history.

    A reviewer should see: checkout "✖ failure" first, then reports "✖ failure", payments
    "● running", billing "✔ success". At 80x24 (compact) the columns are service, status,
    pipeline, age, "recent" (a block sparkline of the last 6 durations), "pass" (19/20, 4/5,
    7/8, 18/20) and "detail": checkout "code: route to Da…" and reports "infra: re-run" in
    yellow, payments "integration tests" (the running step, in blue), billing "5m12s
    +12%". At 120x40 every column fits without a horizontal scrollbar: branch, commit, "took"
    ("4m06s +11%", "3m17s +9%", "5m12s +12%"; running payments has no change yet), a
    10-run sparkline, pass, and "step / triage" with "code: route to Dana Lee,…" cut by an
    ellipsis. The footer offers "⏎ Open" and, even at 80 columns, still "q Quit".
    """
    assert snap_compare(history_app(), terminal_size=size, press=["1"])


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
def test_run_screen_failing_step_and_log(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Enter on the failing checkout run.

    A reviewer should see: the header "Run · checkout | staging"; "✖ failure  ci #9001 ·
    checkout · main @ abc1234 · started 12m ago" (status and title red), "took 4m06s, +11% vs
    median · passed 19/20 recent · GitHub Actions", and "triage  code: route to Dana Lee,
    author of abc1234" in yellow. The jobs list (at 80x24 above the log, at 120x40 on the
    left) with job "test (3.11)" in bold and the step "5. test" selected (highlighted row,
    "✖ failure"), "6. publish" "⊘ cancelled". A grey line "the log of test (3.11) · 18
    lines", then the end of the log: no timestamps, "▸ Run test" headings in blue, "!" lines
    (the assert, "E  AssertionError", "1 failed") in yellow, and the two triage evidence
    lines ("▶ FAILED tests/test_refunds.py::…", "▶ Process completed with exit code 1.") in
    bold red. Footer: "esc Back  o Open in browser  R Re-run failed".
    """
    assert snap_compare(history_app(), terminal_size=size, run_before=open_run)


def test_rerun_confirmation(snap_compare: SnapCompare) -> None:
    """80x24, `R` on the failing checkout run.

    A reviewer should see: a box titled "Re-run failed jobs?" in the warning colour over the
    run screen, listing provider "GitHub Actions", repository "acme/checkout", run "9001",
    commit "abc1234", action "re-run failed jobs of run 9001 (and the jobs that depend on
    them), as a new attempt"; the sentence "Only this is asked of the CI system. Nothing else
    is paused or changed: polling and the other panes carry on."; buttons "Re-run (y)" and
    "Cancel (esc)", Cancel focused.
    """

    async def open_and_ask(pilot: Pilot[None]) -> None:
        await open_run(pilot)
        await pilot.press("R")
        await pilot.pause()

    assert snap_compare(history_app(), terminal_size=NARROW, run_before=open_and_ask)


def test_github_running_job_has_no_live_log(snap_compare: SnapCompare) -> None:
    """80x24, a GitHub Actions run in progress.

    A reviewer should see: "● running  build-and-test #5531", "running for 3m05s · passed 7/8
    recent · GitHub Actions", no triage line; the job "integration" with its step
    "2. integration tests" "● running" selected; the line above the (empty) log saying, in
    blue, "GitHub has no live log API: the log appears when the job completes".
    """
    run = replace(PAYMENTS_RUNNING, provider="github", source="gh")
    snapshot = Snapshot(taken_at=START, sources=fresh_sources(), pipelines=(run,))
    adapter = FakeGitHubCI("gh", [running_job("990")], {"990": "compiled\n"})
    app = history_app({"gh": adapter}, snapshot)
    assert snap_compare(app, terminal_size=NARROW, run_before=open_run)
