"""Which verdict changes are news: the bell and the notification of a live session.

The verdict at start-up moves from "nothing polled yet" to the first real answer; that is not
a change anyone needs a bell for. So the first *settled* evaluation is the baseline, silently,
and only later changes are announced, each once. Settled means the local gates were checked
once and every source the gates read has reported (fresh, stale or failing) or has had the time
to: its stale threshold (`2 x interval + timeout`) since the session started. Evaluations of
data that is not settled are neither a baseline nor news.
"""

from __future__ import annotations

from datetime import datetime

from cockpit.config.models import Config
from cockpit.engine.freshness import stale_after_s
from cockpit.models import Freshness, Snapshot
from cockpit.models.readiness import Verdict

PERIODIC_KINDS = frozenset({"ticket_linked", "freeze_window"})
"""Local gates refreshed on a schedule; `command` gates run only when the operator asks."""


def gate_sources(config: Config) -> set[str]:
    """The sources the gates read: their own `source`, or their service's CI or artifact."""
    names: set[str] = set()
    for gate in config.gates:
        direct = getattr(gate, "source", None)
        if isinstance(direct, str):
            names.add(direct)
        service = config.service(getattr(gate, "service", "") or "")
        if service is None:
            continue
        if gate.kind == "ci_green" and service.ci is not None:
            names.add(service.ci.source)
        if gate.kind in {"artifact_present", "artifact_signed"} and service.artifact:
            names.add(service.artifact.source)
    return names


class VerdictWatch:
    """Remembers the last announced verdict and the change still to announce."""

    def __init__(self, config: Config, *, started_at: datetime) -> None:
        self._sources = gate_sources(config)
        self._periodic = any(gate.kind in PERIODIC_KINDS for gate in config.gates)
        self._grace_s = max(
            (
                stale_after_s(source.interval, source.timeout)
                for name, source in config.sources.items()
                if name in self._sources
            ),
            default=0.0,
        )
        self._started_at = started_at
        self._announced: Verdict | None = None
        self._change: tuple[Verdict, Verdict] | None = None

    def settled(self, snapshot: Snapshot, now: datetime, *, local_checked: bool) -> bool:
        """True once a verdict of `snapshot` at `now` reflects real data (see the module)."""
        if self._periodic and not local_checked:
            return False
        reported = [snapshot.source(name) for name in self._sources]
        if all(s is not None and s.state is not Freshness.UNKNOWN for s in reported):
            return True
        return (now - self._started_at).total_seconds() >= self._grace_s

    def note(
        self, final: Verdict, snapshot: Snapshot, now: datetime, *, local_checked: bool
    ) -> None:
        """Record the verdict of an evaluation; a change from the announced one is kept."""
        if not self.settled(snapshot, now, local_checked=local_checked):
            return
        if self._announced is None:
            self._announced = final
            return
        if final is self._announced:
            return
        before = self._announced if self._change is None else self._change[0]
        self._change = None if before is final else (before, final)
        self._announced = final

    def take(self) -> tuple[Verdict, Verdict] | None:
        """The (before, after) change to announce, once; None when there is none."""
        change, self._change = self._change, None
        return change
