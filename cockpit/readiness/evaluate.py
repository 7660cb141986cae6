"""Putting the gates together: every gate's result and the release verdict.

`evaluate` is pure: the same config, snapshot, local results, ticks, waivers and `now` give the
same answer, so the TUI can re-run it on every snapshot and the CLI once. Local gates (git,
calendar, commands) are slow or blocking and run separately in `evaluate_local_gates`, whose
results `evaluate` merges by gate index.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path

from cockpit.clock import Clock
from cockpit.config.models import (
    AlertsQuietGate,
    ApprovalsGate,
    ArtifactPresentGate,
    ArtifactSignedGate,
    CiGreenGate,
    CommandGate,
    Config,
    ErrorBudgetGate,
    FreezeWindowGate,
    Gate,
    ManualGate,
    TicketLinkedGate,
)
from cockpit.models.readiness import GateResult, GateVerdict, Verdict
from cockpit.models.snapshot import Snapshot
from cockpit.readiness.artifacts import artifact_result
from cockpit.readiness.books import TickBook, WaiverBook, apply_waiver, manual_result
from cockpit.readiness.ci import ci_green_result
from cockpit.readiness.command import run_command_gate
from cockpit.readiness.common import apply_staleness, one_line, unknown
from cockpit.readiness.freeze import freeze_gate_result
from cockpit.readiness.observations import (
    alerts_quiet_result,
    approvals_result,
    error_budget_result,
)
from cockpit.readiness.tickets import ticket_linked_result

logger = logging.getLogger(__name__)

LOCAL_KINDS = frozenset({"ticket_linked", "freeze_window", "command"})
NOT_EVALUATED = "not evaluated yet"


def verdict(results: Iterable[GateResult]) -> Verdict:
    """GO only when every gate passed or was waived; any failure is NO-GO; else UNKNOWN.

    A failure wins over an unknown. Unknown is never a pass, and no gates at all is UNKNOWN:
    nothing was checked, so nothing says the release is ready.
    """
    verdicts = [r.verdict for r in results]
    if any(v is GateVerdict.FAIL for v in verdicts):
        return Verdict.NO_GO
    if verdicts and all(v in (GateVerdict.PASS, GateVerdict.WAIVED) for v in verdicts):
        return Verdict.GO
    return Verdict.UNKNOWN


def _snapshot_result(
    config: Config, gate: Gate, snapshot: Snapshot, ref: str, now: datetime
) -> GateResult | None:
    """A gate decided from polled data, turned unknown when its source is not fresh."""
    raw: GateResult
    if isinstance(gate, CiGreenGate):
        raw = ci_green_result(config, gate, snapshot, ref)
    elif isinstance(gate, ArtifactPresentGate | ArtifactSignedGate):
        raw = artifact_result(config, gate, snapshot, ref)
    elif isinstance(gate, ErrorBudgetGate):
        raw = error_budget_result(gate, snapshot)
    elif isinstance(gate, AlertsQuietGate):
        raw = alerts_quiet_result(gate, snapshot)
    elif isinstance(gate, ApprovalsGate):
        raw = approvals_result(config, gate, snapshot)
    else:
        return None
    return apply_staleness(config, snapshot, raw, now)


def evaluate(
    config: Config,
    snapshot: Snapshot,
    *,
    local_results: Mapping[int, GateResult] | None = None,
    ticks: TickBook | None = None,
    waivers: WaiverBook | None = None,
    now: datetime,
    release_ref: str | None = None,
) -> tuple[tuple[GateResult, ...], Verdict]:
    """Every configured gate's result, in config order, and the verdict.

    Args:
        config: The config (gates, services, sources, release).
        snapshot: What the engine polled.
        local_results: Results of `evaluate_local_gates`, by gate index; a local gate without
            one is unknown ("not evaluated yet").
        ticks: Manual gates ticked by operators.
        waivers: Waived failing gates.
        now: The evaluation time (staleness is judged against it).
        release_ref: Overrides `config.release.ref` (`--release`).
    """
    ref = config.release.ref if release_ref is None else release_ref
    local = local_results or {}
    results: list[GateResult] = []
    for index, gate in enumerate(config.gates):
        outcome = _snapshot_result(config, gate, snapshot, ref, now)
        if outcome is None:
            if isinstance(gate, ManualGate):
                outcome = manual_result(gate, None if ticks is None else ticks.get(index))
            else:
                outcome = local.get(index) or unknown(gate, NOT_EVALUATED)
        waiver = None if waivers is None else waivers.get(index)
        results.append(apply_waiver(outcome, waiver))
    final = tuple(results)
    return final, verdict(final)


async def _guarded(gate: Gate, work: Awaitable[GateResult], clock: Clock) -> GateResult:
    """A local check that crashed is unknown (never a pass), with the error in the reason."""
    try:
        return await work
    except Exception as exc:  # a bug or an unexpected library error must not crash the verdict
        logger.exception("readiness gate %s failed", gate.kind)
        detail = one_line(str(exc)) or type(exc).__name__
        return unknown(gate, f"the check crashed: {detail}", fetched_at=clock.now())


async def evaluate_local_gates(
    config: Config,
    release_ref: str | None,
    clock: Clock,
    *,
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    kinds: Collection[str] = LOCAL_KINDS,
) -> dict[int, GateResult]:
    """Run the local gates once: ticket_linked (git, in a thread), freeze_window, command.

    Git and calendar checks run concurrently; commands run one after another, in config order,
    so smoke tests never compete for the same environment.

    Args:
        config: The config.
        release_ref: Overrides `config.release.ref` (None: use it).
        clock: Time for `now`, durations and command timeouts.
        base_dir: What relative paths (repo, calendar, commands) are relative to (default: cwd).
        environ: The environment for commands (None: the cockpit's own).
        kinds: Only these local kinds (e.g. skip `command` on a periodic refresh).

    Returns:
        Results by gate index, for `evaluate(local_results=...)`.
    """
    ref = config.release.ref if release_ref is None else release_ref
    now = clock.now()
    jobs: dict[int, Awaitable[GateResult]] = {}
    commands: list[tuple[int, CommandGate]] = []
    for index, gate in enumerate(config.gates):
        if gate.kind not in kinds:
            continue
        if isinstance(gate, TicketLinkedGate):
            work = asyncio.to_thread(
                ticket_linked_result, gate, config.release.repo, ref, now, base_dir
            )
            jobs[index] = _guarded(gate, work, clock)
        elif isinstance(gate, FreezeWindowGate):
            work = asyncio.to_thread(freeze_gate_result, gate, base_dir, now)
            jobs[index] = _guarded(gate, work, clock)
        elif isinstance(gate, CommandGate):
            commands.append((index, gate))

    async def run_commands() -> dict[int, GateResult]:
        done: dict[int, GateResult] = {}
        for index, gate in commands:
            work = run_command_gate(gate, clock, cwd=base_dir, env=environ)
            done[index] = await _guarded(gate, work, clock)
        return done

    command_task = asyncio.ensure_future(run_commands())
    try:
        gathered = await asyncio.gather(*jobs.values())
        results = dict(zip(jobs, gathered, strict=True))
        results.update(await command_task)
    finally:
        if not command_task.done():
            command_task.cancel()
    return dict(sorted(results.items()))
