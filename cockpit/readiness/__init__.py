"""Readiness: go/no-go gates with evidence, and the release verdict.

Gates decided from polled data (`ci_green`, `artifact_present`, `artifact_signed`,
`error_budget`, `alerts_quiet`) turn unknown when their source is not fresh. Local gates
(`ticket_linked`, `freeze_window`, `command`) run in `evaluate_local_gates`; `manual` gates are
ticked in a `TickBook`; failing gates can be waived, with a reason, in a `WaiverBook`;
`approvals` is honestly unknown until review fetching exists. Unknown is never a pass.
"""

from cockpit.readiness.books import (
    GateActionError,
    Tick,
    TickBook,
    WaiverBook,
    apply_waiver,
    manual_result,
)
from cockpit.readiness.common import gate_title
from cockpit.readiness.evaluate import (
    LOCAL_KINDS,
    evaluate,
    evaluate_local_gates,
    verdict,
)
from cockpit.readiness.freeze import (
    Calendar,
    CalendarError,
    FreezeState,
    calendar_state,
    freeze_result,
    load_calendar,
)

__all__ = [
    "LOCAL_KINDS",
    "Calendar",
    "CalendarError",
    "FreezeState",
    "GateActionError",
    "Tick",
    "TickBook",
    "WaiverBook",
    "apply_waiver",
    "calendar_state",
    "evaluate",
    "evaluate_local_gates",
    "freeze_result",
    "gate_title",
    "load_calendar",
    "manual_result",
    "verdict",
]
