"""Gates on what production says: `error_budget` (a PromQL value), `alerts_quiet`, `approvals`.

Anything that is not exactly one finite number (an empty result, several series, a matrix, NaN,
+Inf, a Prometheus error) leaves `error_budget` unknown with the reason, never passing; a PromQL
error keeps Prometheus' own text word for word.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

from cockpit.config.models import AlertsQuietGate, ApprovalsGate, Config, ErrorBudgetGate
from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.models.release_data import Alert
from cockpit.models.snapshot import Snapshot
from cockpit.readiness.common import one_line, result, unknown
from cockpit.text import sanitize

# Alert names listed in a failing reason before "+N more".
_NAMES_IN_REASON = 5


def _number(value: float) -> str:
    return f"{value:g}"


def _json_number(value: float | None) -> float | str | None:
    """NaN and infinities as Prometheus spells them: JSON has no such numbers."""
    if value is None or math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def error_budget_result(gate: ErrorBudgetGate, snapshot: Snapshot) -> GateResult:
    """The value of the gate's query against its `max` and/or `min` (staleness not applied)."""
    found = [q for q in snapshot.queries if q.query == gate.query and q.source in (gate.source, "")]
    evidence: dict[str, Any] = {"query": gate.query, "max": gate.max, "min": gate.min}
    status = snapshot.source(gate.source)
    polled_at = None if status is None else status.fetched_at
    common: dict[str, Any] = {"source": gate.source, "fetched_at": polled_at}
    if not found:
        return unknown(gate, "the query was not evaluated yet", evidence, **common)
    query = found[-1]
    common["fetched_at"] = query.evaluated_at or polled_at
    evidence.update(
        {
            "value": _json_number(query.value),
            "result_type": query.result_type,
            "series": query.series,
        }
    )
    if query.problem:
        evidence["problem"] = query.problem
        # Word for word (only control characters removed): operators search for this text.
        return unknown(gate, sanitize(query.problem), evidence, **common)
    value = query.value
    # Belt and braces: the adapter should have said why, but never pass on a non-number.
    if value is None:
        return unknown(gate, "the query returned no single value", evidence, **common)
    if not math.isfinite(value):
        shown = _json_number(value)
        return unknown(gate, f"the query returned {shown}, not a number", evidence, **common)
    if query.result_type not in ("", "vector", "scalar"):
        return unknown(gate, f"expected a vector, got a {query.result_type}", evidence, **common)
    if query.series > 1:
        return unknown(gate, f"expected one series, got {query.series}", evidence, **common)
    shown = _number(value)
    if gate.max is not None and value > gate.max:
        reason = f"value {shown} is above max {_number(gate.max)}"
        return result(gate, GateVerdict.FAIL, reason, evidence, **common)
    if gate.min is not None and value < gate.min:
        reason = f"value {shown} is below min {_number(gate.min)}"
        return result(gate, GateVerdict.FAIL, reason, evidence, **common)
    bounds = [f"max {_number(gate.max)}" if gate.max is not None else ""]
    bounds.append(f"min {_number(gate.min)}" if gate.min is not None else "")
    reason = f"value {shown} within {', '.join(b for b in bounds if b)}"
    return result(gate, GateVerdict.PASS, reason, evidence, **common)


class LabelMatcher(Protocol):
    """What `alerts_quiet` needs of a matcher (cockpit.sources.alerts.matchers.Matcher)."""

    def matches(self, labels: Mapping[str, str]) -> bool: ...


def parse_matchers(texts: tuple[str, ...]) -> list[LabelMatcher]:
    """The gate's matchers, parsed with Alertmanager's syntax.

    Raises:
        ValueError: A matcher is malformed (the message quotes it).
    """
    from cockpit.sources.alerts.matchers import parse_matcher

    return [parse_matcher(text) for text in texts]


def _firing(alert: Alert) -> bool:
    """Active and neither silenced nor inhibited (`unprocessed` counts as firing: not yet muted)."""
    return not alert.silenced and not alert.inhibited_by and alert.state != "suppressed"


def alerts_quiet_result(gate: AlertsQuietGate, snapshot: Snapshot) -> GateResult:
    """Fails when an unsilenced alert matches every matcher; silenced ones are evidence."""
    status = snapshot.source(gate.source)
    common: dict[str, Any] = {
        "source": gate.source,
        "fetched_at": None if status is None else status.fetched_at,
    }
    evidence: dict[str, Any] = {"matchers": list(gate.matchers)}
    try:
        matchers = parse_matchers(gate.matchers)
    except ValueError as exc:
        return unknown(gate, one_line(str(exc)), evidence, **common)
    selected = [
        a
        for a in snapshot.alerts
        if a.source in (gate.source, "") and all(m.matches(a.labels) for m in matchers)
    ]
    firing = [a for a in selected if _firing(a)]
    muted = [a for a in selected if not _firing(a)]
    evidence["firing"] = [a.to_json() for a in firing]
    evidence["silenced"] = [a.to_json() | {"inhibited_by": list(a.inhibited_by)} for a in muted]
    if firing:
        names = list(dict.fromkeys(one_line(a.name) for a in firing))
        listed = ", ".join(names[:_NAMES_IN_REASON])
        if len(names) > _NAMES_IN_REASON:
            listed += f" (+{len(names) - _NAMES_IN_REASON} more)"
        noun = "alert" if len(firing) == 1 else "alerts"
        return result(
            gate, GateVerdict.FAIL, f"{len(firing)} {noun} firing: {listed}", evidence, **common
        )
    reason = "no firing alerts"
    if muted:
        reason += f" ({len(muted)} silenced)"
    return result(gate, GateVerdict.PASS, reason, evidence, **common)


def approvals_result(config: Config, gate: ApprovalsGate, snapshot: Snapshot) -> GateResult:
    """At least `min` approvals on the release PR from people other than its author.

    The latest deciding review per reviewer counts (the CI adapter applies that rule); a pull
    request that does not exist fails; a lookup that could not be made is unknown.
    """
    service = config.service(gate.service)
    source = service.ci.source if service is not None and service.ci is not None else ""
    evidence: dict[str, Any] = {"service": gate.service, "min": gate.min}
    lookup = next((a for a in snapshot.approvals if a.service == gate.service), None)
    if lookup is None:
        return unknown(
            gate, f"approvals for {gate.service} not fetched yet", evidence, source=source
        )
    evidence["ref"] = lookup.ref
    if lookup.approvals is None:
        reason = one_line(lookup.problem) or "the release pull request could not be read"
        verdict = GateVerdict.FAIL if lookup.missing else GateVerdict.UNKNOWN
        return result(gate, verdict, reason, evidence, source=source)
    found = lookup.approvals
    approvers = [sanitize(a) for a in found.approvers]
    evidence.update(
        {
            "pull_request": found.pr_number,
            "url": found.url,
            "author": sanitize(found.author),
            "approvers": approvers,
            "changes_requested_by": [sanitize(r) for r in found.changes_requested_by],
            "self_approved": found.self_approved,
        }
    )
    names = ", ".join(approvers) or "nobody"
    own = f"; {sanitize(found.author)}'s own approval does not count" if found.self_approved else ""
    counted = f"{found.count} of {gate.min} approvals on #{found.pr_number} ({names}){own}"
    if found.count >= gate.min:
        return result(gate, GateVerdict.PASS, counted, evidence, source=source, link=found.url)
    return result(gate, GateVerdict.FAIL, counted, evidence, source=source, link=found.url)
