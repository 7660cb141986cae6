"""Operator decisions on gates: manual ticks and waivers, each with who and when.

Both books are in memory and keyed by the gate's index in `config.gates`; the runbook journal
persists them (append-only) and replays them into fresh books.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from cockpit.config.models import ManualGate
from cockpit.errors import CockpitError
from cockpit.models.readiness import GateResult, GateVerdict, Waiver
from cockpit.readiness.common import one_line, result, unknown


class GateActionError(CockpitError):
    """An operator action on a gate was refused (no reason given, gate not failing, ...)."""

    title = "Gate action refused"


@dataclass(frozen=True, slots=True)
class Tick:
    """An operator confirmed a manual gate.

    Attributes:
        by: Who ticked it.
        at: When (UTC).
        note: An optional remark ("told #support in the release thread").
    """

    by: str
    at: datetime
    note: str = ""


class TickBook:
    """Which manual gates an operator ticked, by whom and when."""

    def __init__(self) -> None:
        self._ticks: dict[int, Tick] = {}

    def tick(self, gate_index: int, by: str, at: datetime, note: str = "") -> Tick:
        """Record that `by` confirmed gate `gate_index` at `at`.

        Raises:
            GateActionError: `by` is empty (a tick must name who confirmed).
        """
        if not by.strip():
            raise GateActionError("a tick must say who ticked it", hint="pass the operator's name")
        entry = Tick(by=by.strip(), at=at, note=note.strip())
        self._ticks[gate_index] = entry
        return entry

    def untick(self, gate_index: int) -> None:
        """Withdraw a tick (no error when there is none)."""
        self._ticks.pop(gate_index, None)

    def get(self, gate_index: int) -> Tick | None:
        return self._ticks.get(gate_index)

    def entries(self) -> tuple[tuple[int, Tick], ...]:
        """Every tick by gate index, in index order (for the journal)."""
        return tuple(sorted(self._ticks.items()))


def manual_result(gate: ManualGate, tick: Tick | None) -> GateResult:
    """Pass once ticked (who and when recorded); unknown until then, never a pass by default."""
    if tick is None:
        return unknown(gate, "not ticked yet: an operator must confirm it")
    evidence = {"ticked_by": tick.by, "ticked_at": tick.at.isoformat(), "note": tick.note}
    reason = f"ticked by {one_line(tick.by)} at {tick.at:%Y-%m-%d %H:%M} UTC"
    return result(gate, GateVerdict.PASS, reason, evidence, fetched_at=tick.at)


class WaiverBook:
    """Waivers of failing gates: who, when and why, by gate index."""

    def __init__(self) -> None:
        self._waivers: dict[int, Waiver] = {}

    def waive(
        self, gate_index: int, by: str, reason: str, *, current: GateResult, at: datetime
    ) -> Waiver:
        """Waive a failing gate.

        Args:
            gate_index: The gate's index in `config.gates`.
            by: Who waives it.
            reason: Why; required.
            current: The gate's current result; only a failing gate can be waived.
            at: When.

        Raises:
            GateActionError: No reason or no name given, or the gate is not failing (an unknown
                gate cannot be waived: unknown is never a pass).
        """
        if not reason.strip():
            raise GateActionError(
                f"waiving {current.title!r} needs a reason",
                hint="say why shipping with this gate failing is acceptable",
            )
        if not by.strip():
            raise GateActionError(
                "a waiver must say who waived it", hint="pass the operator's name"
            )
        if current.verdict is not GateVerdict.FAIL:
            raise GateActionError(
                f"only a failing gate can be waived; {current.title!r} is {current.verdict.value}",
                hint="wait for the gate to be decided"
                if current.verdict is GateVerdict.UNKNOWN
                else "",
            )
        waiver = Waiver(by=by.strip(), at=at, reason=reason.strip())
        self._waivers[gate_index] = waiver
        return waiver

    def revoke(self, gate_index: int) -> None:
        """Withdraw a waiver (no error when there is none)."""
        self._waivers.pop(gate_index, None)

    def get(self, gate_index: int) -> Waiver | None:
        return self._waivers.get(gate_index)

    def entries(self) -> tuple[tuple[int, Waiver], ...]:
        """Every waiver by gate index, in index order (for the journal)."""
        return tuple(sorted(self._waivers.items()))


def apply_waiver(outcome: GateResult, waiver: Waiver | None) -> GateResult:
    """A failing result turned `waived` (who and why in the reason); anything else unchanged.

    A waiver covers a failure only: a gate that now passes shows its pass, and a gate that turned
    unknown (stale source, ...) stays unknown, so a waiver never hides missing data.
    """
    if waiver is None or outcome.verdict is not GateVerdict.FAIL:
        return outcome
    evidence = dict(outcome.evidence)
    evidence["waived_failure"] = outcome.reason
    reason = f"waived by {one_line(waiver.by)}: {one_line(waiver.reason)} (was: {outcome.reason})"
    return replace(
        outcome, verdict=GateVerdict.WAIVED, reason=reason, evidence=evidence, waiver=waiver
    )
