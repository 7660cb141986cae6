"""Readiness in a live session: operator decisions, local checks and the verdict, headless.

`ReadinessTracker` is what the TUI keeps for the whole session. It owns the ticks and waivers
(every change written to the state file before it counts, see `state_file`), the latest results
of the local gates, and the last verdict. `evaluate(snapshot)` is cheap and pure in its inputs,
so the TUI calls it on every snapshot, every operator action and every age tick (a result goes
stale when its source does, even when no new snapshot arrives).

Local gates: `ticket_linked` and `freeze_window` run in `refresh_local()`, which the TUI calls
at start and every `LOCAL_REFRESH_S` (the freeze window is judged against the clock each time);
their results turn unknown when no refresh succeeded for `LOCAL_STALE_S`. `command` gates never
run by themselves: only `run_command(index)`, after the operator confirmed `command_plan(index)`.
"""

from __future__ import annotations

import getpass
import logging
import os
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from cockpit.clock import Clock
from cockpit.config.durations import format_duration
from cockpit.config.models import CommandGate, Config, Gate, ManualGate
from cockpit.models import Snapshot
from cockpit.models.readiness import GateResult, GateVerdict, Verdict, Waiver
from cockpit.readiness.books import GateActionError, Tick, TickBook, WaiverBook, apply_waiver
from cockpit.readiness.command import run_command_gate
from cockpit.readiness.common import gate_title, one_line, unknown
from cockpit.readiness.evaluate import evaluate, evaluate_local_gates, verdict
from cockpit.readiness.state_file import Record, StateFile, default_state_path, load_records
from cockpit.readiness.verdict_watch import PERIODIC_KINDS, VerdictWatch

logger = logging.getLogger(__name__)

LOCAL_REFRESH_S = 60.0
"""How often the TUI re-runs `ticket_linked` and `freeze_window`."""

LOCAL_STALE_S = 3 * LOCAL_REFRESH_S
"""A local result older than this (refreshes stopped succeeding) is unknown."""


NOT_RUN = "not run yet: the operator runs it from the cockpit, after a confirmation"

_ActionGate = TypeVar("_ActionGate", ManualGate, CommandGate)


@dataclass(frozen=True, slots=True)
class CommandPlan:
    """Exactly what running a command gate will do, for the confirmation.

    Attributes:
        index: The gate's index in `config.gates`.
        title: The gate's title.
        argv: The argv executed (`/bin/sh -c ...` for a `shell: true` gate).
        cwd: The working directory.
        timeout_s: After this, the whole process group is killed and the gate fails.
    """

    index: int
    title: str
    argv: tuple[str, ...]
    cwd: Path
    timeout_s: float


def current_operator(environ: Mapping[str, str] | None = None) -> str:
    """The login name (`getpass.getuser()`), or `$USER`/`$LOGNAME`, or the uid as a last resort."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        env = os.environ if environ is None else environ
        return env.get("USER") or env.get("LOGNAME") or f"uid {os.getuid()}"


class ReadinessTracker:
    """Ticks, waivers, local results and the verdict of one release, for one operator.

    Args:
        config: The config (gates, sources, environment, release).
        clock: Every `at`, every age and the command timeouts read it.
        operator: Who ticks and waives (default: the login name).
        base_dir: Relative paths in gates (repo, calendar, commands) resolve against it, and
            commands run in it (default: the working directory at start).
        environ: The environment of commands and of `$XDG_STATE_HOME` (default: the process's).
        state_path: Where decisions are persisted (default: `default_state_path`).
        release_ref: Overrides `config.release.ref` (`--release`).
    """

    def __init__(
        self,
        config: Config,
        clock: Clock,
        *,
        operator: str | None = None,
        base_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
        state_path: Path | None = None,
        release_ref: str | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.environ: Mapping[str, str] = dict(os.environ if environ is None else environ)
        self.operator = (operator if operator is not None else current_operator(environ)).strip()
        self.base_dir = (base_dir or Path.cwd()).resolve()
        self.release_ref = config.release.ref if release_ref is None else release_ref
        self.state_path = state_path or default_state_path(self.release_ref, self.environ)
        self.ticks = TickBook()
        self.waivers = WaiverBook()
        self.load_warnings: list[str] = []
        """What was wrong with the state file at start (torn or foreign lines), for a toast."""
        self.local_refreshed_at: datetime | None = None
        """When `refresh_local` last completed (None: not yet)."""
        self._local: dict[int, GateResult] = {}
        self._local_at: dict[int, datetime] = {}
        self._running: dict[int, datetime] = {}
        self._refreshing = False
        self._snapshot: Snapshot | None = None
        self._raw: tuple[GateResult, ...] = ()
        self._results: tuple[GateResult, ...] = ()
        self._verdict = Verdict.UNKNOWN
        self._watch = VerdictWatch(config, started_at=clock.now())
        loaded = load_records(self.state_path)
        self._file = StateFile(self.state_path, ends_mid_line=loaded.ends_mid_line)
        self.load_warnings.extend(loaded.warnings)
        for record in loaded.records:
            self._replay(record)

    # -- evaluation -------------------------------------------------------------------------

    @property
    def results(self) -> tuple[GateResult, ...]:
        """Every gate's result from the last `evaluate`, in config order."""
        return self._results

    @property
    def verdict(self) -> Verdict:
        """The verdict of the last `evaluate`."""
        return self._verdict

    def evaluate(self, snapshot: Snapshot) -> tuple[tuple[GateResult, ...], Verdict]:
        """Every gate's result and the verdict for `snapshot`, as of the clock's now.

        Also notes a verdict change for `take_change` (see there for when one counts).
        """
        now = self.clock.now()
        raw, _ = evaluate(
            self.config,
            snapshot,
            local_results=self._local_view(now),
            ticks=self.ticks,
            now=now,
            release_ref=self.release_ref,
        )
        results = tuple(apply_waiver(r, self.waivers.get(i)) for i, r in enumerate(raw))
        final = verdict(results)
        self._snapshot, self._raw, self._results, self._verdict = snapshot, raw, results, final
        checked = self.local_refreshed_at is not None
        self._watch.note(final, snapshot, now, local_checked=checked)
        return results, final

    def reevaluate(self) -> tuple[tuple[GateResult, ...], Verdict]:
        """`evaluate` the last snapshot again (after an operator action, or as time passes)."""
        return self.evaluate(self._snapshot or Snapshot(taken_at=self.clock.now()))

    def take_change(self) -> tuple[Verdict, Verdict] | None:
        """The (before, after) verdicts to announce since the last call, or None.

        See `VerdictWatch`: the first evaluation of real data is the baseline, not news.
        """
        return self._watch.take()

    def settled(self, snapshot: Snapshot, now: datetime) -> bool:
        """True once the verdict reflects real data (see `VerdictWatch.settled`)."""
        return self._watch.settled(snapshot, now, local_checked=self.local_refreshed_at is not None)

    def _local_view(self, now: datetime) -> dict[int, GateResult]:
        """Local results as `evaluate` should see them: stale ones unknown, commands explained."""
        view: dict[int, GateResult] = {}
        for index, gate in enumerate(self.config.gates):
            if isinstance(gate, CommandGate):
                view[index] = self._command_view(index, gate)
            elif index in self._local:
                view[index] = self._fresh_local(index, now)
        return view

    def _command_view(self, index: int, gate: CommandGate) -> GateResult:
        started = self._running.get(index)
        if started is not None:
            return unknown(gate, f"running since {started:%H:%M:%S} UTC", fetched_at=started)
        return self._local.get(index) or unknown(gate, NOT_RUN)

    def _fresh_local(self, index: int, now: datetime) -> GateResult:
        outcome = self._local[index]
        age = (now - self._local_at[index]).total_seconds()
        if age <= LOCAL_STALE_S:
            return outcome
        evidence = dict(outcome.evidence)
        evidence["last_result"] = {"verdict": outcome.verdict.value, "reason": outcome.reason}
        reason = f"last checked {format_duration(age)} ago: the periodic check is not completing"
        return replace(outcome, verdict=GateVerdict.UNKNOWN, reason=reason, evidence=evidence)

    # -- local gates -------------------------------------------------------------------------

    async def refresh_local(self) -> None:
        """Re-run `ticket_linked` and `freeze_window` (never commands); a call made while one
        is still running returns at once, so refreshes never overlap."""
        if self._refreshing:
            return
        self._refreshing = True
        try:
            found = await evaluate_local_gates(
                self.config,
                self.release_ref,
                self.clock,
                base_dir=self.base_dir,
                environ=self.environ,
                kinds=PERIODIC_KINDS,
            )
            at = self.clock.now()
            for index, outcome in found.items():
                self._local[index] = outcome
                self._local_at[index] = at
            self.local_refreshed_at = at
        finally:
            self._refreshing = False

    def command_plan(self, index: int) -> CommandPlan:
        """What running command gate `index` would execute, for the confirmation.

        Raises:
            GateActionError: Not a command gate, or it is running already.
        """
        gate = self._gate(index, CommandGate, "run")
        if index in self._running:
            raise GateActionError(
                f"{gate.title!r} is running already",
                hint="wait for its result; it is killed after its timeout",
            )
        argv = ("/bin/sh", "-c", " ".join(gate.run)) if gate.shell else tuple(gate.run)
        return CommandPlan(index, gate.title, argv, self.base_dir, gate.timeout)

    def run_command(self, index: int) -> Awaitable[GateResult]:
        """Start command gate `index` (the operator confirmed it); await its result, then kept.

        The gate counts as running (unknown, "running since ...") from this call on, before
        the returned awaitable is first awaited, so the screen can say so at once.

        Raises:
            GateActionError: As `command_plan` (raised here, not when awaiting).
        """
        self.command_plan(index)
        gate = self.config.gates[index]
        assert isinstance(gate, CommandGate)
        self._running[index] = self.clock.now()
        return self._execute(index, gate)

    async def _execute(self, index: int, gate: CommandGate) -> GateResult:
        try:
            outcome = await run_command_gate(gate, self.clock, cwd=self.base_dir, env=self.environ)
        except Exception as exc:  # a bug must not leave the gate "running" or pass it
            logger.exception("command gate %s crashed", gate.title)
            detail = one_line(str(exc)) or type(exc).__name__
            outcome = unknown(gate, f"the check crashed: {detail}", fetched_at=self.clock.now())
        finally:
            self._running.pop(index, None)
        self._local[index] = outcome
        self._local_at[index] = self.clock.now()
        return outcome

    def running(self, index: int) -> bool:
        """True while command gate `index` runs."""
        return index in self._running

    # -- operator decisions --------------------------------------------------------------------

    def ticked(self, index: int) -> Tick | None:
        """The tick of manual gate `index`, if any."""
        return self.ticks.get(index)

    def tick(self, index: int, note: str = "") -> Tick:
        """Confirm manual gate `index` as the operator, now; persisted before it counts.

        Raises:
            GateActionError: Not a manual gate, no operator name, or the state file failed.
        """
        gate = self._gate(index, ManualGate, "tick")
        at = self.clock.now()
        TickBook().tick(index, self.operator, at, note)  # validates without recording
        self._persist("tick", index, gate, at, text=note.strip())
        return self.ticks.tick(index, self.operator, at, note)

    def untick(self, index: int) -> None:
        """Withdraw the tick of manual gate `index` (nothing to do when it is not ticked).

        Raises:
            GateActionError: Not a manual gate, or the state file failed.
        """
        gate = self._gate(index, ManualGate, "untick")
        if self.ticks.get(index) is None:
            return
        self._persist("untick", index, gate, self.clock.now())
        self.ticks.untick(index)

    def waiver(self, index: int) -> Waiver | None:
        """The waiver of gate `index`, if any."""
        return self.waivers.get(index)

    def check_waivable(self, index: int) -> GateResult:
        """The current result of gate `index` if it can be waived now (it is failing).

        Raises:
            GateActionError: Out of range, not evaluated yet, waived already, or not failing.
        """
        if not 0 <= index < len(self.config.gates):
            raise GateActionError(f"there is no gate number {index + 1}")
        self.reevaluate()
        current = self._raw[index]
        existing = self.waivers.get(index)
        if existing is not None and current.verdict is GateVerdict.FAIL:
            raise GateActionError(
                f"{current.title!r} is waived already, by {existing.by}: {existing.reason}",
                hint="the state file keeps every waiver; a new one is not needed",
            )
        if current.verdict is not GateVerdict.FAIL:
            state = "passing" if current.verdict is GateVerdict.PASS else "unknown"
            raise GateActionError(
                f"only a failing gate can be waived; {current.title!r} is {state}",
                hint="unknown is never a pass: wait for the gate to be decided"
                if current.verdict is GateVerdict.UNKNOWN
                else "",
            )
        return current

    def waive(self, index: int, reason: str) -> Waiver:
        """Waive failing gate `index` as the operator, now, because of `reason`.

        The gate is judged as of now (a gate that passed or turned unknown meanwhile is
        refused). The waiver is persisted before it counts.

        Raises:
            GateActionError: No reason, not failing, or the state file failed.
        """
        current = self.check_waivable(index)
        at = self.clock.now()
        WaiverBook().waive(index, self.operator, reason, current=current, at=at)  # validates
        gate = self.config.gates[index]
        self._persist("waive", index, gate, at, text=reason.strip(), failure=current.reason)
        waiver = self.waivers.waive(index, self.operator, reason, current=current, at=at)
        self.reevaluate()
        return waiver

    def revoke(self, index: int) -> None:
        """Withdraw the waiver of gate `index` (nothing to do when there is none).

        Raises:
            GateActionError: The state file failed.
        """
        if self.waivers.get(index) is None:
            return
        self._persist("revoke", index, self.config.gates[index], self.clock.now())
        self.waivers.revoke(index)

    # -- helpers ------------------------------------------------------------------------------

    def _gate(self, index: int, kind: type[_ActionGate], verb: str) -> _ActionGate:
        if not 0 <= index < len(self.config.gates):
            raise GateActionError(f"there is no gate number {index + 1}")
        gate = self.config.gates[index]
        if not isinstance(gate, kind):
            wanted = "manual" if kind is ManualGate else "command"
            raise GateActionError(
                f"only {wanted} gates can be {verb}ed here; "
                f"{gate_title(gate)!r} is a {gate.kind} gate",
                hint="its result comes from its own check",
            )
        return gate

    def _persist(
        self, op: str, index: int, gate: Gate, at: datetime, *, text: str = "", failure: str = ""
    ) -> None:
        record = Record(
            op=op,
            gate=index,
            kind=gate.kind,
            title=gate_title(gate),
            by=self.operator,
            at=at,
            environment=self.config.environment,
            release=self.release_ref,
            text=text,
            failure=failure,
        )
        try:
            self._file.append(record)
        except OSError as exc:
            raise GateActionError(
                f"could not record the {op} in {self.state_path}: {exc.strerror or exc}",
                title="Not recorded",
                hint="nothing changed; check the disk and the permissions of that directory",
            ) from exc

    def _replay(self, record: Record) -> None:
        """Apply one stored decision, if it is about this environment, release and gate."""
        if record.environment != self.config.environment or record.release != self.release_ref:
            logger.info("state record for %s @ %s skipped", record.environment, record.release)
            return
        gates = self.config.gates
        gate = gates[record.gate] if record.gate < len(gates) else None
        if gate is None or gate.kind != record.kind or gate_title(gate) != record.title:
            self.load_warnings.append(
                f"{self.state_path}: a {record.op} of gate {record.gate + 1} "
                f"({record.title!r}) no longer matches the config; ignored"
            )
            return
        try:
            if record.op == "tick":
                self.ticks.tick(record.gate, record.by, record.at, record.text)
            elif record.op == "untick":
                self.ticks.untick(record.gate)
            elif record.op == "waive":
                # The record attests the gate was failing then; a waiver covers failures only.
                was = GateResult(record.kind, record.title, GateVerdict.FAIL, record.failure)
                self.waivers.waive(record.gate, record.by, record.text, current=was, at=record.at)
            elif record.op == "revoke":
                self.waivers.revoke(record.gate)
        except GateActionError as exc:  # a hand-edited line without a name or a reason
            self.load_warnings.append(f"{self.state_path}: a {record.op} was ignored: {exc}")
