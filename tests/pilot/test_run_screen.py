"""The run screen: drill-down from a Pipelines row, the log tail, live follow, `o`, `R`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from rich.style import Style
from textual.pilot import Pilot

from cockpit.ci_actions import CiActions
from cockpit.clock import FakeClock
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import PipelineRun, RunStatus, Snapshot
from cockpit.present.tone import Tone
from screens.app import CockpitApp, make_app
from screens.confirm_rerun import ConfirmRerun
from screens.run_screen import RunScreen, browser_available
from tests.pilot.conftest import Notes
from tests.pilot.fakes import START, FakeFeed, fresh_sources, make_config
from tests.pilot.run_fakes import (
    CHECKOUT_FAILED,
    LIVE_TAIL_BYTES,
    PAYMENTS_RUNNING,
    FakeCI,
    FakeGitHubCI,
    FakeLiveCI,
    GrowingLog,
    VirtualLog,
    checkout_jobs,
    github_log,
    history_snapshot,
    running_job,
)
from widgets.log_view import LogView

WIDE = (240, 40)  # wide enough that no log line wraps: one screen line per log line


def snapshot_of(*runs: PipelineRun) -> Snapshot:
    return Snapshot(taken_at=START, sources=fresh_sources(), pipelines=runs)


def build(
    clock: FakeClock,
    adapters: dict[str, Any],
    *,
    snapshot: Snapshot | None = None,
    read_only: bool = False,
) -> CockpitApp:
    feed = FakeFeed([snapshot or history_snapshot()])
    ci = CiActions(adapters, clock)
    config = make_config(read_only=read_only)
    return make_app(config, feed, clock, show_clock=False, ci=ci)


def github_fake(**logs: str) -> FakeGitHubCI:
    return FakeGitHubCI("gh", checkout_jobs(), {"702": github_log(), "701": "lint ok\n", **logs})


async def open_first_run(pilot: Pilot[None]) -> RunScreen:
    """Enter on the highlighted (first, failing) row; wait for the jobs and the log."""
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RunScreen)
    return screen


async def settle(pilot: Pilot[None], rounds: int = 4) -> None:
    """Let workers run and the log view flush its batch (200 ms)."""
    for _ in range(rounds):
        await pilot.pause(0.06)


def log_text(screen: RunScreen) -> list[str]:
    return [strip.text.rstrip() for strip in screen.log_view.lines]


def selected_key(screen: RunScreen) -> str | None:
    return screen._cursor_key()


def cells(screen: RunScreen) -> list[str]:
    table = screen.table
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


# -- drill-down ------------------------------------------------------------------------------


async def test_enter_opens_the_run_with_the_failing_step_selected(clock: FakeClock) -> None:
    gh = github_fake()
    app = build(clock, {"gh": gh})
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        assert screen.run.run_id == CHECKOUT_FAILED.run_id
        assert selected_key(screen) == "step:702:4"
        assert "✖ failure" in cells(screen)[8] and "5. test" in cells(screen)[8]
        assert screen.shown_job is not None and screen.shown_job.job_id == "702"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.dashboard


async def test_moving_to_another_job_shows_its_log(clock: FakeClock) -> None:
    app = build(clock, {"gh": github_fake()})
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        await pilot.press(*["up"] * 6)  # from "5. test" of job 702 to the steps of "lint"
        await settle(pilot)
        assert screen.shown_job is not None and screen.shown_job.job_id == "701"
        assert log_text(screen) == ["  lint ok"]
        await pilot.press("down")  # back onto job 702
        await settle(pilot)
        assert any(line.startswith("▶ FAILED") for line in log_text(screen))


async def test_the_log_tail_highlights_evidence_and_failure_markers(clock: FakeClock) -> None:
    app = build(clock, {"gh": github_fake()})
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        lines = log_text(screen)
        evidence = [line for line in lines if line.startswith("▶ ")]
        markers = [line for line in lines if line.startswith("! ")]
        assert evidence == [
            "▶ FAILED tests/test_refunds.py::test_partial_refund_rounding - AssertionError: "
            "assert Decimal('10.01') == Decimal('10.00')",
            "▶ Process completed with exit code 1.",
        ]
        assert any("E       AssertionError" in line for line in markers)
        assert "▸ Run test" in lines and not any("2026-11-23T" in line for line in lines)
        # Evidence is drawn in the error tone, bold; plain lines are not.
        error = screen.palette[Tone.ERROR]
        assert isinstance(error, Style) and error.color is not None
        strip = screen.log_view.lines[lines.index(evidence[0])]
        styles = [seg.style for seg in strip if seg.text.strip()]
        assert styles and all(s is not None and s.bold and s.color == error.color for s in styles)


async def test_escape_sequences_in_job_names_and_logs_are_stripped(clock: FakeClock) -> None:
    gh = github_fake()
    gh.jobs_now = checkout_jobs(test_name="test\x1b]0;pwned\x07 \x1b[31m(3.11)\x1b[0m\x9b2J")
    hostile_log = github_log("\x1b[2J\x1b[Hcleared? \x1b]52;c;Y29weQ==\x07 \x1b[5mblink\x1b[0m")
    gh.logs["702"] = hostile_log
    run = replace(CHECKOUT_FAILED, name="ci\x1b]2;title\x07")
    app = build(clock, {"gh": gh}, snapshot=snapshot_of(run))
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        shown = [*cells(screen), *log_text(screen)]
        assert "test (3.11)" in cells(screen)[3]
        assert "  cleared?  blink" in log_text(screen)
        assert not any(ch in line for line in shown for ch in ("\x1b", "\x07", "\x9b"))
        assert not any("pwned" in line or "Y29weQ" in line for line in shown)
        assert "ci #9001" in str(screen.query_one("#summary").render())


async def test_a_100_mb_log_is_not_read_whole(clock: FakeClock) -> None:
    huge = VirtualLog(lines=1024 * 1024)  # 100 MiB, computed on demand
    assert huge.size == 100 * 1024 * 1024
    failed = replace(running_job("880"), status=RunStatus.FAILURE)
    live = FakeLiveCI("gl", [failed], {"880": huge})
    run = replace(PAYMENTS_RUNNING, status=RunStatus.FAILURE)
    app = build(clock, {"gl": live}, snapshot=snapshot_of(run))
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        assert huge.asked <= LIVE_TAIL_BYTES and huge.returned <= LIVE_TAIL_BYTES
        assert live.job_log_calls == 0
        lines = log_text(screen)
        assert lines[-1].startswith("  line 001048575")
        assert len(lines) <= LIVE_TAIL_BYTES // huge.width
        assert "the end of the log" in screen.state_text.plain


# -- live follow ------------------------------------------------------------------------------


async def test_live_follow_appends_only_new_lines_in_batches(clock: FakeClock) -> None:
    log = GrowingLog()
    log.write("".join(f"boot {i}\n" for i in range(5)))
    live = FakeLiveCI("gl", [running_job("880")], {"880": log})
    app = build(clock, {"gl": live}, snapshot=snapshot_of(PAYMENTS_RUNNING))
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        assert log_text(screen) == [f"  boot {i}" for i in range(5)]
        assert "following live, new lines every 2s" in screen.state_text.plain
        view = screen.query_one(LogView)
        before = view.batches_written
        log.write("".join(f"step {i}\n" for i in range(50)) + "partial")
        await clock.advance(2)
        await settle(pilot)
        assert log_text(screen) == [f"  boot {i}" for i in range(5)] + [
            f"  step {i}" for i in range(50)
        ]
        assert view.batches_written == before + 1, "50 lines, one batch, one repaint"
        await clock.advance(2)  # nothing new: nothing written
        await settle(pilot)
        assert view.batches_written == before + 1
        log.write(" line done\n")
        await clock.advance(2)
        await settle(pilot)
        assert log_text(screen)[-1] == "  partial line done"
        assert view.batches_written == before + 2
        assert all(cursor is not None for cursor in live.cursors[1:])


async def test_leaving_the_run_screen_stops_the_follow(clock: FakeClock) -> None:
    log = GrowingLog()
    log.write("boot\n")
    live = FakeLiveCI("gl", [running_job("880")], {"880": log})
    app = build(clock, {"gl": live}, snapshot=snapshot_of(PAYMENTS_RUNNING))
    async with app.run_test(size=WIDE) as pilot:
        await open_first_run(pilot)
        await clock.advance(2)
        await settle(pilot)
        reads = log.reads
        assert reads >= 2
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.dashboard
        for _ in range(3):
            await clock.advance(2)
            await settle(pilot, rounds=1)
        assert log.reads == reads, "no request after the screen is gone"
        assert clock.pending_sleepers() == 0


async def test_github_running_job_says_there_is_no_live_log(clock: FakeClock) -> None:
    gh = FakeGitHubCI("gh", [running_job("990", "build")], {"990": "compiled\nlinked\n"})
    run = replace(PAYMENTS_RUNNING, provider="github", source="gh")
    app = build(clock, {"gh": gh}, snapshot=snapshot_of(run))
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        assert screen.state_text.plain == (
            "GitHub has no live log API: the log appears when the job completes"
        )
        assert gh.log_calls == 0 and log_text(screen) == []
        gh.finish("990", RunStatus.SUCCESS)
        await clock.advance(10)
        await settle(pilot)
        assert log_text(screen) == ["  compiled", "  linked"]
        assert "job finished: ✔ success" in screen.state_text.plain


async def test_a_rate_limited_request_says_until_when(clock: FakeClock) -> None:
    class Limited(FakeCI):
        async def jobs(self, run: PipelineRun) -> tuple[Any, ...]:
            raise SourceError(
                ErrorKind.RATE_LIMITED,
                "gh: API rate limit exceeded",
                source="gh",
                retry_after_s=720,
            )

    app = build(clock, {"gh": Limited("gh", [])}, snapshot=snapshot_of(CHECKOUT_FAILED))
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        assert screen.state_text.plain.startswith("✖ gh: rate limited until 10:12")


# -- open in browser -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({}, "linux", False),  # a bastion: no display, and console browsers would take over
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"DISPLAY": "localhost:10.0", "SSH_CONNECTION": "a 1 b 22"}, "linux", False),
        ({}, "darwin", True),
        ({"SSH_TTY": "/dev/pts/3"}, "darwin", False),
    ],
)
def test_a_browser_is_opened_only_with_a_display_of_our_own(
    environ: dict[str, str], platform: str, expected: bool
) -> None:
    assert browser_available(environ, platform) is expected


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def record(url: str) -> bool:
        calls.append(url)
        return True

    monkeypatch.setattr("screens.run_screen.open_in_browser", record)
    return calls


async def test_o_shows_the_url_and_opens_nothing_without_a_display(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5 10.0.0.2 22")
    app = build(clock, {"gh": github_fake()})
    notes = Notes()
    monkeypatch.setattr(app, "notify", notes)
    async with app.run_test(size=WIDE) as pilot:
        await open_first_run(pilot)
        await pilot.press("o")
        await settle(pilot)
    (message, options), *_ = [
        call for call in notes.calls if call[1].get("title") == "Open in browser"
    ]
    assert message.startswith("https://github.com/acme/checkout/actions/runs/9001/job/702")
    assert "no display here" in message and options["markup"] is False
    assert opened == []


async def test_o_opens_a_browser_where_there_is_a_display(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    for name in ("SSH_CONNECTION", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    app = build(clock, {"gh": github_fake()})
    async with app.run_test(size=WIDE) as pilot:
        await open_first_run(pilot)
        await pilot.press("o")
        await settle(pilot)
    assert opened == ["https://github.com/acme/checkout/actions/runs/9001/job/702"]


# -- re-run ----------------------------------------------------------------------------------


async def test_R_confirms_exactly_what_will_run_then_reruns_once(clock: FakeClock) -> None:
    gh = github_fake()
    app = build(clock, {"gh": gh})
    async with app.run_test(size=WIDE) as pilot:
        await open_first_run(pilot)
        await pilot.press("R")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmRerun)
        assert dict(modal.plan.lines()) == {
            "provider": "GitHub Actions",
            "repository": "acme/checkout",
            "run": "9001",
            "commit": "abc1234",
            "action": "re-run failed jobs of run 9001 (and the jobs that depend on them), "
            "as a new attempt",
        }
        assert "Nothing else is paused" in str(modal.query_one("#nothing-else").render())
        await pilot.press("y")
        await settle(pilot)
        assert gh.reruns == [("9001", None)]
        assert isinstance(app.screen, RunScreen)


@pytest.mark.parametrize("keys", [["escape"], ["n"], ["enter"]], ids=["escape", "n", "enter"])
async def test_cancelling_the_confirmation_reruns_nothing(
    clock: FakeClock, keys: Sequence[str]
) -> None:
    gh = github_fake()
    app = build(clock, {"gh": gh})
    async with app.run_test(size=WIDE) as pilot:
        await open_first_run(pilot)
        await pilot.press("R")
        await pilot.pause()
        await pilot.press(*keys)  # enter presses the focused button: Cancel
        await settle(pilot)
        assert gh.reruns == []
        assert isinstance(app.screen, RunScreen)


async def test_read_only_does_not_bind_R(clock: FakeClock) -> None:
    gh = github_fake()
    app = build(clock, {"gh": gh}, read_only=True)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        assert "R" not in screen.active_bindings
        assert not any(b.binding.id == "cockpit.run.rerun" for b in screen.active_bindings.values())
        await pilot.press("R")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmRerun)
        assert gh.reruns == []


async def test_R_is_not_offered_where_the_system_cannot_rerun(clock: FakeClock) -> None:
    class NoRerun(FakeGitHubCI):
        SUPPORTS_RERUN = False

    gh = NoRerun("gh", checkout_jobs(), {"702": github_log()})
    app = build(clock, {"gh": gh})
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        assert screen.check_action("rerun", ()) is False
        await pilot.press("R")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmRerun)


async def test_a_failed_rerun_is_a_toast_with_what_to_do(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Refused(FakeGitHubCI):
        async def rerun_failed(self, run: PipelineRun) -> None:
            raise SourceError(
                ErrorKind.AUTH,
                "gh: not allowed to re-run run 9001",
                source="gh",
                hint="actions:write",
            )

    app = build(clock, {"gh": Refused("gh", checkout_jobs(), {"702": github_log()})})
    notes = Notes()
    monkeypatch.setattr(app, "notify", notes)
    async with app.run_test(size=WIDE) as pilot:
        await open_first_run(pilot)
        await pilot.press("R", "y")
        await settle(pilot)
    (message, _), *_ = [c for c in notes.calls if c[1].get("severity") == "error"]
    assert "not allowed to re-run" in message and "actions:write" in message


async def test_no_ci_actions_still_opens_the_run_with_its_url(clock: FakeClock) -> None:
    app = make_app(make_config(), FakeFeed([history_snapshot()]), clock, show_clock=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_first_run(pilot)
        assert "o shows the run's URL" in screen.state_text.plain
        assert screen.check_action("rerun", ()) is False
        await asyncio.sleep(0)
