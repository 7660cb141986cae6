"""error_budget (PromQL value vs bounds), alerts_quiet (Alertmanager matchers), approvals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.models.release_data import Alert, QueryResult
from cockpit.readiness import evaluate

from .helpers import NOW, make_config, snapshot

QUERY = 'slo:burn_rate1h{service="checkout"}'


def budget(query: QueryResult | None, **bounds: float) -> GateResult:
    gate: dict[str, Any] = {"kind": "error_budget", "source": "prom", "query": QUERY, **bounds}
    config = make_config([gate])
    queries = () if query is None else (query,)
    return evaluate(config, snapshot(queries=queries), now=NOW)[0][0]


def value(number: float | None, **fields: Any) -> QueryResult:
    fields.setdefault("result_type", "vector")
    fields.setdefault("series", 1)
    return QueryResult(query=QUERY, value=number, source="prom", evaluated_at=NOW, **fields)


def test_value_within_max_passes() -> None:
    result = budget(value(0.4), max=1)
    assert result.verdict is GateVerdict.PASS
    assert result.reason == "value 0.4 within max 1"
    assert result.evidence["value"] == 0.4
    assert result.source == "prom"


def test_value_above_max_fails_and_below_min_fails() -> None:
    assert budget(value(1.7), max=1).reason == "value 1.7 is above max 1"
    assert budget(value(1.7), max=1).verdict is GateVerdict.FAIL
    low = budget(value(0.95), min=0.99)
    assert low.verdict is GateVerdict.FAIL
    assert low.reason == "value 0.95 is below min 0.99"


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (value(float("nan")), "the query returned NaN, not a number"),
        (value(float("inf")), "the query returned +Inf, not a number"),
        (value(None, series=0, problem="empty result"), "empty result"),
        (value(None, problem="expected a vector, got a matrix"), "expected a vector, got a matrix"),
        (value(0.2, result_type="matrix"), "expected a vector, got a matrix"),
        (value(0.2, series=3), "expected one series, got 3"),
        (value(None), "the query returned no single value"),
    ],
)
def test_non_numbers_and_surprises_are_unknown_never_pass(query: QueryResult, reason: str) -> None:
    result = budget(query, max=1)
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == reason
    json.dumps(result.to_json(), allow_nan=False)  # the evidence stays strict JSON


def test_a_promql_error_is_unknown_with_prometheus_text_word_for_word() -> None:
    error = 'invalid parameter "query": 1:28: parse error: unexpected "}" in label matching'
    result = budget(value(None, problem=error), max=1)
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == error


def test_a_query_not_evaluated_yet_is_unknown() -> None:
    result = budget(None, max=1)
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == "the query was not evaluated yet"


def alert(name: str, state: str = "active", **labels: str) -> Alert:
    silenced = ("silence-1",) if state == "suppressed" else ()
    return Alert(
        name=name,
        labels={"alertname": name, **labels},
        state=state,
        silenced_by=silenced,
        source="am",
    )


def quiet(*alerts: Alert) -> GateResult:
    gate = {
        "kind": "alerts_quiet",
        "source": "am",
        "matchers": ['service="checkout"', 'severity=~"critical|page"'],
    }
    return evaluate(make_config([gate]), snapshot(alerts=alerts), now=NOW)[0][0]


def test_no_matching_alert_passes() -> None:
    result = quiet(
        alert("DiskFull", service="billing", severity="critical"),
        alert("Slow", service="checkout", severity="warning"),
    )
    assert result.verdict is GateVerdict.PASS
    assert result.reason == "no firing alerts"


def test_firing_alerts_fail_with_their_names() -> None:
    result = quiet(
        alert("HighErrorRate", service="checkout", severity="critical"),
        alert("PodCrashLooping", service="checkout", severity="page"),
    )
    assert result.verdict is GateVerdict.FAIL
    assert result.reason == "2 alerts firing: HighErrorRate, PodCrashLooping"
    assert [a["name"] for a in result.evidence["firing"]] == ["HighErrorRate", "PodCrashLooping"]


def test_silenced_alerts_are_evidence_not_failures() -> None:
    result = quiet(alert("HighErrorRate", "suppressed", service="checkout", severity="critical"))
    assert result.verdict is GateVerdict.PASS
    assert result.reason == "no firing alerts (1 silenced)"
    assert result.evidence["silenced"][0]["silenced_by"] == ["silence-1"]


def test_an_invalid_matcher_is_unknown_naming_it() -> None:
    gate = {"kind": "alerts_quiet", "source": "am", "matchers": ["service~checkout"]}
    result = evaluate(make_config([gate]), snapshot(), now=NOW)[0][0]
    assert result.verdict is GateVerdict.UNKNOWN
    assert "service~checkout" in result.reason


def test_approvals_not_yet_fetched_are_unknown() -> None:
    gate = {"kind": "approvals", "service": "checkout", "min": 2}
    result, verdict = evaluate(make_config([gate]), snapshot(), now=NOW)
    assert result[0].verdict is GateVerdict.UNKNOWN
    assert result[0].reason == "approvals for checkout not fetched yet"
    assert verdict.value == "unknown"
