"""The `approvals` gate: `min` approvals by people other than the author, from polled reviews."""

from __future__ import annotations

from cockpit.models.readiness import GateVerdict
from cockpit.models.review import ApprovalLookup, Approvals
from cockpit.readiness import evaluate
from tests.unit.readiness.helpers import NOW, make_config, snapshot

GATE = {"kind": "approvals", "service": "checkout", "min": 2}


def found(*approvers: str, self_approved: bool = False) -> ApprovalLookup:
    approvals = Approvals(
        pr_number=42,
        author="carol",
        approvers=approvers,
        latest_by_reviewer=(),
        url="https://github.example/acme/checkout/pull/42",
        self_approved=self_approved,
    )
    return ApprovalLookup("checkout", "v2.14.0", approvals=approvals, source="gh")


def gate_result(*lookups: ApprovalLookup):  # type: ignore[no-untyped-def]
    results, verdict = evaluate(make_config([GATE]), snapshot(approvals=lookups), now=NOW)
    return results[0], verdict


def test_enough_approvals_by_others_pass_with_the_names_and_a_link() -> None:
    result, verdict = gate_result(found("alice", "bob"))
    assert result.verdict is GateVerdict.PASS
    assert result.reason == "2 of 2 approvals on #42 (alice, bob)"
    assert result.evidence["approvers"] == ["alice", "bob"]
    assert result.link.endswith("/pull/42")
    assert result.source == "gh"
    assert verdict.value == "go"


def test_too_few_approvals_fail_and_say_the_authors_own_does_not_count() -> None:
    result, verdict = gate_result(found("alice", self_approved=True))
    assert result.verdict is GateVerdict.FAIL
    assert result.reason == "1 of 2 approvals on #42 (alice); carol's own approval does not count"
    assert verdict.value == "no-go"


def test_no_release_pull_request_is_a_fail() -> None:
    lookup = ApprovalLookup(
        "checkout", "v2.14.0", problem="gh: no pull request for v2.14.0", missing=True
    )
    result, _ = gate_result(lookup)
    assert result.verdict is GateVerdict.FAIL
    assert "no pull request for v2.14.0" in result.reason


def test_a_lookup_that_could_not_be_made_is_unknown() -> None:
    lookup = ApprovalLookup("checkout", "v2.14.0", problem="gh: token cannot read pulls")
    result, _ = gate_result(lookup)
    assert result.verdict is GateVerdict.UNKNOWN
    assert "cannot read pulls" in result.reason
