"""The App's side of readiness: evaluate, announce verdict changes, and act on gates.

`ReadinessControl` connects a headless `ReadinessTracker` to the App. Every snapshot, operator
action and age tick is evaluated into the snapshot the dashboard shows (`Snapshot.gates` and
`Snapshot.verdict`); a verdict change rings the bell and raises one notification.

The local gates refresh at start and then `LOCAL_REFRESH_S` after each refresh completes (a
one-shot timer set when a refresh ends), so refreshes never overlap and no worker runs forever.
Operator actions (tick, waive, run) are checked by the tracker; a refusal is a toast that says
what to do next.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.notifications import SeverityLevel
from textual.timer import Timer

from cockpit.models import Snapshot
from cockpit.models.readiness import GateVerdict, Verdict
from cockpit.present.readiness import gate_badge, verdict_notice
from cockpit.readiness import GateActionError
from cockpit.readiness.live import LOCAL_REFRESH_S, ReadinessTracker
from screens.confirm_command import ConfirmCommand
from screens.waive_modal import WaiveModal
from widgets.readiness_pane import GateAction

if TYPE_CHECKING:
    from screens.app import CockpitApp

logger = logging.getLogger(__name__)

NOTICE_SECONDS = 10.0
"""How long a verdict change stays on screen."""

_SEVERITY: dict[Verdict, SeverityLevel] = {
    Verdict.GO: "information",
    Verdict.NO_GO: "error",
    Verdict.UNKNOWN: "warning",
}


class ReadinessControl:
    """Owns the App's readiness work; the App calls it from a few one-line hooks."""

    def __init__(self, app: CockpitApp, tracker: ReadinessTracker) -> None:
        self.app = app
        self.tracker = tracker
        self._raw: Snapshot | None = None
        self._next_refresh: Timer | None = None

    # -- evaluation -----------------------------------------------------------------------------

    def assess(self, snapshot: Snapshot) -> Snapshot:
        """`snapshot` with every gate's result and the verdict; announces a verdict change."""
        self._raw = snapshot
        results, final = self.tracker.evaluate(snapshot)
        change = self.tracker.take_change()
        if change is not None:
            before, after = change
            self.app.bell()
            self.app.notify(
                verdict_notice(before, after, results),
                title="Readiness verdict changed",
                severity=_SEVERITY[after],
                timeout=NOTICE_SECONDS,
            )
        return replace(snapshot, gates=results, verdict=final)

    def reassess(self) -> None:
        """Evaluate the last snapshot again and show it (after an action, or as time passes)."""
        if self._raw is None:
            return
        self.app.dashboard.show_snapshot(self.assess(self._raw), self.app.clock.now())

    def start(self) -> None:
        """Say what was wrong with the state file, if anything, and start the local refreshes."""
        if self.tracker.load_warnings:
            self.app.notify(
                "\n".join(self.tracker.load_warnings[:3]),
                title="Readiness state file",
                severity="warning",
                timeout=NOTICE_SECONDS,
            )
        self.refresh_local()

    def refresh_local(self) -> None:
        """Re-check the local gates now, in a worker; the next check is scheduled when it ends."""
        if self._next_refresh is not None:
            self._next_refresh.stop()
            self._next_refresh = None
        self.app.run_worker(
            self._refresh_local_once(),
            name="readiness refresh",
            group="readiness-refresh",
            exit_on_error=False,
        )

    async def _refresh_local_once(self) -> None:
        try:
            await self.tracker.refresh_local()  # returns at once if one is still running
        except Exception:  # pane state, not a toast: the local gates go unknown when stale
            logger.exception("refreshing the local readiness gates failed")
        finally:
            self.reassess()
            # Rescheduled after completion, so refreshes never overlap however long git takes.
            self._next_refresh = self.app.set_timer(LOCAL_REFRESH_S, self.refresh_local)

    # -- operator actions -----------------------------------------------------------------------

    def request(self, action: GateAction, index: int) -> None:
        """Tick or untick, waive, or run gate `index`, as the pane asked."""
        if self.app.read_only:  # never bound then; belt and braces
            return
        try:
            if action == "tick":
                self._toggle_tick(index)
            elif action == "waive":
                current = self.tracker.check_waivable(index)
                modal = WaiveModal(current.title, current.reason, self.tracker.operator)
                self.app.push_screen(modal, lambda reason: self._waive(index, reason))
            elif action == "run":
                plan = self.tracker.command_plan(index)
                self.app.push_screen(ConfirmCommand(plan), lambda ok: self._run(index, ok))
        except GateActionError as exc:
            self._refuse(exc)

    def _toggle_tick(self, index: int) -> None:
        title = self.tracker.config.gates[index].title
        if self.tracker.ticked(index) is not None:
            self.tracker.untick(index)
            self.app.notify(f"{title!r} is no longer ticked.", title="Unticked", timeout=4)
        else:
            tick = self.tracker.tick(index)
            self.app.notify(f"{title!r} ticked by {tick.by}; recorded.", title="Ticked", timeout=4)
        self.reassess()

    def _waive(self, index: int, reason: str | None) -> None:
        if not reason:
            return
        try:
            waiver = self.tracker.waive(index, reason)
        except GateActionError as exc:
            self._refuse(exc)
            return
        title = self.tracker.results[index].title
        self.app.notify(
            f"{title!r} waived by {waiver.by}: {waiver.reason}", title="Waived; recorded"
        )
        self.reassess()

    def _run(self, index: int, confirmed: bool | None) -> None:
        if not confirmed:
            return
        self.app.run_worker(
            self._run_command(index),
            name="command gate",
            group=f"readiness-command-{index}",
            exit_on_error=False,
        )

    async def _run_command(self, index: int) -> None:
        try:
            pending = self.tracker.run_command(index)
        except GateActionError as exc:
            self._refuse(exc)
            return
        self.reassess()  # shows the gate as running
        try:
            outcome = await pending
        finally:
            self.reassess()
        severity: SeverityLevel = (
            "information" if outcome.verdict is GateVerdict.PASS else "warning"
        )
        self.app.notify(
            f"{gate_badge(outcome.verdict).label}: {outcome.reason}",
            title=outcome.title,
            severity=severity,
        )

    def _refuse(self, error: GateActionError) -> None:
        hint = f"\n{error.hint}" if error.hint else ""
        self.app.notify(f"{error.message}{hint}", title=error.title, severity="warning")
