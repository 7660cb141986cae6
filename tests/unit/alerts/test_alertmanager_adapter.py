"""AlertmanagerAdapter against httpx.MockTransport: every alert kept, normalised, safe to show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models.release_data import Alert
from cockpit.sources.alerts import AlertmanagerAdapter, matching, parse_matchers
from cockpit.sources.base import Adapter

Handler = Callable[[httpx.Request], httpx.Response]

FIRING: dict[str, Any] = {
    "annotations": {"summary": "5xx \x1b[31mhigh\x1b[0m on checkout\x07", "runbook": "x"},
    "endsAt": "2026-11-23T10:05:00.000Z",
    "fingerprint": "4889ff3223809fa0",
    "receivers": [{"name": "team"}],
    "startsAt": "2026-11-23T09:58:12.123456789Z",
    "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
    "updatedAt": "2026-11-23T09:59:00.000Z",
    "labels": {"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"},
}
SILENCED: dict[str, Any] = {
    **FIRING,
    "annotations": {"summary": "disk"},
    "fingerprint": "64c7fd2a80389f75",
    "status": {"inhibitedBy": [], "silencedBy": ["c8625fb3"], "state": "suppressed"},
    "labels": {"alertname": "DiskFull", "service": "payments", "severity": "warning"},
}
INHIBITED: dict[str, Any] = {
    **FIRING,
    "fingerprint": "0000000000000001",
    "status": {"inhibitedBy": ["4889ff3223809fa0"], "silencedBy": [], "state": "suppressed"},
    "labels": {"alertname": "CheckoutLatency", "service": "checkout", "severity": "page"},
}


def make(handler: Handler, matcher_sets: Any = ()) -> AlertmanagerAdapter:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    http = SourceHttp(client, "am", "http://am.test:9093", clock=FakeClock())
    source = Source(kind="alertmanager", url="http://am.test:9093", interval=20.0)
    return AlertmanagerAdapter("am", source, matcher_sets, http)


def answer(*alerts: dict[str, Any]) -> Handler:
    return lambda request: httpx.Response(200, json=list(alerts))


async def test_is_an_adapter() -> None:
    adapter: Adapter = make(answer())
    assert (adapter.name, adapter.kind, adapter.interval_s) == ("am", "alertmanager", 20.0)


async def test_asks_for_every_state() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    await make(handler).poll()
    assert seen[0].method == "GET" and seen[0].url.path == "/api/v2/alerts"
    assert dict(seen[0].url.params) == {
        "active": "true",
        "silenced": "true",
        "inhibited": "true",
        "unprocessed": "true",
    }


async def test_alerts_are_normalised() -> None:
    data = await make(answer(FIRING, SILENCED)).poll()
    firing, silenced = data.alerts
    assert firing == Alert(
        name="CheckoutErrors",
        labels={"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"},
        state="active",
        silenced_by=(),
        inhibited_by=(),
        starts_at=datetime(2026, 11, 23, 9, 58, 12, 123456, tzinfo=UTC),
        summary="5xx high on checkout",
        fingerprint="4889ff3223809fa0",
        source="am",
    )
    assert not firing.silenced
    assert (silenced.state, silenced.silenced_by, silenced.silenced) == (
        "suppressed",
        ("c8625fb3",),
        True,
    )


async def test_inhibited_alerts_keep_who_inhibits_them() -> None:
    (alert,) = (await make(answer(INHIBITED)).poll()).alerts
    assert alert.state == "suppressed"
    assert alert.inhibited_by == ("4889ff3223809fa0",)
    assert alert.silenced_by == ()


async def test_unprocessed_and_odd_alerts_do_not_break_the_poll() -> None:
    odd = {
        "labels": {"team": "ops", "\x1b]0;x\x07": "y"},
        "status": {"state": "weird"},
        "startsAt": "not a time",
    }
    unprocessed = {
        **FIRING,
        "status": {"state": "unprocessed", "silencedBy": [], "inhibitedBy": []},
    }
    first, second = (await make(answer(odd, unprocessed)).poll()).alerts
    assert first.name == "(no alertname)"
    assert first.state == "unprocessed"
    assert first.starts_at is None and first.summary == "" and first.fingerprint == ""
    assert second.state == "unprocessed"


async def test_a_hostile_alertname_is_sanitized_for_display_but_labels_stay_exact() -> None:
    hostile = {**FIRING, "labels": {"alertname": "Boom\x1b[2J\x1b]52;c;eA==\x07"}}
    (alert,) = (await make(answer(hostile)).poll()).alerts
    assert alert.name == "Boom"
    assert alert.labels["alertname"] == "Boom\x1b[2J\x1b]52;c;eA==\x07"


async def test_alertmanager_down_is_unreachable_naming_the_source() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(SourceError) as caught:
        await make(handler).poll()
    assert caught.value.kind is ErrorKind.UNREACHABLE
    assert caught.value.source == "am"
    assert caught.value.message.startswith("am: cannot connect to http://am.test:9093")


async def test_a_502_is_unreachable() -> None:
    with pytest.raises(SourceError) as caught:
        await make(lambda r: httpx.Response(502, text="bad gateway")).poll()
    assert caught.value.kind is ErrorKind.UNREACHABLE


@pytest.mark.parametrize(
    "body",
    ['{"status": "success", "data": []}', '"a string"', "[1, 2]", "<html>login</html>"],
)
async def test_an_answer_that_is_not_the_v2_api_is_a_bad_response(body: str) -> None:
    with pytest.raises(SourceError) as caught:
        await make(lambda r: httpx.Response(200, text=body)).poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert caught.value.source == "am"


async def test_matching_filters_by_every_matcher() -> None:
    alerts = (await make(answer(FIRING, SILENCED, INHIBITED)).poll()).alerts
    checkout_critical = parse_matchers('service="checkout", severity=~"critical|page"')
    assert [a.name for a in matching(alerts, checkout_critical)] == [
        "CheckoutErrors",
        "CheckoutLatency",
    ]
    assert [a.name for a in matching(alerts, parse_matchers('severity=~"crit"'))] == []
    assert len(matching(alerts, ())) == 3


def test_matcher_sets_accept_strings_and_matchers() -> None:
    (matcher,) = parse_matchers('severity="page"')
    adapter = make(answer(), [['service="checkout"', 'severity=~"critical|page"'], [matcher]])
    assert [[str(m) for m in s] for s in adapter.matcher_sets] == [
        ['service="checkout"', 'severity=~"critical|page"'],
        ['severity="page"'],
    ]


def test_a_bad_matcher_string_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not an operator"):
        make(answer(), [['service=="checkout"']])
