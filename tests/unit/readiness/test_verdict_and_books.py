"""The verdict rules, staleness, manual ticks and waivers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cockpit.models.readiness import GateResult, GateVerdict, Verdict
from cockpit.models.release_data import QueryResult
from cockpit.readiness import (
    GateActionError,
    TickBook,
    WaiverBook,
    evaluate,
    verdict,
)

from .helpers import NOW, all_fresh, failing, fresh, make_config, snapshot, stale

QUERY = "slo:burn_rate1h"
BUDGET = {"kind": "error_budget", "source": "prom", "query": QUERY, "max": 1}
MANUAL = {"kind": "manual", "title": "Support team informed"}


def gate(v: GateVerdict) -> GateResult:
    return GateResult(
        kind="manual", title="t", verdict=v, reason="" if v is GateVerdict.PASS else "r"
    )


P, F, U, W = GateVerdict.PASS, GateVerdict.FAIL, GateVerdict.UNKNOWN, GateVerdict.WAIVED


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ((P, P), Verdict.GO),
        ((P, W), Verdict.GO),
        ((W, W), Verdict.GO),
        ((P, U), Verdict.UNKNOWN),
        ((U,), Verdict.UNKNOWN),
        ((P, F), Verdict.NO_GO),
        ((U, F, P), Verdict.NO_GO),  # a failure wins over an unknown
        ((W, F), Verdict.NO_GO),
        ((), Verdict.UNKNOWN),  # nothing checked is not a go
    ],
)
def test_verdict_rules(verdicts: tuple[GateVerdict, ...], expected: Verdict) -> None:
    assert verdict(gate(v) for v in verdicts) is expected


def budget_snapshot(number: float, *sources):  # type: ignore[no-untyped-def]
    query = QueryResult(query=QUERY, value=number, result_type="vector", series=1, source="prom")
    return snapshot(queries=(query,), **({"sources": sources} if sources else {}))


def test_a_stale_source_turns_its_gate_unknown_with_its_age() -> None:
    config = make_config([BUDGET])
    results, final = evaluate(config, budget_snapshot(0.2, stale("prom")), now=NOW)
    assert results[0].verdict is GateVerdict.UNKNOWN
    assert results[0].reason == "source prom is stale (3m old)"
    assert final is Verdict.UNKNOWN


def test_a_failing_source_says_why() -> None:
    config = make_config([BUDGET])
    snap = budget_snapshot(0.2, failing("prom", "connection refused"))
    result = evaluate(config, snap, now=NOW)[0][0]
    assert result.reason == "source prom is failing: connection refused"
    assert result.verdict is GateVerdict.UNKNOWN


def test_a_fresh_result_goes_stale_when_evaluated_after_the_ttl() -> None:
    config = make_config([BUDGET])  # prom: interval 10s, timeout 10s -> stale after 30s
    snap = budget_snapshot(0.2, fresh("prom", "prometheus", age_s=2))
    assert evaluate(config, snap, now=NOW)[0][0].verdict is GateVerdict.PASS
    later = evaluate(config, snap, now=NOW + timedelta(seconds=40))[0][0]
    assert later.verdict is GateVerdict.UNKNOWN
    assert later.reason == "source prom is stale (42s old)"


def test_a_source_that_was_never_polled_is_unknown() -> None:
    config = make_config([BUDGET])
    snap = budget_snapshot(0.2, *[s for s in all_fresh() if s.name != "prom"])
    assert evaluate(config, snap, now=NOW)[0][0].reason == "source prom was not polled"


def test_manual_gate_unknown_until_ticked_then_pass_with_who_and_when() -> None:
    config = make_config([MANUAL])
    ticks = TickBook()
    result = evaluate(config, snapshot(), ticks=ticks, now=NOW)[0][0]
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == "not ticked yet: an operator must confirm it"
    ticks.tick(0, "alice", NOW)
    result, final = evaluate(config, snapshot(), ticks=ticks, now=NOW)
    assert result[0].verdict is GateVerdict.PASS
    assert result[0].reason == "ticked by alice at 2026-11-23 10:00 UTC"
    assert result[0].evidence["ticked_by"] == "alice"
    assert final is Verdict.GO
    ticks.untick(0)
    assert evaluate(config, snapshot(), ticks=ticks, now=NOW)[0][0].verdict is GateVerdict.UNKNOWN


def test_a_tick_must_name_who() -> None:
    with pytest.raises(GateActionError):
        TickBook().tick(0, "  ", NOW)


def failing_budget() -> tuple[object, object, GateResult]:
    config = make_config([BUDGET, MANUAL])
    snap = budget_snapshot(1.5)
    return config, snap, evaluate(config, snap, now=NOW)[0][0]


def test_waiving_a_failing_gate_records_who_when_why_and_all_waived_is_go() -> None:
    config, snap, current = failing_budget()
    assert current.verdict is GateVerdict.FAIL
    waivers, ticks = WaiverBook(), TickBook()
    waiver = waivers.waive(0, "bob", "burn spike from a load test", current=current, at=NOW)
    ticks.tick(1, "alice", NOW)
    results, final = evaluate(config, snap, ticks=ticks, waivers=waivers, now=NOW)  # type: ignore[arg-type]
    assert results[0].verdict is GateVerdict.WAIVED
    assert results[0].reason == (
        "waived by bob: burn spike from a load test (was: value 1.5 is above max 1)"
    )
    assert results[0].waiver == waiver
    assert results[0].to_json()["waiver"] == {
        "by": "bob",
        "at": "2026-11-23T10:00:00Z",
        "reason": "burn spike from a load test",
    }
    assert final is Verdict.GO


def test_a_waiver_needs_a_reason_and_a_name() -> None:
    _, _, current = failing_budget()
    with pytest.raises(GateActionError, match="needs a reason"):
        WaiverBook().waive(0, "bob", "   ", current=current, at=NOW)
    with pytest.raises(GateActionError, match="who"):
        WaiverBook().waive(0, "", "why", current=current, at=NOW)


@pytest.mark.parametrize("current", [GateVerdict.PASS, GateVerdict.UNKNOWN])
def test_only_failing_gates_can_be_waived(current: GateVerdict) -> None:
    with pytest.raises(GateActionError, match="only a failing gate can be waived"):
        WaiverBook().waive(0, "bob", "because", current=gate(current), at=NOW)


def test_a_waiver_never_hides_an_unknown() -> None:
    config, _, current = failing_budget()
    waivers = WaiverBook()
    waivers.waive(0, "bob", "known", current=current, at=NOW)
    stale_snap = budget_snapshot(1.5, stale("prom"))
    result = evaluate(config, stale_snap, waivers=waivers, now=NOW)[0][0]  # type: ignore[arg-type]
    assert result.verdict is GateVerdict.UNKNOWN
    waivers.revoke(0)
    assert waivers.entries() == ()


def test_local_gates_without_results_are_unknown_not_evaluated() -> None:
    config = make_config([{"kind": "ticket_linked", "pattern": "[A-Z]+-\\d+"}])
    results, final = evaluate(config, snapshot(), now=NOW)
    assert results[0].verdict is GateVerdict.UNKNOWN
    assert results[0].reason == "not evaluated yet"
    assert final is Verdict.UNKNOWN
